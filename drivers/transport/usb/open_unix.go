//go:build unix

package usb

import (
	"os"
	"syscall"
)

// usbOpenFlags keeps a tty-like device from becoming our controlling
// terminal.
const usbOpenFlags = os.O_RDWR | syscall.O_NOCTTY
