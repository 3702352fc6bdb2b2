package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			stdout: []string{"usage: worker", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DATABASE_URL", "SENDGRID_API_KEY", "SENDGRID_BASE_URL", "MAIL_FROM", "LIFECYCLE_CONFIG", "HTTP_ADDR", "OPS_ADDR", "PUBLIC_BASE_URL", "LINK_SECRET", "LINK_TTL",
				"WORKFLOW_CACHE_SIZE", "SENDING_PAUSE_PROBE", "(default 60d)", "(default 2000)", "starter setup"}},
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

func TestLinkSecretProblemsAreReportedWithoutConnecting(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"missing with HTTP on", map[string]string{}, []string{"LINK_SECRET is not set", "openssl rand -hex 32"}},
		{"missing with HTTP off", map[string]string{"HTTP_ADDR": "off"}, []string{"LINK_SECRET is not set", "every email carries links"}},
		{"too short, with other problems", map[string]string{"LINK_SECRET": "hunter2-hunter2", "MAIL_FROM": "nope"}, []string{"LINK_SECRET: 15 bytes", "MAIL_FROM"}},
		{"docker-compose.yml's old fallback", map[string]string{"LINK_SECRET": "compose-demo-only-link-secret-not-for-production", "HTTP_ADDR": "off"},
			[]string{"LINK_SECRET: looks like an example or has too little randomness", "openssl rand -hex 32"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := start(context.Background(), nil, &out, &errOut, func(k string) string { return tc.env[k] })
			assert.Equal(t, 1, code, "env %v", tc.env)
			for _, want := range tc.want {
				assert.Contains(t, errOut.String(), want, "env %v", tc.env)
			}
			if s := tc.env["LINK_SECRET"]; s != "" {
				assert.NotContains(t, errOut.String(), s, "the link secret must never be logged")
			}
		})
	}
}

func TestServeHTTPStopsGracefullyWithItsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, mux, slog.New(slog.DiscardHandler)) }()

	url := "http://" + ln.Addr().String() + "/slow"
	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			answered <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- string(body)
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the handler")
	}

	cancel()
	// A negative check needs a window: Shutdown must wait for the request in flight.
	select {
	case err := <-done:
		t.Fatalf("serveHTTP returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	assert.Equal(t, "finished", <-answered, "the request in flight is answered")
	require.NoError(t, <-done)
	_, err = http.Get(url)
	assert.Error(t, err, "no longer serving after the context ends")
}
