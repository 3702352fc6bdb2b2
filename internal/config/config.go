// Package config reads Tailor's settings: connection settings from the environment and the
// contact policy from the YAML file named by LIFECYCLE_CONFIG. Every problem is reported at once,
// and secrets never appear in errors.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Defaults for settings the environment leaves out.
const (
	DefaultTemporalAddress = "localhost:7233"
	DefaultNamespace       = "default"
	DefaultDatabaseURL     = "postgres://postgres@127.0.0.1:5432/tailor?sslmode=disable"
	DefaultSendGridBaseURL = "https://api.sendgrid.com"
	DefaultMailFrom        = "Your tailor <tailor@example.com>"
	DefaultOutboxDir       = "outbox"
)

// Config is everything the worker and the starter need.
type Config struct {
	TemporalAddress   string
	TemporalNamespace string
	DatabaseURL       string
	SendGridAPIKey    string // empty: use the local outbox
	SendGridBaseURL   string
	MailFrom          mail.Address
	OutboxDir         string
	Policy            lifecycle.Policy
	PolicyFile        string // LIFECYCLE_CONFIG, empty when defaults are used
}

// FromEnv reads the configuration from getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		TemporalAddress:   get("TEMPORAL_ADDRESS", DefaultTemporalAddress),
		TemporalNamespace: get("TEMPORAL_NAMESPACE", DefaultNamespace),
		DatabaseURL:       get("DATABASE_URL", DefaultDatabaseURL),
		SendGridAPIKey:    get("SENDGRID_API_KEY", ""),
		SendGridBaseURL:   get("SENDGRID_BASE_URL", DefaultSendGridBaseURL),
		OutboxDir:         get("OUTBOX_DIR", DefaultOutboxDir),
		PolicyFile:        get("LIFECYCLE_CONFIG", ""),
		Policy:            lifecycle.DefaultPolicy(),
	}
	var problems []error
	from, err := mail.ParseAddress(get("MAIL_FROM", DefaultMailFrom))
	if err != nil {
		problems = append(problems, fmt.Errorf("MAIL_FROM %q is not an email address like \"Shop <shop@example.com>\": %w", getenv("MAIL_FROM"), err))
	} else {
		c.MailFrom = *from
	}
	if c.PolicyFile != "" {
		policy, err := LoadPolicy(c.PolicyFile)
		if err != nil {
			problems = append(problems, err)
		} else {
			c.Policy = policy
		}
	}
	return c, errors.Join(problems...)
}

// policyFile is the YAML layout of LIFECYCLE_CONFIG; durations are Go durations or whole days ("14d").
type policyFile struct {
	MinGap         string `yaml:"min_gap"`
	RestockWindow  string `yaml:"restock_window"`
	SeasonFallback string `yaml:"season_fallback"`
	QuietHours     string `yaml:"quiet_hours"`
	MaxPerWindow   *int   `yaml:"max_per_window"`
	CapWindow      string `yaml:"cap_window"`
}

// LoadPolicy reads a lifecycle policy file; settings it leaves out keep lifecycle.DefaultPolicy.
func LoadPolicy(path string) (lifecycle.Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return lifecycle.Policy{}, fmt.Errorf("LIFECYCLE_CONFIG: %w", err)
	}
	return ParsePolicy(raw, path)
}

// ParsePolicy parses policy YAML; name is used in error messages.
func ParsePolicy(raw []byte, name string) (lifecycle.Policy, error) {
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return lifecycle.Policy{}, fmt.Errorf("%s: %w (known settings: min_gap, restock_window, season_fallback, quiet_hours, max_per_window, cap_window)", name, err)
	}
	p := lifecycle.DefaultPolicy()
	var problems []error
	for _, field := range []struct {
		key   string
		value string
		dst   *time.Duration
	}{
		{"min_gap", f.MinGap, &p.MinGap},
		{"restock_window", f.RestockWindow, &p.RestockWindow},
		{"season_fallback", f.SeasonFallback, &p.SeasonFallback},
		{"cap_window", f.CapWindow, &p.CapWindow},
	} {
		if field.value == "" {
			continue
		}
		d, err := ParseDuration(field.value)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %s: %w", name, field.key, err))
			continue
		}
		*field.dst = d
	}
	if q, err := lifecycle.ParseQuietHours(f.QuietHours); err != nil {
		problems = append(problems, fmt.Errorf("%s: quiet_hours: %w", name, err))
	} else {
		p.QuietHours = q
	}
	if f.MaxPerWindow != nil {
		if *f.MaxPerWindow < 0 {
			problems = append(problems, fmt.Errorf("%s: max_per_window: %d is negative", name, *f.MaxPerWindow))
		} else {
			p.MaxPerWindow = *f.MaxPerWindow
		}
	}
	if p.MaxPerWindow > 0 && p.CapWindow <= 0 {
		problems = append(problems, fmt.Errorf("%s: max_per_window needs a cap_window, e.g. 30d", name))
	}
	return p, errors.Join(problems...)
}

// ParseDuration accepts Go durations ("36h", "90s") and whole days ("14d"); it rejects negatives.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 14d, 36h or 90s", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration like 14d, 36h or 90s", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}
