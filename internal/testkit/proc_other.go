//go:build !linux

package testkit

import "os/exec"

// killWithTest: only Linux can tie a child's life to its parent's.
func killWithTest(*exec.Cmd) {}
