package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written the way Tailor's settings are: a Go duration ("36h",
// "90s") or whole days ("14d"), never negative. It reads from the environment (UnmarshalText)
// and from the policy YAML (UnmarshalYAML) alike.
type Duration time.Duration

// Std is d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String writes d the way a person would set it: whole days as "14d", else the shortest Go
// duration ("1m", "1h30m", "90s").
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	s := td.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// UnmarshalText parses s with ParseDuration.
func (d *Duration) UnmarshalText(s []byte) error {
	v, err := ParseDuration(string(s))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads a scalar like 14d; anything else is a problem that says what to write.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("is not a duration like 14d, 36h or 90s")
	}
	return d.UnmarshalText([]byte(n.Value))
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
		// More days than a Duration holds would wrap around: 213504d came out as 25 minutes.
		if maxDays := int(math.MaxInt64 / int64(24*time.Hour)); n > maxDays {
			return 0, fmt.Errorf("%q is too long; at most %dd", s, maxDays)
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
