package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"14d", 14 * 24 * time.Hour, ""},
		{"0d", 0, ""},
		{"36h", 36 * time.Hour, ""},
		{" 90s ", 90 * time.Second, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"two weeks", 0, "not a duration"},
		{"1.5d", 0, "not a duration"},
		{"d", 0, "not a duration"},
		{"-3d", 0, "negative"},
		{"-1h", 0, "negative"},
	}
	for _, tt := range tests {
		got, err := config.ParseDuration(tt.in)
		if tt.wantErr != "" {
			require.ErrorContains(t, err, tt.wantErr, "ParseDuration(%q)", tt.in)
			continue
		}
		require.NoError(t, err, "ParseDuration(%q)", tt.in)
		require.Equal(t, tt.want, got, "ParseDuration(%q)", tt.in)
	}
}

func TestParsePolicy(t *testing.T) {
	defaults := lifecycle.DefaultPolicy()
	tests := []struct {
		name    string
		yaml    string
		want    lifecycle.Policy
		wantErr []string
	}{
		{"empty file keeps defaults", "", defaults, nil},
		{"all set", "min_gap: 3d\nrestock_window: 30d\nseason_fallback: 2160h\n",
			lifecycle.Policy{MinGap: 72 * time.Hour, RestockWindow: 30 * 24 * time.Hour, SeasonFallback: 90 * 24 * time.Hour, CapWindow: defaults.CapWindow}, nil},
		{"partial", "min_gap: 10s\n",
			lifecycle.Policy{MinGap: 10 * time.Second, RestockWindow: defaults.RestockWindow, SeasonFallback: defaults.SeasonFallback, CapWindow: defaults.CapWindow}, nil},
		{"contact policy", "quiet_hours: 21:00-08:00\nmax_per_window: 3\ncap_window: 30d\n",
			lifecycle.Policy{MinGap: defaults.MinGap, RestockWindow: defaults.RestockWindow, SeasonFallback: defaults.SeasonFallback,
				QuietHours: lifecycle.QuietHours{Start: 21 * 60, End: 8 * 60}, MaxPerWindow: 3, CapWindow: 30 * 24 * time.Hour}, nil},
		{"bad quiet hours and cap", "quiet_hours: evenings\nmax_per_window: -1\n", lifecycle.Policy{}, []string{"quiet_hours", "max_per_window"}},
		{"unknown key", "min_gapp: 3d\n", lifecycle.Policy{}, []string{"min_gapp", "known settings"}},
		{"every bad value reported", "min_gap: soon\nseason_fallback: -1d\n", lifecycle.Policy{}, []string{"min_gap", "season_fallback", "negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.ParsePolicy([]byte(tt.yaml), "policy.yaml")
			if len(tt.wantErr) > 0 {
				require.Error(t, err, "yaml %q", tt.yaml)
				for _, want := range tt.wantErr {
					require.Contains(t, err.Error(), want, "yaml %q", tt.yaml)
				}
				return
			}
			require.NoError(t, err, "yaml %q", tt.yaml)
			require.Equal(t, tt.want, got, "yaml %q", tt.yaml)
		})
	}
}

func TestFromEnv(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := config.FromEnv(func(string) string { return "" })
		require.NoError(t, err)
		require.Equal(t, config.DefaultTemporalAddress, c.TemporalAddress)
		require.Equal(t, config.DefaultNamespace, c.TemporalNamespace)
		require.Equal(t, config.DefaultSendGridBaseURL, c.SendGridBaseURL)
		require.Equal(t, lifecycle.DefaultPolicy(), c.Policy)
		require.Equal(t, "tailor@example.com", c.MailFrom.Address)
	})

	t.Run("every problem at once, no secret printed", func(t *testing.T) {
		policy := filepath.Join(t.TempDir(), "policy.yaml")
		require.NoError(t, os.WriteFile(policy, []byte("min_gap: never\n"), 0o600))
		env := map[string]string{
			"MAIL_FROM":        "not an address",
			"LIFECYCLE_CONFIG": policy,
			"SENDGRID_API_KEY": "SG.secret-value",
		}
		_, err := config.FromEnv(func(k string) string { return env[k] })
		require.Error(t, err)
		require.Contains(t, err.Error(), "MAIL_FROM")
		require.Contains(t, err.Error(), "min_gap")
		require.NotContains(t, err.Error(), "secret-value")
	})

	t.Run("missing policy file", func(t *testing.T) {
		_, err := config.FromEnv(func(k string) string {
			if k == "LIFECYCLE_CONFIG" {
				return "/nonexistent/policy.yaml"
			}
			return ""
		})
		require.ErrorContains(t, err, "LIFECYCLE_CONFIG")
		require.True(t, strings.Contains(err.Error(), "/nonexistent/policy.yaml"))
	})
}
