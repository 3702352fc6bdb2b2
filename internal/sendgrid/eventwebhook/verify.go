package eventwebhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers SendGrid signs each delivery with.
const (
	SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// ParsePublicKey parses the verification key SendGrid shows under Settings > Mail Settings >
// Signed Event Webhook: base64 of a DER (PKIX) ECDSA P-256 public key. A PEM block is accepted too.
func ParsePublicKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "-----BEGIN PUBLIC KEY-----")
	s = strings.TrimSuffix(s, "-----END PUBLIC KEY-----")
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, errors.New("SendGrid webhook public key is empty: copy the verification key from SendGrid's Signed Event Webhook settings")
	}
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("SendGrid webhook public key is not base64 (copy the verification key from SendGrid's Signed Event Webhook settings): %w", err)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("SendGrid webhook public key is not a DER public key (copy the verification key from SendGrid's Signed Event Webhook settings): %w", err)
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("SendGrid webhook public key is a %T key, want an ECDSA P-256 key as SendGrid issues", key)
	}
	if ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("SendGrid webhook public key is on curve %s, want an ECDSA P-256 key as SendGrid issues", ec.Curve.Params().Name)
	}
	return ec, nil
}

// errUnauthorized explains a 401 in the log; the client only sees the status.
type errUnauthorized struct{ reason string }

func (e errUnauthorized) Error() string { return "unauthorized: " + e.reason }

// checkHeaders checks what can be checked before reading the body: both headers are there, the
// signature is base64 and the timestamp lies within tolerance of now. It returns the decoded
// signature. The timestamp is not known to come from SendGrid yet, but checkSignature covers it,
// so a forged one can only make a delivery fail sooner.
func checkHeaders(timestamp, signature string, now time.Time, tolerance time.Duration) ([]byte, error) {
	if timestamp == "" {
		return nil, errUnauthorized{"missing " + TimestampHeader}
	}
	if signature == "" {
		return nil, errUnauthorized{"missing " + SignatureHeader}
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return nil, errUnauthorized{"signature is not base64"}
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return nil, errUnauthorized{fmt.Sprintf("timestamp %.40q is not unix seconds", timestamp)}
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return nil, errUnauthorized{fmt.Sprintf("timestamp %s is %s away from now, more than the tolerance of %s", timestamp, age.Round(time.Second), tolerance)}
	}
	return sig, nil
}

// checkSignature checks sig, ECDSA over SHA-256 of timestamp followed by body.
func checkSignature(key *ecdsa.PublicKey, timestamp string, sig, body []byte) error {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	if !ecdsa.VerifyASN1(key, h.Sum(nil), sig) {
		return errUnauthorized{"signature does not match"}
	}
	return nil
}
