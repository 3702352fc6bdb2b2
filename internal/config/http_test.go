package config_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
)

const linkSecret = "a50ce5a2cf3787b3754a34994e43fb0c4584ea3d2316f8d5169ca0808f068f4f" // openssl rand -hex 32

// loadWorker is config.LoadWorker over env.
func loadWorker(env map[string]string) (config.Worker, error) {
	return config.LoadWorker(func(k string) string { return env[k] })
}

func TestLoadWorkerHTTP(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		want     config.HTTPConfig
		problems []string // substrings; nil means valid
	}{
		{
			name: "defaults with a secret",
			env:  map[string]string{"LINK_SECRET": linkSecret},
			want: config.HTTPConfig{Addr: "127.0.0.1:8080", OpsAddr: "127.0.0.1:9090", PublicBaseURL: "http://localhost:8080", LinkSecret: []byte(linkSecret), LinkTTL: 60 * 24 * time.Hour},
		},
		{
			name: "everything set",
			env:  map[string]string{"HTTP_ADDR": ":9000", "OPS_ADDR": "10.0.0.5:9100", "PUBLIC_BASE_URL": "https://shop.example.com/", "LINK_SECRET": linkSecret, "LINK_TTL": "30d"},
			want: config.HTTPConfig{Addr: ":9000", OpsAddr: "10.0.0.5:9100", PublicBaseURL: "https://shop.example.com", LinkSecret: []byte(linkSecret), LinkTTL: 30 * 24 * time.Hour},
		},
		{
			name: "off",
			env:  map[string]string{"HTTP_ADDR": "off", "OPS_ADDR": "OFF", "LINK_SECRET": linkSecret},
			want: config.HTTPConfig{PublicBaseURL: "http://localhost:8080", LinkSecret: []byte(linkSecret), LinkTTL: 60 * 24 * time.Hour},
		},
		{
			name:     "on without a secret",
			env:      map[string]string{},
			problems: []string{"LINK_SECRET is not set", "openssl rand -hex 32", "the worker's pages check them"},
		},
		{
			// Every email carries signed links, so HTTP_ADDR=off is no way around it.
			name:     "off without a secret",
			env:      map[string]string{"HTTP_ADDR": "off"},
			problems: []string{"LINK_SECRET is not set", "every email carries links signed with it", "openssl rand -hex 32"},
		},
		{
			name:     "short secret even when off",
			env:      map[string]string{"HTTP_ADDR": "off", "LINK_SECRET": "short-secret-value"},
			problems: []string{"LINK_SECRET: 18 bytes, it must be at least 32", "openssl rand -hex 32"},
		},
		{
			name: "every problem at once",
			env:  map[string]string{"HTTP_ADDR": "8080", "PUBLIC_BASE_URL": "shop.example.com", "LINK_SECRET": "short-secret-value", "LINK_TTL": "soon"},
			problems: []string{
				`HTTP_ADDR: "8080" is not host:port`,
				`PUBLIC_BASE_URL: "shop.example.com" must be the absolute URL`,
				"LINK_SECRET: 18 bytes",
				`LINK_TTL: "soon" is not a duration`,
			},
		},
		{
			name:     "ops address is not host:port",
			env:      map[string]string{"LINK_SECRET": linkSecret, "OPS_ADDR": "9090"},
			problems: []string{`OPS_ADDR: "9090" is not host:port`, `"off" to serve no operator endpoints`},
		},
		{
			name:     "ops address is the pages' address",
			env:      map[string]string{"LINK_SECRET": linkSecret, "HTTP_ADDR": ":8080", "OPS_ADDR": ":8080"},
			problems: []string{`OPS_ADDR and HTTP_ADDR are both ":8080"`},
		},
		{
			name: "any free port for both",
			env:  map[string]string{"LINK_SECRET": linkSecret, "HTTP_ADDR": "127.0.0.1:0", "OPS_ADDR": "127.0.0.1:0"},
			want: config.HTTPConfig{Addr: "127.0.0.1:0", OpsAddr: "127.0.0.1:0", PublicBaseURL: "http://localhost:8080", LinkSecret: []byte(linkSecret), LinkTTL: 60 * 24 * time.Hour},
		},
		{
			name:     "zero ttl",
			env:      map[string]string{"LINK_SECRET": linkSecret, "LINK_TTL": "0d"},
			problems: []string{`LINK_TTL: "0d" must be more than 0, e.g. 60d`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := loadWorker(tc.env)
			got := w.HTTP
			if tc.problems == nil {
				require.NoError(t, err, "env %v", tc.env)
				assert.Equal(t, tc.want, got, "env %v", tc.env)
				assert.Equal(t, tc.want.Addr != "", got.Enabled())
				assert.Equal(t, tc.want.OpsAddr != "", got.OpsEnabled())
				return
			}
			require.Error(t, err, "env %v", tc.env)
			for _, p := range tc.problems {
				assert.Contains(t, err.Error(), p, "env %v", tc.env)
			}
			if s := tc.env["LINK_SECRET"]; s != "" {
				assert.NotContains(t, err.Error(), s, "the secret must never appear in an error")
			}
		})
	}
}

func TestHTTPConfigStringHidesTheSecret(t *testing.T) {
	w, err := loadWorker(map[string]string{"LINK_SECRET": linkSecret})
	require.NoError(t, err)
	c := w.HTTP
	assert.False(t, strings.Contains(c.String(), linkSecret))
	assert.Contains(t, c.String(), "64 bytes")
}

// A LINK_SECRET that is long enough but known or patterned is refused, even with HTTP off (the
// worker still signs the links in its emails); a value from `openssl rand -hex 32` is accepted.
func TestLinkSecretStrength(t *testing.T) {
	for _, tc := range []struct {
		name, secret string
		problem      string // "" means accepted
	}{
		{"openssl rand -hex 32", "9b2e4f7a1c0d83e65fa4b7c2d91e0a3f6b8c5d2e7f1a4b09c3d6e8f2a5b7c1d4", ""},
		{"openssl rand -base64 32", "q3ZP1x0vYt8mJrQ2k9LcWfN4hB6sD7uEaG5oTiVyXKw=", ""},
		{"the tests' own constant", linkSecret, ""},
		{"a passphrase", "correct horse battery staple, said the shop keeper in 2026", ""},
		{"docker-compose.yml's old fallback", "compose-demo-only-link-secret-not-for-production", "an example from Tailor's own files"},
		{"the simulation's secret", "simulation-only-secret-never-used-in-production", "an example from Tailor's own files"},
		{"a placeholder", "please-change-me-before-going-live-0123", `"change-me"`},
		{"an unexpanded command", "$(openssl rand -hex 32)-$(openssl rand -hex 32)", `"openssl rand"`},
		{"one repeated character", strings.Repeat("a", 64), "1 different characters"},
		{"two characters", strings.Repeat("ab", 20), "2 different characters"},
		{"0123456789abcdef repeated", strings.Repeat("0123456789abcdef", 4), "mostly repeats itself"},
		{"a word repeated", strings.Repeat("tailor-secret-", 4), "mostly repeats itself"},
		{"the alphabet", "abcdefghijklmnopqrstuvwxyz0123456789", "mostly counts up"},
		{"counting down", "zyxwvutsrqponmlkjihgfedcba9876543210", "mostly counts up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, addr := range []string{"", "off"} {
				env := map[string]string{"LINK_SECRET": tc.secret, "HTTP_ADDR": addr}
				_, err := loadWorker(env)
				if tc.problem == "" {
					require.NoError(t, err, "LINK_SECRET %q, HTTP_ADDR %q", tc.secret, addr)
					continue
				}
				require.Error(t, err, "LINK_SECRET %q, HTTP_ADDR %q: want refused (%s)", tc.secret, addr, tc.problem)
				assert.Contains(t, err.Error(), "LINK_SECRET: looks like an example or has too little randomness", "LINK_SECRET %q", tc.secret)
				assert.Contains(t, err.Error(), tc.problem, "LINK_SECRET %q", tc.secret)
				assert.Contains(t, err.Error(), "openssl rand -hex 32", "LINK_SECRET %q", tc.secret)
				assert.NotContains(t, err.Error(), tc.secret, "the secret must never appear in an error")
			}
		})
	}
}

// Random secrets are never refused: 20,000 values like `openssl rand -hex 32` and like
// `openssl rand -base64 32` all pass, so the rule cannot fail a real deployment by bad luck.
func TestRandomLinkSecretsAreAccepted(t *testing.T) {
	raw := make([]byte, 32)
	for i := range 10000 {
		_, _ = rand.Read(raw)
		for _, secret := range []string{hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw)} {
			env := map[string]string{"LINK_SECRET": secret}
			_, err := loadWorker(env)
			require.NoError(t, err, "random LINK_SECRET %q (value %d)", secret, i)
		}
	}
}

func TestCodecEndpointProblem(t *testing.T) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	keys := "k1:" + base64.StdEncoding.EncodeToString(raw)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		refused bool
	}{
		{"default loopback, no token", map[string]string{"TAILOR_CODEC_KEYS": keys}, false},
		{"localhost, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "localhost:9090"}, false},
		{"127.0.0.2, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "127.0.0.2:9090"}, false},
		{"::1, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "[::1]:9090"}, false},
		{"every interface, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": ":9090"}, true},
		{"0.0.0.0, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "0.0.0.0:9090"}, true},
		{"[::], no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "[::]:9090"}, true},
		{"a public IP, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "203.0.113.7:9090"}, true},
		{"a host name, no token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "ops.internal:9090"}, true},
		{"every interface with a token", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": ":9090", "CODEC_AUTH_TOKEN": "b7c1d4e9f2a5"}, false},
		{"every interface without keys", map[string]string{"OPS_ADDR": ":9090"}, false},
		{"ops off", map[string]string{"TAILOR_CODEC_KEYS": keys, "OPS_ADDR": "off"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"LINK_SECRET": linkSecret}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := loadWorker(env)
			if !tc.refused {
				require.NoError(t, err, "env %v", tc.env)
				return
			}
			require.Error(t, err, "env %v: a codec endpoint others reach without a token must be refused", tc.env)
			assert.Contains(t, err.Error(), "CODEC_AUTH_TOKEN is not set", "env %v", tc.env)
			assert.Contains(t, err.Error(), tc.env["OPS_ADDR"], "env %v", tc.env)
			assert.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString(raw), "keys never appear in errors")
		})
	}
}
