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

	"github.com/tailorhq/tailor/internal/config"
)

func TestWebhookFromEnv(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	pub := base64.StdEncoding.EncodeToString(der)

	t.Run("off by default", func(t *testing.T) {
		c, err := config.WebhookFromEnv(func(string) string { return "" })
		require.NoError(t, err)
		require.False(t, c.Enabled())
		require.Equal(t, 10*time.Minute, c.Tolerance)
	})
	t.Run("key and tolerance", func(t *testing.T) {
		env := map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": pub, "SENDGRID_WEBHOOK_TOLERANCE": "5m"}
		c, err := config.WebhookFromEnv(func(k string) string { return env[k] })
		require.NoError(t, err)
		require.True(t, c.Enabled())
		require.True(t, c.PublicKey.Equal(&key.PublicKey))
		require.Equal(t, 5*time.Minute, c.Tolerance)
	})
	t.Run("every problem at once, key not printed", func(t *testing.T) {
		env := map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": "c2VjcmV0LWtleQ==", "SENDGRID_WEBHOOK_TOLERANCE": "0"}
		_, err := config.WebhookFromEnv(func(k string) string { return env[k] })
		require.ErrorContains(t, err, "SENDGRID_WEBHOOK_PUBLIC_KEY")
		require.ErrorContains(t, err, "SENDGRID_WEBHOOK_TOLERANCE")
		require.NotContains(t, err.Error(), "c2VjcmV0LWtleQ")
	})
}
