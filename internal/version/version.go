// Package version reports the build's version, set at link time with
// -ldflags "-X github.com/auraconnect/aura-edge/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version, "dev" for local builds.
var Version = "dev"

// Commit returns the VCS revision recorded by the go tool, if any.
func Commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
