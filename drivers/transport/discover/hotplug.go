package discover

import "time"

// Hotplug is the config file's hotplug section: every Interval (default
// 3 s; negative turns the watch off) sysfs under SysRoot (default /sys) is
// listed for USB printers and USB-serial adapters, and each one that
// appears or goes away is reported. internal/config reads it; Watcher
// turns it into a Watcher.
type Hotplug struct {
	Interval time.Duration `yaml:"interval"`
	SysRoot  string        `yaml:"sys_root"`
}

// Watcher returns a Watcher for the section, or nil when it is off; the
// caller sets OnEvent and Log.
func (h Hotplug) Watcher() *Watcher {
	if h.Interval < 0 {
		return nil
	}
	return &Watcher{SysRoot: h.SysRoot, Interval: h.Interval}
}
