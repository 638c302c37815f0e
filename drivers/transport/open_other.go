//go:build !unix

package transport

import "os"

const usbOpenFlags = os.O_RDWR
