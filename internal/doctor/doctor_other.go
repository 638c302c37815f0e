//go:build !unix

package doctor

import (
	"errors"
	"os"
)

func diskFree(string) (uint64, error) { return 0, errors.New("not measured on this platform") }

func fileOwner(os.FileInfo) string { return "" }

func checkDevice(r *Report, name, dev string, o Options) bool {
	if _, err := os.Stat(dev); err != nil {
		r.add(name, Fail, "plug the printer in; `aura-edge printers` lists the ports, then fix printers[].connection", "%s is not present", dev)
		return false
	}
	r.add(name, OK, "", "%s present", dev)
	return true
}
