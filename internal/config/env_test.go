package config_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendinggate"
)

func TestLoadWorker(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := loadWorker(map[string]string{"LINK_SECRET": linkSecret})
		require.NoError(t, err)
		require.Equal(t, config.DefaultTemporalAddress, c.Temporal.HostPort)
		require.Equal(t, config.DefaultNamespace, c.Temporal.Namespace)
		require.Equal(t, config.DefaultDatabaseURL, c.DatabaseURL)
		require.Equal(t, config.DefaultSendGridBaseURL, c.SendGridBaseURL)
		require.Equal(t, config.DefaultOutboxDir, c.OutboxDir)
		require.Equal(t, lifecycle.DefaultPolicy(), c.Policy)
		require.Equal(t, "tailor@example.com", c.MailFrom.Address)
		require.Empty(t, c.Signature, "no MAIL_FROM: emails are signed in the customer's language")
		require.Equal(t, config.DefaultWorkflowCacheSize, c.WorkflowCacheSize)
		require.Equal(t, sendinggate.Config{ProbeInterval: sendinggate.DefaultProbeInterval, HoldMax: sendinggate.DefaultHoldMax}, c.SendingPause)
		require.Equal(t, 10*time.Minute, c.Webhook.Tolerance)
		require.Equal(t, "http://localhost:8233", c.Codec.CORSOrigin)
	})

	t.Run("MAIL_FROM names the shop that signs the emails", func(t *testing.T) {
		for from, signature := range map[string]string{
			"Mobiel NL <hallo@mobiel.example>":         "Mobiel NL",
			`"Smith & Daughters" <shop@smith.example>`: "Smith & Daughters",
			"shop@example.com":                         "", // no name: the default signature
		} {
			c, err := loadWorker(map[string]string{"MAIL_FROM": from, "LINK_SECRET": linkSecret})
			require.NoError(t, err, from)
			require.Equal(t, signature, c.Signature, from)
		}
	})

	t.Run("every problem at once, no secret printed", func(t *testing.T) {
		policy := filepath.Join(t.TempDir(), "policy.yaml")
		require.NoError(t, os.WriteFile(policy, []byte("min_gap: never\n"), 0o600))
		env := map[string]string{
			"MAIL_FROM":           "not an address",
			"LIFECYCLE_CONFIG":    policy,
			"SENDGRID_API_KEY":    "SG.secret-value",
			"WORKFLOW_CACHE_SIZE": "2k",
			"SENDING_PAUSE_PROBE": "soon",
			"TEMPORAL_TLS":        "maybe",
		}
		_, err := loadWorker(env)
		require.Error(t, err)
		for _, want := range []string{
			`MAIL_FROM: "not an address" is not an email address`,
			"min_gap",
			"LINK_SECRET is not set",
			`WORKFLOW_CACHE_SIZE: "2k" is not a positive number of workflows, like 2000`,
			`SENDING_PAUSE_PROBE: "soon" is not a duration`,
			`TEMPORAL_TLS "maybe" is not true or false`,
		} {
			require.Contains(t, err.Error(), want, "env %v", env)
		}
		require.NotContains(t, err.Error(), "secret-value")
	})

	t.Run("SHOPIFY_WEBHOOK_SECRET turns the Shopify webhook on; a short one is refused unquoted", func(t *testing.T) {
		c, err := loadWorker(map[string]string{"LINK_SECRET": linkSecret})
		require.NoError(t, err)
		require.False(t, c.Shopify.Enabled(), "unset: off")
		c, err = loadWorker(map[string]string{"LINK_SECRET": linkSecret, "SHOPIFY_WEBHOOK_SECRET": " 9f86d081884c7d659a2feaa0c55ad015 \n"})
		require.NoError(t, err)
		require.Equal(t, []byte("9f86d081884c7d659a2feaa0c55ad015"), c.Shopify.Secret, "a pasted newline is not part of the secret")
		_, err = loadWorker(map[string]string{"LINK_SECRET": linkSecret, "SHOPIFY_WEBHOOK_SECRET": "shpss_abc"})
		require.ErrorContains(t, err, "SHOPIFY_WEBHOOK_SECRET: 9 bytes, want at least 16")
		require.NotContains(t, err.Error(), "shpss_abc")
	})

	t.Run("missing policy file", func(t *testing.T) {
		_, err := loadWorker(map[string]string{"LIFECYCLE_CONFIG": "/nonexistent/policy.yaml", "LINK_SECRET": linkSecret})
		require.ErrorContains(t, err, "LIFECYCLE_CONFIG")
		require.ErrorContains(t, err, "/nonexistent/policy.yaml")
	})
}

func TestLoadWorkerCacheAndSendingPause(t *testing.T) {
	for _, tt := range []struct {
		env     map[string]string
		check   func(t *testing.T, w config.Worker)
		wantErr string
	}{
		{env: map[string]string{"WORKFLOW_CACHE_SIZE": "500"}, check: func(t *testing.T, w config.Worker) { assert.Equal(t, 500, w.WorkflowCacheSize) }},
		{env: map[string]string{"WORKFLOW_CACHE_SIZE": "0"}, wantErr: `WORKFLOW_CACHE_SIZE: "0" is not a positive number`},
		{env: map[string]string{"WORKFLOW_CACHE_SIZE": "-1"}, wantErr: `WORKFLOW_CACHE_SIZE: "-1" is not a positive number`},
		{env: map[string]string{"SENDING_PAUSE_PROBE": "1s", "SENDING_PAUSE_HOLD_MAX": "2s"}, check: func(t *testing.T, w config.Worker) {
			assert.Equal(t, sendinggate.Config{ProbeInterval: time.Second, HoldMax: 2 * time.Second}, w.SendingPause)
		}},
		{env: map[string]string{"SENDING_PAUSE_PROBE": "2m"}, check: func(t *testing.T, w config.Worker) {
			assert.Equal(t, sendinggate.Config{ProbeInterval: 2 * time.Minute, HoldMax: sendinggate.DefaultHoldMax}, w.SendingPause)
		}},
		{env: map[string]string{"SENDING_PAUSE_HOLD_MAX": "0s"}, wantErr: `SENDING_PAUSE_HOLD_MAX: "0s" must be more than 0, e.g. 15m`},
		{env: map[string]string{"SENDING_PAUSE_PROBE": "1h", "SENDING_PAUSE_HOLD_MAX": "1m"}, wantErr: "SENDING_PAUSE_PROBE 1h is longer than SENDING_PAUSE_HOLD_MAX 1m"},
		{env: map[string]string{"SENDING_PAUSE_PROBE": "1h"}, wantErr: "SENDING_PAUSE_PROBE 1h is longer than SENDING_PAUSE_HOLD_MAX 15m"},
	} {
		env := map[string]string{"LINK_SECRET": linkSecret}
		for k, v := range tt.env {
			env[k] = v
		}
		w, err := loadWorker(env)
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "env %v", tt.env)
			continue
		}
		if assert.NoError(t, err, "env %v", tt.env) {
			tt.check(t, w)
		}
	}
}

// The starter reads only its settings: a worker-only mistake does not stop it, and it needs no
// LINK_SECRET.
func TestLoadStarter(t *testing.T) {
	env := map[string]string{"MAIL_FROM": "not an address", "HTTP_ADDR": "8080", "OUTBOX_DIR": "mail", "SENDGRID_API_KEY": "SG.x"}
	s, err := config.LoadStarter(func(k string) string { return env[k] })
	require.NoError(t, err, "env %v", env)
	require.Equal(t, "mail", s.OutboxDir)
	require.Equal(t, "SG.x", s.SendGridAPIKey)
	require.Equal(t, config.DefaultTemporalAddress, s.Temporal.HostPort)

	env = map[string]string{"LIFECYCLE_CONFIG": "/nonexistent/policy.yaml", "TAILOR_CODEC_KEYS": "k1:short", "TEMPORAL_TLS": "maybe"}
	_, err = config.LoadStarter(func(k string) string { return env[k] })
	for _, want := range []string{"LIFECYCLE_CONFIG", "TAILOR_CODEC_KEYS: ", "TEMPORAL_TLS"} {
		require.ErrorContains(t, err, want, "env %v: every problem at once", env)
	}
}

// Every default is written the way a person sets the variable, and parses.
func TestSettingDefaultsParse(t *testing.T) {
	env := map[string]string{"LINK_SECRET": linkSecret}
	for _, s := range config.Settings() {
		if s.Default != "" {
			env[s.Name] = s.Default
		}
	}
	set, err := loadWorker(env)
	require.NoError(t, err, "every default given explicitly: %v", env)
	unset, err := loadWorker(map[string]string{"LINK_SECRET": linkSecret, "MAIL_FROM": config.DefaultMailFrom})
	require.NoError(t, err)
	require.Equal(t, unset, set, "setting each variable to its default changes nothing")
}

// The --help lists come from the settings: every variable a binary reads, with its default.
func TestWriteEnvironment(t *testing.T) {
	for _, b := range []config.Binary{config.ForWorker, config.ForStarter} {
		var out bytes.Buffer
		require.NoError(t, config.WriteEnvironment(&out, b))
		for _, s := range config.Settings() {
			if s.For&b == 0 {
				require.NotContains(t, out.String(), "  "+s.Name+" ", "binary %d lists a variable it does not read", b)
				continue
			}
			require.Contains(t, out.String(), "  "+s.Name+" ", "binary %d", b)
			if s.Default != "" {
				require.Contains(t, out.String(), "(default "+s.Default+")", "%s", s.Name)
			}
		}
	}
}

// readmeRow is one row of the README's configuration table.
var readmeRow = regexp.MustCompile("^\\| (`[A-Z_*]+`(?:, `[A-Z_*]+`)*) \\|([^|]*)\\|(.*)\\|$")

// The README's configuration table names exactly the variables the binaries read, with their
// defaults, and marks those only the worker reads.
func TestREADMEConfigurationTable(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	defer f.Close()
	settings := config.Settings()
	covered := map[string]bool{}
	sc := bufio.NewScanner(f)
	inTable := false
	for sc.Scan() {
		line := sc.Text()
		if line == "### Configuration" {
			inTable = true
			continue
		}
		if !inTable {
			continue
		}
		if strings.HasPrefix(line, "```") {
			break // the table ends before the policy example
		}
		m := readmeRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		names := strings.Split(strings.ReplaceAll(m[1], "`", ""), ", ")
		def, help := strings.TrimSpace(m[2]), strings.TrimSpace(m[3])
		for _, name := range names {
			var matched []config.Setting
			for _, s := range settings {
				if s.Name == name || (strings.HasSuffix(name, "*") && strings.HasPrefix(s.Name, strings.TrimSuffix(name, "*"))) {
					matched = append(matched, s)
					covered[s.Name] = true
				}
			}
			require.NotEmpty(t, matched, "README names %s, which no binary reads", name)
			if len(names) > 1 {
				continue // a row of several variables gives no one default
			}
			s := matched[0]
			if s.Default != "" {
				assert.Equal(t, "`"+s.Default+"`", def, "README default of %s", s.Name)
			} else {
				assert.True(t, strings.HasPrefix(def, "*("), "README default of %s: want *(none)*, *(off)* or the like, got %q", s.Name, def)
			}
			assert.Equal(t, s.For == config.ForWorker, strings.HasPrefix(help, "worker only"),
				"README on %s: starts with \"worker only\" exactly when only the worker reads it", s.Name)
		}
	}
	require.NoError(t, sc.Err())
	for _, s := range settings {
		assert.True(t, covered[s.Name], "README's configuration table lacks %s", s.Name)
	}
	require.True(t, slices.ContainsFunc(settings, func(s config.Setting) bool { return covered[s.Name] }), "no configuration table found in README.md")
}
