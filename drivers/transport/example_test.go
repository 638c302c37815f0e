package transport_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

func ExampleParseURL() {
	for _, raw := range []string{
		"tcp://192.168.1.50:9100",
		"tcp://192.168.1.50",
		"serial:///dev/ttyUSB0?baud=fast",
		"lpt://printer",
	} {
		if _, err := transport.ParseURL(raw); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("ok", raw)
	}
	// Output:
	// ok tcp://192.168.1.50:9100
	// invalid transport url "tcp://192.168.1.50": missing port, e.g. tcp://192.168.1.50:9100
	// invalid transport url "serial:///dev/ttyUSB0?baud=fast": baud must be a number from 50 to 4000000, got "fast"
	// unknown transport "lpt" (forgotten import?)
}

// A print with the retry rule: only errors that prove nothing reached the
// printer may be retried.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "printer-out")
	defer os.RemoveAll(dir)

	print := func(ctx context.Context, url string, job []byte) error {
		c, err := transport.Open(ctx, url, transport.Options{JobID: "order-42"})
		if err != nil {
			return err // ErrBadURL or ErrUnavailable
		}
		status, err := transport.QueryStatus(ctx, c, 4, 500*time.Millisecond)
		switch {
		case errors.Is(err, transport.ErrNoStatus):
			// Unknown; print anyway.
		case err != nil:
			c.Close()
			return err
		case status&0x60 != 0:
			c.Close()
			return errors.New("paper out")
		}
		if _, err := c.Write(job); err != nil {
			c.Close()
			return err // ErrUnavailable (retry) or ErrInterrupted (may have printed)
		}
		return c.Close()
	}

	err := print(context.Background(), "file://"+dir, []byte("\x1b@Thank you!\n"))
	fmt.Println(err, transport.Retryable(err))
	err = print(context.Background(), "usb:///dev/usb/lpDOESNOTEXIST", nil)
	fmt.Println(err, transport.Retryable(err))
	// Output:
	// <nil> false
	// open usb /dev/usb/lpDOESNOTEXIST: device unavailable: device not found true
}
