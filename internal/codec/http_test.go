package codec_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tailorhq/tailor/internal/codec"
)

func TestHandler(t *testing.T) {
	c := newCodec(t, "k1:"+randomKey(t))
	enc, err := c.Encode([]*commonpb.Payload{payload(t, "Grey is back in your size")})
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)

	const ui = "http://localhost:8233"
	h := codec.Handler(c, codec.HandlerOptions{AuthToken: "s3cret"})
	do := func(method, path, auth, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	for _, tc := range []struct {
		name, method, path, auth, origin string
		status                           int
		allowOrigin                      string
		bodyHas                          string
	}{
		{"decode with the token", "POST", "/codec/decode", "Bearer s3cret", ui, 200, ui, `"encoding":"anNvbi9wbGFpbg=="`}, // json/plain,
		{"no token", "POST", "/codec/decode", "", ui, 401, ui, "Bearer"},
		{"wrong token", "POST", "/codec/decode", "Bearer nope", "", 401, "", ""},
		{"token without Bearer", "POST", "/codec/decode", "s3cret", "", 401, "", ""},
		{"preflight needs no token", "OPTIONS", "/codec/decode", "", ui, 204, ui, ""},
		{"foreign origin gets no CORS grant", "OPTIONS", "/codec/decode", "", "https://evil.example", 204, "", ""},
		{"unknown path", "POST", "/codec/other", "Bearer s3cret", "", 404, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(tc.method, tc.path, tc.auth, tc.origin)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Equal(t, tc.allowOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
			if tc.bodyHas != "" {
				require.Contains(t, rec.Body.String(), tc.bodyHas)
			}
			if tc.method == "OPTIONS" {
				require.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "Authorization")
				require.Contains(t, rec.Header().Get("Access-Control-Allow-Methods"), "POST")
			}
		})
	}

	// Decoded payloads come back as protobuf JSON: the data is base64 of the original JSON.
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(do("POST", "/codec/decode", "Bearer s3cret", "").Body.Bytes(), &out))
	require.Equal(t, `"Grey is back in your size"`, string(out.Payloads[0].Data))

	// Encode then decode through the endpoint, with no token configured.
	open := codec.Handler(c, codec.HandlerOptions{})
	plain, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{payload(t, "david@example.com")}})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest("POST", "/codec/encode", strings.NewReader(string(plain))))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NotContains(t, rec.Body.String(), "ZGF2aWRAZXhhbXBsZS5jb20", "base64 of the address")
	require.NoError(t, protojson.Unmarshal(rec.Body.Bytes(), &out))
	dec, err := c.Decode(out.Payloads)
	require.NoError(t, err)
	require.Equal(t, `"david@example.com"`, string(dec[0].Data))
}

// A decode that fails answers the caller without naming a key id, the payload's or the
// configured ones; the detail goes to the worker's log.
func TestHandlerErrorsNameNoKeyID(t *testing.T) {
	foreign := newCodec(t, "2026-06:"+randomKey(t))
	configured := newCodec(t, "2025-12-current:"+randomKey(t)+",2025-01-retired:"+randomKey(t))
	enc, err := foreign.Encode([]*commonpb.Payload{payload(t, "Grey is back in your size")})
	require.NoError(t, err)
	unknownKey, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	enc[0].Metadata[codec.MetadataKeyID] = []byte("2025-12-current")
	tampered, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, body string
		logHas     string
	}{
		{"a key id that is not configured", string(unknownKey), `not among the configured keys (2025-12-current, 2025-01-retired)`},
		{"a payload that does not decrypt", string(tampered), `key \"2025-12-current\" does not decrypt`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			h := codec.Handler(configured, codec.HandlerOptions{Logger: slog.New(slog.NewJSONHandler(&log, nil))})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/codec/decode", strings.NewReader(tc.body)))
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			require.Contains(t, rec.Body.String(), "cannot be decoded with this worker's keys")
			for _, id := range []string{"2025-12-current", "2025-01-retired", "2026-06"} {
				require.NotContains(t, rec.Body.String(), id, "%s: the answer to the caller names key id %q", tc.name, id)
			}
			require.Contains(t, log.String(), tc.logHas, "%s: the worker's log keeps the detail", tc.name)
		})
	}
}
