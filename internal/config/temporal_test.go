package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/config"
)

// writeCert writes a self-signed certificate and its key as PEM files into dir.
func writeCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tailor-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certPath, keyPath
}

func TestTemporalClientOptions(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := writeCert(t, dir)
	badCA := filepath.Join(dir, "bad-ca.pem")
	require.NoError(t, os.WriteFile(badCA, []byte("not a certificate"), 0o600))
	noFile := filepath.Join(dir, "missing.pem")
	profiles := filepath.Join(dir, "temporal.toml")
	require.NoError(t, os.WriteFile(profiles, []byte(`
[profile.cloud]
address = "prod.a1b2c.tmprl.cloud:7233"
namespace = "prod.a1b2c"
api_key = "from-the-file"
`), 0o600))

	const apiKey = "super-secret-api-key"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, o client.Options)
		errs  []string // each must appear in the error
	}{
		{
			name: "local development: defaults, no TLS",
			env:  map[string]string{},
			check: func(t *testing.T, o client.Options) {
				assert.Equal(t, config.DefaultTemporalAddress, o.HostPort)
				assert.Equal(t, config.DefaultNamespace, o.Namespace)
				assert.Nil(t, o.ConnectionOptions.TLS)
				assert.Nil(t, o.Credentials)
			},
		},
		{
			name: "Temporal Cloud with an API key: credentials and TLS",
			env: map[string]string{
				"TEMPORAL_ADDRESS":   "prod.a1b2c.tmprl.cloud:7233",
				"TEMPORAL_NAMESPACE": "prod.a1b2c",
				"TEMPORAL_API_KEY":   apiKey,
			},
			check: func(t *testing.T, o client.Options) {
				assert.Equal(t, "prod.a1b2c.tmprl.cloud:7233", o.HostPort)
				assert.Equal(t, "prod.a1b2c", o.Namespace)
				assert.NotNil(t, o.Credentials)
				assert.NotNil(t, o.ConnectionOptions.TLS)
			},
		},
		{
			name: "mTLS with a CA and server name",
			env: map[string]string{
				"TEMPORAL_ADDRESS":                 "temporal.internal:7233",
				"TEMPORAL_TLS_CLIENT_CERT_PATH":    certPath,
				"TEMPORAL_TLS_CLIENT_KEY_PATH":     keyPath,
				"TEMPORAL_TLS_SERVER_CA_CERT_PATH": certPath,
				"TEMPORAL_TLS_SERVER_NAME":         "frontend.temporal.internal",
			},
			check: func(t *testing.T, o client.Options) {
				tlsCfg := o.ConnectionOptions.TLS
				require.NotNil(t, tlsCfg)
				assert.Len(t, tlsCfg.Certificates, 1)
				assert.NotNil(t, tlsCfg.RootCAs)
				assert.Equal(t, "frontend.temporal.internal", tlsCfg.ServerName)
				assert.Nil(t, o.Credentials)
			},
		},
		{
			name: "plain TLS",
			env:  map[string]string{"TEMPORAL_TLS": "true"},
			check: func(t *testing.T, o client.Options) {
				require.NotNil(t, o.ConnectionOptions.TLS)
				assert.Empty(t, o.ConnectionOptions.TLS.Certificates)
			},
		},
		{
			name: "TLS forced off",
			env:  map[string]string{"TEMPORAL_TLS": "false"},
			check: func(t *testing.T, o client.Options) {
				assert.Nil(t, o.ConnectionOptions.TLS)
				assert.True(t, o.ConnectionOptions.TLSDisabled)
			},
		},
		{
			name: "a profile from the Temporal config file, the environment overriding it",
			env: map[string]string{
				"TEMPORAL_CONFIG_FILE": profiles,
				"TEMPORAL_PROFILE":     "cloud",
				"TEMPORAL_NAMESPACE":   "staging.a1b2c",
			},
			check: func(t *testing.T, o client.Options) {
				assert.Equal(t, "prod.a1b2c.tmprl.cloud:7233", o.HostPort)
				assert.Equal(t, "staging.a1b2c", o.Namespace)
				assert.NotNil(t, o.Credentials)
				assert.NotNil(t, o.ConnectionOptions.TLS)
			},
		},
		{
			name: "certificate without its key",
			env:  map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath},
			errs: []string{"TEMPORAL_TLS_CLIENT_KEY_PATH is not"},
		},
		{
			name: "key without its certificate",
			env:  map[string]string{"TEMPORAL_TLS_CLIENT_KEY_PATH": keyPath},
			errs: []string{"TEMPORAL_TLS_CLIENT_CERT_PATH is not"},
		},
		{
			name: "every problem at once, the API key never shown",
			env: map[string]string{
				"TEMPORAL_API_KEY":                 apiKey,
				"TEMPORAL_TLS":                     "maybe",
				"TEMPORAL_TLS_CLIENT_CERT_PATH":    noFile,
				"TEMPORAL_TLS_CLIENT_KEY_PATH":     noFile,
				"TEMPORAL_TLS_SERVER_CA_CERT_PATH": badCA,
			},
			errs: []string{
				`TEMPORAL_TLS "maybe"`,
				"TEMPORAL_TLS_CLIENT_CERT_PATH: open",
				"TEMPORAL_TLS_CLIENT_KEY_PATH: open",
				"TEMPORAL_TLS_SERVER_CA_CERT_PATH " + badCA + " holds no PEM certificate",
			},
		},
		{
			name: "certificate and key that do not match a PEM pair",
			env: map[string]string{
				"TEMPORAL_TLS_CLIENT_CERT_PATH": badCA,
				"TEMPORAL_TLS_CLIENT_KEY_PATH":  keyPath,
			},
			errs: []string{"are not a matching PEM certificate and key"},
		},
		{
			name: "missing CA file",
			env:  map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": noFile},
			errs: []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH: open"},
		},
		{
			name: "unknown profile",
			env:  map[string]string{"TEMPORAL_CONFIG_FILE": profiles, "TEMPORAL_PROFILE": "nope"},
			errs: []string{"TEMPORAL_PROFILE", "nope"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"TEMPORAL_CONFIG_FILE": noFile} // never the developer's own file
			for k, v := range tc.env {
				env[k] = v
			}
			getenv := func(name string) string { return env[name] }
			opts, err := config.TemporalClientOptions(getenv)
			if len(tc.errs) > 0 {
				require.Error(t, err)
				for _, want := range tc.errs {
					assert.Contains(t, err.Error(), want)
				}
				assert.NotContains(t, err.Error(), apiKey)
				return
			}
			require.NoError(t, err)
			tc.check(t, opts)
		})
	}
}
