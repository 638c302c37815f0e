package receipt

import "time"

// Settings is the config file's receipt section: what every printed
// receipt shows. internal/config reads it and reports its Problems at
// FILE:LINE:COL; the spool builds its Layout from it.
type Settings struct {
	Header     []string `yaml:"header"`
	Footer     []string `yaml:"footer"`
	QRTemplate string   `yaml:"qr_url_template"`
	Locale     string   `yaml:"locale"`
	// KitchenCopy also prints a kitchen ticket (large text, no prices)
	// wherever a captured order's customer receipt is auto-printed.
	KitchenCopy bool `yaml:"kitchen_copy"`
}

// Problem is one mistake in the section, its Path relative to it.
type Problem struct {
	Path    string
	Message string
}

// Problems returns every mistake in the section: the checks New makes.
func (s Settings) Problems() []Problem {
	var ps []Problem
	if _, err := ParseLocale(s.Locale); err != nil {
		ps = append(ps, Problem{"locale", err.Error()})
	}
	if err := checkTemplate(s.QRTemplate); err != nil {
		ps = append(ps, Problem{"qr_url_template", err.Error()})
	}
	return ps
}

// Config is the layout configuration for storeID with printed times in
// loc (nil: time.Local).
func (s Settings) Config(storeID string, loc *time.Location) Config {
	return Config{StoreID: storeID, Header: s.Header, Footer: s.Footer, QRTemplate: s.QRTemplate,
		Locale: s.Locale, Location: loc}
}
