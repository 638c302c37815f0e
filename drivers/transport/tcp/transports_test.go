package tcp_test

// Tests open printers by URL: register the built-in transports, as the
// command does.
import _ "github.com/auraconnect/aura-edge/drivers/transport/all"
