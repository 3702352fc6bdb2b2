package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/config"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/internal/web"
)

// The worker says at start when marketing mail would go out without the shop's postal address,
// and hands the configured look to the activities and to the pages.
func TestWorkerWarnsWithoutPostalAddress(t *testing.T) {
	srv := temporaltest.Start(t)
	_, dbURL := storetest.New(t)
	signer, err := links.New([]byte("9f3c1a7e5b2d8064c1e9a3f7b5d2e8c04a6f1b3d"), "https://shop.example", 0, nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		address string
		warned  bool
	}{
		{"", true},
		{"Oude Markt 12, 3000 Leuven, België", false},
	} {
		env := map[string]string{
			"DATABASE_URL": dbURL, "TEMPORAL_ADDRESS": srv.HostPort, "TEMPORAL_NAMESPACE": srv.Namespace,
			"LINK_SECRET": "9f3c1a7e5b2d8064c1e9a3f7b5d2e8c04a6f1b3d", "SHOP_POSTAL_ADDRESS": tc.address,
			"SHOP_ACCENT_COLOR": "#6d3b2a", "SHOP_NAME": "Atelier Verhoeven",
		}
		cfg, err := config.LoadWorker(func(k string) string { return env[k] })
		require.NoError(t, err)
		var logs bytes.Buffer
		d, err := connect(context.Background(), cfg, signer, slog.New(slog.NewTextHandler(&logs, nil)))
		require.NoError(t, err, "connect with SHOP_POSTAL_ADDRESS %q", tc.address)
		d.close()
		assert.Equal(t, tc.warned, bytes.Contains(logs.Bytes(), []byte("no SHOP_POSTAL_ADDRESS")),
			"SHOP_POSTAL_ADDRESS %q: warned at start; the log:\n%s", tc.address, logs.String())
		assert.Equal(t, tc.address, d.activities.Brand.PostalAddress)
		assert.Equal(t, "#6d3b2a", d.activities.Brand.Accent)
		assert.Equal(t, "Atelier Verhoeven", d.activities.Brand.Name)

		// The pages wear the same look: even a refused link's page shows the shop and its address.
		assert.Equal(t, web.Brand{Name: "Atelier Verhoeven", Accent: "#6d3b2a", PostalAddress: tc.address}, d.brand)
		public, _ := handlers(d, nil, signer, config.WebhookConfig{}, config.CodecConfig{}, config.HTTPConfig{}, slog.New(slog.DiscardHandler))
		rec := httptest.NewRecorder()
		public.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/p/not-a-token", nil))
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Contains(t, rec.Body.String(), `<p class="shop-name">Atelier Verhoeven</p>`, "the page of a refused link with SHOP_NAME set")
		if tc.address != "" {
			assert.Contains(t, rec.Body.String(), "Oude Markt 12, 3000 Leuven, België", "the page's footer with SHOP_POSTAL_ADDRESS %q", tc.address)
		}
	}
}
