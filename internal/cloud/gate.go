package cloud

// The command gate: while the store stops, the daemon refuses commands
// whose parts have already stopped (internal/daemon/stop.go).

// CodeShuttingDown is the result code of a command refused because the
// store is stopping and the parts it needs have stopped. Nothing was
// stored for it, so the cloud sends it again (same id) after the restart.
const CodeShuttingDown = "shutting_down"

// SetGate installs gate, asked before a new command (not a replay) of
// each type is recorded and run: a non-nil answer is sent as the result
// and nothing is stored, so the same command id runs normally when the
// cloud sends it again (command.Pipeline.SetGate). The daemon uses it to
// refuse, while it stops, commands whose parts have already stopped. Call
// it before Run.
func (c *Client) SetGate(gate func(cmdType string) *CommandError) { c.cmds.SetGate(gate) }
