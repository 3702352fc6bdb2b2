package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/metrics"
)

const testLinkSecret = "c8f2a71e94b03d5f6a2c8e1b7d40f39a5e6b2c17d8f03a4e9b1c6d2f7a85e03b" // openssl rand -hex 32

func codecKeys(t *testing.T) (spec, key string) {
	t.Helper()
	raw := make([]byte, 32)
	_, err := rand.Read(raw)
	require.NoError(t, err)
	key = base64.StdEncoding.EncodeToString(raw)
	return "k1:" + key, key
}

// serveBoth starts the worker's two listeners as start() does, from env, on free ports, and
// returns their base URLs; they stop when the test ends.
func serveBoth(t *testing.T, env map[string]string) (public, operator string) {
	t.Helper()
	cfg, err := config.LoadWorker(func(k string) string { return env[k] })
	require.NoError(t, err, "env %v", env)
	httpCfg, codecCfg := cfg.HTTP, cfg.Codec
	m, err := metrics.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })

	publicLn, opsLn, err := listen(httpCfg)
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	publicH, opsH := handlers(&dependencies{metrics: m}, nil, nil, config.WebhookConfig{}, codecCfg, httpCfg, logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- serveHTTP(ctx, publicLn, publicH, logger) }()
	go func() { done <- serveHTTP(ctx, opsLn, opsH, logger) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, <-done)
	})
	return "http://" + publicLn.Addr().String(), "http://" + opsLn.Addr().String()
}

func request(t *testing.T, method, url, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// The customers' listener serves no operator endpoint: an anonymous POST /codec/decode there
// finds nothing, even with the codec on and no token (the finding 1), and neither does
// /metrics. The operator listener serves them, and the health that says what is wrong.
func TestOperatorEndpointsAreOnlyOnOpsAddr(t *testing.T) {
	keys, key := codecKeys(t)
	cfg, err := config.LoadWorker(func(k string) string {
		return map[string]string{"TAILOR_CODEC_KEYS": keys, "LINK_SECRET": testLinkSecret}[k]
	})
	require.NoError(t, err)
	codecCfg := cfg.Codec
	enc, err := codecCfg.Codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"david@example.com"`)}})
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"codec without a token on loopback", ""},
		{"codec with a token", "ops-token-6b1f0c2e"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"LINK_SECRET": testLinkSecret, "HTTP_ADDR": "127.0.0.1:0", "OPS_ADDR": "127.0.0.1:0",
				"TAILOR_CODEC_KEYS": keys, "CODEC_AUTH_TOKEN": tc.token,
			}
			public, operator := serveBoth(t, env)
			auth, anonymous := "", http.StatusOK
			if tc.token != "" {
				auth, anonymous = "Bearer "+tc.token, http.StatusUnauthorized
			}
			for _, r := range []struct {
				method, path, auth string
				public, ops        int
			}{
				{"POST", "/codec/decode", "", http.StatusNotFound, anonymous},
				{"POST", "/codec/decode", auth, http.StatusNotFound, http.StatusOK},
				{"POST", "/codec/encode", auth, http.StatusNotFound, http.StatusOK},
				{"OPTIONS", "/codec/decode", "", http.StatusNotFound, http.StatusNoContent},
				{"GET", "/metrics", "", http.StatusNotFound, http.StatusOK},
				{"GET", "/healthz", "", http.StatusOK, http.StatusOK},
				{"POST", "/u/anything", "", http.StatusBadRequest, http.StatusNotFound},
			} {
				code, got := request(t, r.method, public+r.path, r.auth, string(body))
				assert.Equal(t, r.public, code, "%s %s on HTTP_ADDR (auth %q): %.200s", r.method, r.path, r.auth, got)
				assert.NotContains(t, got, base64.StdEncoding.EncodeToString([]byte(`"david@example.com"`)), "%s %s on HTTP_ADDR decrypted a payload", r.method, r.path)
				code, got = request(t, r.method, operator+r.path, r.auth, string(body))
				assert.Equal(t, r.ops, code, "%s %s on OPS_ADDR (auth %q): %.200s", r.method, r.path, r.auth, got)
			}
			_, page := request(t, "GET", operator+"/metrics", "", "")
			assert.Contains(t, page, "go_goroutines", "GET /metrics on OPS_ADDR is Prometheus text")
			assert.NotContains(t, page, key)
		})
	}
}

// The worker refuses a codec endpoint that other machines reach without a token, before
// connecting to anything, and names every other problem with it.
func TestExposedCodecWithoutTokenIsRefused(t *testing.T) {
	keys, key := codecKeys(t)
	for _, tc := range []struct {
		opsAddr string
		refused bool
	}{
		{":9090", true},
		{"0.0.0.0:9090", true},
		{"203.0.113.7:9090", true},
		{"127.0.0.1:9090", false},
		{"localhost:9090", false},
	} {
		t.Run(tc.opsAddr, func(t *testing.T) {
			env := map[string]string{"LINK_SECRET": testLinkSecret, "TAILOR_CODEC_KEYS": keys, "OPS_ADDR": tc.opsAddr, "MAIL_FROM": "not an address"}
			var out, errOut bytes.Buffer
			code := start(context.Background(), nil, &out, &errOut, func(k string) string { return env[k] })
			assert.Equal(t, 1, code, "OPS_ADDR %s: stderr %s", tc.opsAddr, errOut.String())
			assert.Contains(t, errOut.String(), "MAIL_FROM", "OPS_ADDR %s: every problem at once", tc.opsAddr)
			if tc.refused {
				assert.Contains(t, errOut.String(), "CODEC_AUTH_TOKEN is not set", "OPS_ADDR %s", tc.opsAddr)
				assert.Contains(t, errOut.String(), tc.opsAddr, "OPS_ADDR %s: the error names the address", tc.opsAddr)
			} else {
				assert.NotContains(t, errOut.String(), "CODEC_AUTH_TOKEN", "OPS_ADDR %s: loopback needs no token", tc.opsAddr)
			}
			assert.NotContains(t, errOut.String(), key, "codec keys are never logged")
			assert.NotContains(t, errOut.String(), testLinkSecret, "the link secret is never logged")
		})
	}
}
