package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
)

const linkSecret = "4f1c0a8e9b7d6c5a4f1c0a8e9b7d6c5a4f1c0a8e9b7d6c5a4f1c0a8e9b7d6c5a"

func TestHTTPFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		want     config.HTTPConfig
		problems []string // substrings; nil means valid
	}{
		{
			name: "defaults with a secret",
			env:  map[string]string{"LINK_SECRET": linkSecret},
			want: config.HTTPConfig{Addr: "127.0.0.1:8080", PublicBaseURL: "http://localhost:8080", LinkSecret: []byte(linkSecret), LinkTTL: 60 * 24 * time.Hour},
		},
		{
			name: "everything set",
			env:  map[string]string{"HTTP_ADDR": ":9000", "PUBLIC_BASE_URL": "https://shop.example.com/", "LINK_SECRET": linkSecret, "LINK_TTL": "30d"},
			want: config.HTTPConfig{Addr: ":9000", PublicBaseURL: "https://shop.example.com", LinkSecret: []byte(linkSecret), LinkTTL: 30 * 24 * time.Hour},
		},
		{
			name: "off without a secret",
			env:  map[string]string{"HTTP_ADDR": "off"},
			want: config.HTTPConfig{PublicBaseURL: "http://localhost:8080", LinkSecret: []byte{}, LinkTTL: 60 * 24 * time.Hour},
		},
		{
			name:     "on without a secret",
			env:      map[string]string{},
			problems: []string{"LINK_SECRET is not set", "openssl rand -hex 32", "HTTP_ADDR=off"},
		},
		{
			name:     "short secret even when off",
			env:      map[string]string{"HTTP_ADDR": "off", "LINK_SECRET": "short-secret-value"},
			problems: []string{"LINK_SECRET is 18 bytes, it must be at least 32", "openssl rand -hex 32"},
		},
		{
			name: "every problem at once",
			env:  map[string]string{"HTTP_ADDR": "8080", "PUBLIC_BASE_URL": "shop.example.com", "LINK_SECRET": "short-secret-value", "LINK_TTL": "soon"},
			problems: []string{
				`HTTP_ADDR "8080" is not host:port`,
				`PUBLIC_BASE_URL "shop.example.com" must be the absolute URL`,
				"LINK_SECRET is 18 bytes",
				`LINK_TTL: "soon" is not a duration`,
			},
		},
		{
			name:     "zero ttl",
			env:      map[string]string{"LINK_SECRET": linkSecret, "LINK_TTL": "0d"},
			problems: []string{"LINK_TTL must be longer than 0"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := config.HTTPFromEnv(func(k string) string { return tc.env[k] })
			if tc.problems == nil {
				require.NoError(t, err, "env %v", tc.env)
				assert.Equal(t, tc.want, got, "env %v", tc.env)
				assert.Equal(t, tc.want.Addr != "", got.Enabled())
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
	c, err := config.HTTPFromEnv(func(k string) string { return map[string]string{"LINK_SECRET": linkSecret}[k] })
	require.NoError(t, err)
	assert.False(t, strings.Contains(c.String(), linkSecret))
	assert.Contains(t, c.String(), "64 bytes")
}
