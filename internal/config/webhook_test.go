package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadWebhook(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	pub := base64.StdEncoding.EncodeToString(der)

	t.Run("off by default", func(t *testing.T) {
		w, err := loadWorker(map[string]string{"LINK_SECRET": linkSecret})
		require.NoError(t, err)
		c := w.Webhook
		require.False(t, c.Enabled())
		require.Equal(t, 10*time.Minute, c.Tolerance)
	})
	t.Run("key and tolerance", func(t *testing.T) {
		w, err := loadWorker(map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": pub, "SENDGRID_WEBHOOK_TOLERANCE": "5m", "LINK_SECRET": linkSecret})
		require.NoError(t, err)
		c := w.Webhook
		require.True(t, c.Enabled())
		require.True(t, c.PublicKey.Equal(&key.PublicKey))
		require.Equal(t, 5*time.Minute, c.Tolerance)
	})
	t.Run("every problem at once, key not printed", func(t *testing.T) {
		_, err := loadWorker(map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": "c2VjcmV0LWtleQ==", "SENDGRID_WEBHOOK_TOLERANCE": "0", "LINK_SECRET": linkSecret})
		require.ErrorContains(t, err, "SENDGRID_WEBHOOK_PUBLIC_KEY")
		require.ErrorContains(t, err, `SENDGRID_WEBHOOK_TOLERANCE: "0" must be more than 0, e.g. 10m`)
		require.NotContains(t, err.Error(), "c2VjcmV0LWtleQ")
	})
}
