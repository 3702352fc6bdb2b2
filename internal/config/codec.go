package config

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/internal/codec"
)

// CodecConfig is the payload encryption every process that talks to Temporal shares.
type CodecConfig struct {
	// Codec encrypts payloads; nil when TAILOR_CODEC_KEYS is unset and payloads stay plaintext.
	Codec *codec.Codec
	// AuthToken guards the worker's codec endpoint (CODEC_AUTH_TOKEN); empty: no token needed.
	// Never print it.
	AuthToken string
	// CORSOrigin is the Temporal UI's origin, allowed to call the endpoint from a browser.
	CORSOrigin string
}

// Enabled reports whether payloads are encrypted.
func (c CodecConfig) Enabled() bool { return c.Codec != nil }

// DataConverter is what client.Options.DataConverter should be: nil (the SDK's default) when
// encryption is off.
func (c CodecConfig) DataConverter() converter.DataConverter {
	if c.Codec == nil {
		return nil
	}
	return c.Codec.DataConverter()
}

// FailureConverter is what client.Options.FailureConverter should be: one that moves failure
// messages and stack traces into an encrypted payload, since an error can quote customer data;
// nil (the SDK's default) when encryption is off.
func (c CodecConfig) FailureConverter() converter.FailureConverter {
	if c.Codec == nil {
		return nil
	}
	return c.Codec.FailureConverter()
}

// WithDataKeys turns on crypto-shredding: each customer's payloads are encrypted with the
// customer's own data key, kept (wrapped by the master keys) in st, so that `starter forget`
// can destroy it (internal/codec, datakeys.go). owner is workflows.CustomerIDOf. Without keys,
// c as it is.
func (c CodecConfig) WithDataKeys(st codec.DataKeyStore, owner func(workflowID string) (string, bool)) CodecConfig {
	if c.Codec != nil {
		c.Codec = c.Codec.WithDataKeys(st, owner)
	}
	return c
}

// String describes c without keys or token.
func (c CodecConfig) String() string {
	if c.Codec == nil {
		return "codec=off"
	}
	return fmt.Sprintf("codec=aes-256-gcm encrypt_with=%s keys=%s cors_origin=%s auth_token=%t",
		c.Codec.EncryptingKeyID(), strings.Join(c.Codec.KeyIDs(), ","), c.CORSOrigin, c.AuthToken != "")
}

// CodecEndpointProblem refuses a codec endpoint that others than this machine reach without a
// token: with keys set, the operator listener serves /codec/decode, and on a non-loopback
// OPS_ADDR anyone who reaches it could decrypt every payload they hold. Nil when the endpoint is
// off, on loopback, or guarded by CODEC_AUTH_TOKEN.
func CodecEndpointProblem(h HTTPConfig, c CodecConfig) error {
	if !c.Enabled() || !h.OpsEnabled() || h.OpsLoopback() || c.AuthToken != "" {
		return nil
	}
	return fmt.Errorf("TAILOR_CODEC_KEYS is set and OPS_ADDR %q is reachable from other machines, but CODEC_AUTH_TOKEN is not set: "+
		"anyone who reaches it could decrypt payloads through /codec/decode; set CODEC_AUTH_TOKEN (e.g. `openssl rand -hex 32`), "+
		"or serve the operator endpoints on loopback (OPS_ADDR=%s) behind a proxy that admits operators only", h.OpsAddr, DefaultOpsAddr)
}
