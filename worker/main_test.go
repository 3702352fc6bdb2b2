package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestArguments(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStderr bool
	}{
		{args: []string{"--help"}, code: 0, noStderr: true,
			stdout: []string{"usage: worker", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DATABASE_URL", "SENDGRID_API_KEY", "SENDGRID_BASE_URL", "MAIL_FROM", "LIFECYCLE_CONFIG", "starter setup"}},
		{args: []string{"-h"}, code: 0, noStderr: true, stdout: []string{"usage: worker"}},
		{args: []string{"--queue", "x"}, code: 2, stderr: []string{`unexpected argument "--queue"`, "worker --help"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := start(context.Background(), tt.args, &out, &errOut, func(string) string { return "" })
			assert.Equal(t, tt.code, code, "worker %q: stderr %q", tt.args, errOut.String())
			for _, want := range tt.stdout {
				assert.Contains(t, out.String(), want, "worker %q", tt.args)
			}
			for _, want := range tt.stderr {
				assert.Contains(t, errOut.String(), want, "worker %q", tt.args)
			}
			if tt.noStderr {
				assert.Empty(t, errOut.String(), "worker %q", tt.args)
			}
		})
	}
}

func TestBadConfigurationIsReportedWithoutConnecting(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"MAIL_FROM": "not an address", "SENDGRID_API_KEY": "SG.secret-key"}
	code := start(context.Background(), nil, &out, &errOut, func(k string) string { return env[k] })
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "MAIL_FROM")
	assert.NotContains(t, errOut.String(), "SG.secret-key", "the SendGrid key must never be logged")
}
