package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/sendinggate"
)

// sendingGateConfig reads how a worker whose API key the mail provider refuses tries again:
// SENDING_PAUSE_PROBE (one email per interval reaches the provider; default 1m) and
// SENDING_PAUSE_HOLD_MAX (the longest a held follow-up waits; default 15m).
func sendingGateConfig(getenv func(string) string) (sendinggate.Config, error) {
	var cfg sendinggate.Config
	var errs []error
	for _, v := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"SENDING_PAUSE_PROBE", &cfg.ProbeInterval, sendinggate.DefaultProbeInterval},
		{"SENDING_PAUSE_HOLD_MAX", &cfg.HoldMax, sendinggate.DefaultHoldMax},
	} {
		value := strings.TrimSpace(getenv(v.name))
		if value == "" {
			continue
		}
		d, err := config.ParseDuration(value)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s is %q: want a positive duration like %s", v.name, value, v.def))
			continue
		}
		*v.dst = d
	}
	if cfg.HoldMax > 0 && cfg.ProbeInterval > cfg.HoldMax {
		errs = append(errs, fmt.Errorf("SENDING_PAUSE_PROBE %s is longer than SENDING_PAUSE_HOLD_MAX %s: a held follow-up would try again before any probe", cfg.ProbeInterval, cfg.HoldMax))
	}
	return cfg, errors.Join(errs...)
}
