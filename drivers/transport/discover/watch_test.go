package discover

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeUSB adds a USB device with ids under root/devices and returns its
// interface directory (where class devices link to).
func fakeUSB(t *testing.T, root, port, vid, pid, serial, product string) string {
	t.Helper()
	dev := filepath.Join(root, "devices", "pci0000:00", "usb1", port)
	iface := filepath.Join(dev, port+":1.0")
	must(t, os.MkdirAll(iface, 0o755))
	for name, v := range map[string]string{"idVendor": vid + "\n", "idProduct": pid + "\n", "serial": serial + "\n", "product": product + "\n"} {
		must(t, os.WriteFile(filepath.Join(dev, name), []byte(v), 0o644))
	}
	return iface
}

// plug links a class device (class/usbmisc/lp0, class/tty/ttyUSB0) to
// target, as the kernel does when a device appears.
func plug(t *testing.T, root, class, name, target string) {
	t.Helper()
	// Built aside and renamed in, so a scan never sees it half made.
	tmp := filepath.Join(root, "building-"+name)
	must(t, os.MkdirAll(tmp, 0o755))
	must(t, os.Symlink(target, filepath.Join(tmp, "device")))
	must(t, os.MkdirAll(filepath.Join(root, "class", class), 0o755))
	must(t, os.Rename(tmp, filepath.Join(root, "class", class, name)))
}

func unplug(t *testing.T, root, class, name string) {
	t.Helper()
	must(t, os.RemoveAll(filepath.Join(root, "class", class, name)))
}

// TestWatcherHotPlug: on a fake sysfs tree, a USB printer and a USB-serial
// adapter (FTDI, ttyUSB: the ids two levels up) plugged in while the
// watcher runs are reported as added with their ids, unplugged as removed;
// devices present at the start are not reported.
func TestWatcherHotPlug(t *testing.T) {
	root := t.TempDir()
	// Present from the start: an ACM adapter (ids one level up).
	acm := fakeUSB(t, root, "1-1", "0519", "2013", "ACM01", "Star TSP100")
	plug(t, root, "tty", "ttyACM0", acm)
	must(t, os.MkdirAll(filepath.Join(root, "class", "tty", "ttyS0"), 0o755)) // not USB: ignored

	var (
		mu     sync.Mutex
		events []DeviceEvent
	)
	w := &Watcher{SysRoot: root, Interval: 10 * time.Millisecond, baseline: make(chan struct{}), OnEvent: func(_ context.Context, ev DeviceEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitEvents := func(n int) []DeviceEvent {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := append([]DeviceEvent(nil), events...)
			mu.Unlock()
			if len(got) >= n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("got %d events, want %d: %+v", len(got), n, got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	<-w.baseline // what is there now is not news

	lp := fakeUSB(t, root, "1-2", "04b8", "0202", "X5RT012345", "TM-T88V")
	plug(t, root, "usbmisc", "lp0", lp)
	ftdi := fakeUSB(t, root, "1-3", "0403", "6001", "FT9ZX1", "FT232R USB UART")
	port := filepath.Join(ftdi, "ttyUSB0")
	must(t, os.MkdirAll(port, 0o755))
	plug(t, root, "tty", "ttyUSB0", port)

	got := waitEvents(2)
	byURL := map[string]DeviceEvent{}
	for _, ev := range got {
		byURL[ev.URL] = ev
	}
	if ev := byURL["usb:///dev/usb/lp0"]; ev.Action != DeviceAdded || ev.Kind != KindUSBPrinter || ev.VID != "04B8" || ev.PID != "0202" || ev.SerialNumber != "X5RT012345" {
		t.Errorf("printer event = %+v", ev)
	}
	if ev := byURL["serial:///dev/ttyUSB0"]; ev.Action != DeviceAdded || ev.Kind != KindSerial || ev.VID != "0403" || ev.PID != "6001" || ev.SerialNumber != "FT9ZX1" {
		t.Errorf("adapter event = %+v", ev)
	}
	if _, ok := byURL["serial:///dev/ttyACM0"]; ok || len(got) != 2 {
		t.Errorf("events = %+v, want only the two plugged in", got)
	}

	unplug(t, root, "usbmisc", "lp0")
	got = waitEvents(3)
	if ev := got[2]; ev.Action != DeviceRemoved || ev.URL != "usb:///dev/usb/lp0" || ev.VID != "04B8" {
		t.Errorf("removal = %+v", ev)
	}
}

func TestDiff(t *testing.T) {
	at := time.Unix(0, 0)
	a := Candidate{Kind: KindSerial, URL: "serial:///dev/ttyUSB0", VID: "0403", PID: "6001", SerialNumber: "A"}
	b := a
	b.SerialNumber = "B" // another adapter on the same name
	evs := Diff([]Candidate{a}, []Candidate{b}, at)
	if len(evs) != 2 || evs[0].Action != DeviceRemoved || evs[0].SerialNumber != "A" || evs[1].Action != DeviceAdded || evs[1].SerialNumber != "B" {
		t.Errorf("swap = %+v", evs)
	}
	if evs := Diff([]Candidate{a}, []Candidate{a}, at); len(evs) != 0 {
		t.Errorf("no change = %+v", evs)
	}
}
