// Package logging is the config file's log section and the process
// logger it builds (log/slog): its type, its checks and New. It is a leaf
// package so that internal/config can own no log rules of its own.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Section configures log/slog.
type Section struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Defaults is the section when the file says nothing.
func Defaults() Section { return Section{Level: "info", Format: "text"} }

// Problem is one mistake in the section, its Path relative to it.
type Problem struct {
	Path    string
	Message string
}

// Problems returns every mistake in the section.
func (s Section) Problems() []Problem {
	var ps []Problem
	if _, err := level(s.Level); err != nil {
		ps = append(ps, Problem{"level", fmt.Sprintf("must be debug, info, warn or error (got %q)", s.Level)})
	}
	switch s.Format {
	case "text", "json":
	default:
		ps = append(ps, Problem{"format", fmt.Sprintf("must be text or json (got %q)", s.Format)})
	}
	return ps
}

func level(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// New builds the process logger writing to w: level debug|info|warn|error,
// format text (the default when empty) or json.
func New(w io.Writer, lvl, format string) (*slog.Logger, error) {
	lv, err := level(lvl)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
