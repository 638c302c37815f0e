package secrets

import "path/filepath"

// Section is the config file's secrets section: where the credential key
// lives. internal/config reads it.
type Section struct {
	// KeyFile is the key file's path (default: DefaultFileName in the
	// data directory).
	KeyFile string `yaml:"key_file"`
}

// Path returns the key file's path for a store in dataDir.
func (s Section) Path(dataDir string) string {
	if s.KeyFile != "" {
		return s.KeyFile
	}
	return filepath.Join(dataDir, DefaultFileName)
}
