package testkit

import (
	"os/exec"
	"syscall"
)

// killWithTest makes the kernel kill cmd when the test binary dies, even
// when a test times out and no cleanup runs.
func killWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
