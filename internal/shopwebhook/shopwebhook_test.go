package shopwebhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/shopwebhook"
)

func TestPostSignsAndClassifies(t *testing.T) {
	secret := []byte("0123456789abcdef-test-secret-not-real")
	tests := []struct {
		status        int
		wantErr       bool
		wantPermanent bool
	}{
		{200, false, false},
		{204, false, false},
		{400, true, true},
		{404, true, true},
		{408, true, false},
		{429, true, false},
		{500, true, false},
		{503, true, false},
	}
	for _, tt := range tests {
		var gotBody []byte
		var gotSig, gotDelivery string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotBody, _ = io.ReadAll(r.Body)
			gotSig, gotDelivery = r.Header.Get(shopwebhook.SignatureHeader), r.Header.Get(shopwebhook.DeliveryHeader)
			w.WriteHeader(tt.status)
		}))
		body := []byte(`{"id":"handoff/c1/x"}`)
		err := shopwebhook.New(srv.URL, secret, nil).Post(context.Background(), "handoff/c1/x/notify", body)
		srv.Close()
		require.True(t, shopwebhook.Verify(secret, gotBody, gotSig), "status %d: signature %q does not verify", tt.status, gotSig)
		require.False(t, shopwebhook.Verify([]byte("another secret of enough length!!"), gotBody, gotSig), "status %d: verifies under another secret", tt.status)
		require.Equal(t, "handoff/c1/x/notify", gotDelivery, "status %d", tt.status)
		if !tt.wantErr {
			require.NoError(t, err, "status %d", tt.status)
			continue
		}
		var werr *shopwebhook.Error
		require.True(t, errors.As(err, &werr), "status %d: want *Error, got %v", tt.status, err)
		require.Equal(t, tt.wantPermanent, werr.Permanent(), "status %d: permanent", tt.status)
	}
}
