package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/discover"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
)

// TestDeviceHotPlugReachesCloud: with hotplug.sys_root at a fake sysfs
// tree, a USB printer plugged in and out while the daemon runs is logged
// and arrives on the telemetry topic over a real broker as
// com.auraconnect.edge.device events (added, then removed) with its
// VID:PID and serial number; the adapter present at the start is not sent.
func TestDeviceHotPlugReachesCloud(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID = "hotplug"
	topic := "aura/v1/stores/" + storeID + "/events/telemetry"
	sub := cloudtest.Subscribe(t, mq.URL(), topic, cloudtest.SubscriberOptions{})

	root := t.TempDir()
	usbDev := func(port, vid, pid, serial string) string {
		dev := filepath.Join(root, "devices", "usb1", port)
		iface := filepath.Join(dev, port+":1.0")
		mustDo(t, os.MkdirAll(iface, 0o755))
		for name, v := range map[string]string{"idVendor": vid, "idProduct": pid, "serial": serial} {
			mustDo(t, os.WriteFile(filepath.Join(dev, name), []byte(v+"\n"), 0o644))
		}
		return iface
	}
	plug := func(class, name, target string) {
		tmp := filepath.Join(root, "new-"+name)
		mustDo(t, os.MkdirAll(tmp, 0o755))
		mustDo(t, os.Symlink(target, filepath.Join(tmp, "device")))
		mustDo(t, os.MkdirAll(filepath.Join(root, "class", class), 0o755))
		mustDo(t, os.Rename(tmp, filepath.Join(root, "class", class, name)))
	}
	plug("tty", "ttyACM0", usbDev("1-1", "0519", "2013", "ACM01"))

	_, logs := startDaemon(t, func(c *config.Config) {
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
		c.Hotplug = config.Hotplug{Interval: 20 * time.Millisecond, SysRoot: root}
	})
	waitUntil(t, 10*time.Second, "baseline scan", func() bool {
		return strings.Contains(logs.String(), "local printer device present") && strings.Contains(logs.String(), "ttyACM0")
	})

	plug("usbmisc", "lp0", usbDev("1-2", "04b8", "0202", "X5RT012345"))
	events := func() []discover.DeviceEvent {
		var out []discover.DeviceEvent
		for _, env := range sub.Envelopes(topic) {
			if env.Type != DeviceEventType {
				continue
			}
			var ev discover.DeviceEvent
			if err := json.Unmarshal(env.Data, &ev); err != nil {
				t.Fatal(err)
			}
			if env.Subject != ev.URL {
				t.Errorf("subject %q, want the device URL %q", env.Subject, ev.URL)
			}
			out = append(out, ev)
		}
		return out
	}
	sub.Wait(t, 10*time.Second, "device added", func() bool { return len(events()) >= 1 })
	mustDo(t, os.RemoveAll(filepath.Join(root, "class", "usbmisc", "lp0")))
	sub.Wait(t, 10*time.Second, "device removed", func() bool { return len(events()) >= 2 })
	evs := events()
	want := []string{discover.DeviceAdded, discover.DeviceRemoved}
	for i, ev := range evs {
		if i >= len(want) || ev.Action != want[i] || ev.URL != "usb:///dev/usb/lp0" || ev.Kind != discover.KindUSBPrinter ||
			ev.VID != "04B8" || ev.PID != "0202" || ev.SerialNumber != "X5RT012345" {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
	if !strings.Contains(logs.String(), "local printer device added") || !strings.Contains(logs.String(), "local printer device removed") {
		t.Errorf("the log does not tell of the device:\n%s", logs)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
