package file_test

// Tests open printers by URL: register the built-in transports, as the
// command does (printertest.Open and printertest.Payload are the helpers).

import _ "github.com/auraconnect/aura-edge/drivers/transport/all"
