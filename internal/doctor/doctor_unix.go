//go:build unix

package doctor

import (
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

func diskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

func fileOwner(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
		return u.Username
	}
	return strconv.Itoa(int(st.Uid))
}

// checkDevice checks a serial or USB printer device: present, a character
// device, and in a group the service user belongs to.
func checkDevice(r *Report, name, dev string, o Options) bool {
	fi, err := os.Stat(dev)
	if err != nil {
		r.add(name, Fail, "plug the printer or adapter in and check its cable; `aura-edge printers` lists the ports this PC has, then fix printers[].connection",
			"%s is not present", dev)
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&os.ModeCharDevice == 0 {
		r.add(name, Fail, "printers[].connection must name a serial port or /dev/usb/lp*", "%s is not a device", dev)
		return false
	}
	group := strconv.Itoa(int(st.Gid))
	if g, err := user.LookupGroupId(group); err == nil {
		group = g.Name
	}
	if o.ServiceUser == "" {
		r.add(name, OK, "", "%s present (group %s)", dev, group)
		return true
	}
	u, err := user.Lookup(o.ServiceUser)
	if err != nil {
		r.add(name, OK, "", "%s present (group %s)", dev, group)
		return true
	}
	gids, _ := u.GroupIds()
	if u.Gid == strconv.Itoa(int(st.Gid)) || slices.Contains(gids, strconv.Itoa(int(st.Gid))) || fi.Mode().Perm()&0o006 == 0o006 {
		r.add(name, OK, "", "%s present, group %s (%s is a member)", dev, group, o.ServiceUser)
		return true
	}
	r.add(name, Fail, fmt.Sprintf("sudo usermod -aG %s %s && sudo systemctl restart aura-edge (the udev rule in /lib/udev/rules.d/60-aura-edge-printers.rules sets dialout/lp)", group, o.ServiceUser),
		"%s belongs to group %s, which %s is not in", dev, group, o.ServiceUser)
	return false
}
