package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/metrics"
)

func TestLogsRedactEmailAddresses(t *testing.T) {
	tests := []struct {
		name        string
		log         func(l *slog.Logger)
		want, never string
	}{
		{"message", func(l *slog.Logger) { l.Info("mail to david@example.com failed") },
			"d***@example.com", "david@example.com"},
		{"string attribute", func(l *slog.Logger) { l.Info("sent", "to", "Jan.Jansen+shop@mail.example.nl") },
			"J***@mail.example.nl", "Jan.Jansen"},
		{"error attribute", func(l *slog.Logger) {
			l.Info("send failed", "error", fmt.Errorf("send to %s: %w", "ann@example.org", errors.New("400")))
		}, "a***@example.org", "ann@example.org"},
		{"two addresses in one value", func(l *slog.Logger) { l.Info("merge", "ids", "a@x.io and bob@y.io") },
			"a***@x.io and b***@y.io", "bob@y.io"},
		{"internationalised address", func(l *slog.Logger) { l.Info("mail to jörg@bücher.example failed") },
			"j***@bücher.example", "jörg@"},
		{"address in another script", func(l *slog.Logger) { l.Info("sent", "to", "östen@例え.jp") },
			"ö***@例え.jp", "östen@"},
		{"domain literal", func(l *slog.Logger) { l.Info("sent", "to", "user@[192.0.2.1]") },
			"u***@[192.0.2.1]", "user@"},
		{"no address is left alone", func(l *slog.Logger) { l.Info("connected", "database", "localhost:5432/tailor", "n", 3) },
			`"database":"localhost:5432/tailor","n":3`, "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := newLogger(&buf)
			tt.log(logger.With("component", "test"))
			assert.Contains(t, buf.String(), tt.want, "log line %s", buf.String())
			assert.NotContains(t, buf.String(), tt.never, "log line %s", buf.String())
		})
	}
}

func TestSecretsAreNeverLogged(t *testing.T) {
	secrets := map[string]string{
		"LINK_SECRET":       "8decb0475c3a9d00b0277b747eafea961fed6c56bfd743d0",
		"SENDGRID_API_KEY":  "SG.very-secret-sendgrid-key",
		"TAILOR_CODEC_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"CODEC_AUTH_TOKEN":  "codec-bearer-token-secret",
	}
	for _, tc := range []struct {
		name  string
		extra map[string]string
	}{
		{"configuration is wrong", map[string]string{"MAIL_FROM": "nope", "WORKFLOW_CACHE_SIZE": "lots"}},
		{"PostgreSQL is unreachable", map[string]string{"DATABASE_URL": "postgres://tailor:pw@127.0.0.1:1/tailor?connect_timeout=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range secrets {
				env[k] = v
			}
			for k, v := range tc.extra {
				env[k] = v
			}
			var out, errOut bytes.Buffer
			code := start(context.Background(), nil, &out, &errOut, func(k string) string { return env[k] })
			require.Equal(t, 1, code, "stderr: %s", errOut.String())
			for name, secret := range secrets {
				assert.NotContains(t, errOut.String(), secret, "%s must never be logged", name)
			}
		})
	}
}

func TestMetricsAreServed(t *testing.T) {
	m, err := metrics.New()
	require.NoError(t, err)
	defer m.Close()
	m.CountEmail("sale", "sent", "none")
	m.CountAuthFailure(401)
	logger := newLogger(&bytes.Buffer{})
	_, h := handlers(&dependencies{metrics: m}, nil, nil, config.WebhookConfig{}, config.CodecConfig{}, config.HTTPConfig{OpsAddr: config.DefaultOpsAddr}, logger)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), `tailor_emails_total{kind="sale",outcome="sent",reason="none"} 1`)
	assert.Contains(t, rec.Body.String(), `tailor_provider_auth_failures_total{status="401"} 1`)
}
