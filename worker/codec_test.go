package main

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/web"
)

// The codec endpoint is served by the worker's HTTP server next to the pages, only with keys.
func TestCodecEndpointIsMountedWithKeys(t *testing.T) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	env := map[string]string{
		"TAILOR_CODEC_KEYS": "k1:" + base64.StdEncoding.EncodeToString(key),
		"CODEC_AUTH_TOKEN":  "tok",
		"CODEC_CORS_ORIGIN": "https://temporal.example.com",
	}
	on, err := config.CodecFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	off, err := config.CodecFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	serve := func(c config.CodecConfig, method, auth string) *httptest.ResponseRecorder {
		h := web.New(web.Deps{Logger: logger, Routes: routes(&dependencies{}, nil, config.WebhookConfig{}, c, logger)})
		req := httptest.NewRequest(method, "/codec/decode", strings.NewReader(`{"payloads":[]}`))
		req.Header.Set("Origin", "https://temporal.example.com")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := serve(on, http.MethodPost, "Bearer tok")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "https://temporal.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	require.Equal(t, http.StatusUnauthorized, serve(on, http.MethodPost, "").Code)
	pre := serve(on, http.MethodOptions, "")
	require.Equal(t, http.StatusNoContent, pre.Code)
	require.Equal(t, "https://temporal.example.com", pre.Header().Get("Access-Control-Allow-Origin"))
	require.Equal(t, http.StatusNotFound, serve(off, http.MethodPost, "Bearer tok").Code, "no keys, no endpoint")
}
