package daemon

// The daemon pulls from every built-in POS vendor (pos/all registers
// them; their names are checked by the integrations section's owner).
import _ "github.com/auraconnect/aura-edge/drivers/pos/all"
