//go:build !unix

package usb

import "os"

const usbOpenFlags = os.O_RDWR
