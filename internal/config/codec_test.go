package config_test

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
)

func TestLoadCodec(t *testing.T) {
	raw := make([]byte, 32)
	_, err := rand.Read(raw)
	require.NoError(t, err)
	key := base64.StdEncoding.EncodeToString(raw)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		enabled bool
		origin  string
		expect  string // "" means valid
	}{
		{name: "off", env: map[string]string{}, origin: "http://localhost:8233"},
		{name: "on", env: map[string]string{"TAILOR_CODEC_KEYS": "k2:" + key + ",k1:" + key}, enabled: true, origin: "http://localhost:8233"},
		{name: "origin", env: map[string]string{"TAILOR_CODEC_KEYS": "k1:" + key, "CODEC_CORS_ORIGIN": "https://ui.example.com/"}, enabled: true, origin: "https://ui.example.com"},
		{name: "bad keys", env: map[string]string{"TAILOR_CODEC_KEYS": "k1:" + key[:20]}, expect: "TAILOR_CODEC_KEYS: entry 1"},
		{name: "bad origin", env: map[string]string{"TAILOR_CODEC_KEYS": "k1:" + key, "CODEC_CORS_ORIGIN": "localhost:8233"}, expect: "CODEC_CORS_ORIGIN"},
		{name: "token without keys", env: map[string]string{"CODEC_AUTH_TOKEN": "t0ken"}, expect: "CODEC_AUTH_TOKEN is set but TAILOR_CODEC_KEYS is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"LINK_SECRET": linkSecret}
			for k, v := range tc.env {
				env[k] = v
			}
			w, err := loadWorker(env)
			c := w.Codec
			if tc.expect != "" {
				require.ErrorContains(t, err, tc.expect)
				require.NotContains(t, err.Error(), key[:20], "keys never appear in errors")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.enabled, c.Enabled())
			require.Equal(t, tc.enabled, c.DataConverter() != nil)
			require.Equal(t, tc.enabled, c.FailureConverter() != nil)
			require.Equal(t, tc.origin, c.CORSOrigin)
			require.False(t, strings.Contains(c.String(), key), "String never prints keys: %s", c.String())

			// The starter encrypts with the same keys; the codec endpoint's settings are the worker's.
			s, err := config.LoadStarter(func(k string) string { return env[k] })
			require.NoError(t, err, "env %v", env)
			require.Equal(t, tc.enabled, s.Codec.Enabled(), "starter, env %v", env)
		})
	}
}
