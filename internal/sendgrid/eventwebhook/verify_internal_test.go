package eventwebhook

import (
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// SendGrid's published test vector (its SDKs verify against it), so our reading of the scheme is
// SendGrid's and not only our own signer's.
const (
	sendgridVectorKey       = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
	sendgridVectorSignature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="
	sendgridVectorTimestamp = "1588788367"
	sendgridVectorPayload   = `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
)

// verify checks one delivery as the handler does: its headers (checkHeaders), then its signature
// over the body (checkSignature).
func verify(key *ecdsa.PublicKey, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sig, err := checkHeaders(timestamp, signature, now, tolerance)
	if err != nil {
		return err
	}
	return checkSignature(key, timestamp, sig, body)
}

func TestVerifySendGridVector(t *testing.T) {
	key, err := ParsePublicKey(sendgridVectorKey)
	require.NoError(t, err)
	at := time.Unix(1588788367, 0).Add(time.Minute)

	require.NoError(t, verify(key, sendgridVectorTimestamp, sendgridVectorSignature, []byte(sendgridVectorPayload), at, DefaultTolerance))
	require.Error(t, verify(key, sendgridVectorTimestamp, sendgridVectorSignature, []byte(sendgridVectorPayload+" "), at, DefaultTolerance), "changed payload")
	require.Error(t, verify(key, "1588788368", sendgridVectorSignature, []byte(sendgridVectorPayload), at, DefaultTolerance), "changed timestamp")
	require.Error(t, verify(key, sendgridVectorTimestamp, sendgridVectorSignature, []byte(sendgridVectorPayload), at.Add(time.Hour), DefaultTolerance), "an hour later")
}

func TestDedupeKeyIgnoresSGEventIDAndSeparatesFields(t *testing.T) {
	a := DedupeKey("m1", "click", 100, "Ann@Example.com", "https://shop/x")
	require.Equal(t, a, DedupeKey("m1", "click", 100, "ann@example.com", "https://shop/x"), "email case")
	for name, other := range map[string]string{
		"other url":        DedupeKey("m1", "click", 100, "ann@example.com", "https://shop/y"),
		"other second":     DedupeKey("m1", "click", 101, "ann@example.com", "https://shop/x"),
		"other event":      DedupeKey("m1", "open", 100, "ann@example.com", "https://shop/x"),
		"other message":    DedupeKey("m2", "click", 100, "ann@example.com", "https://shop/x"),
		"shifted boundary": DedupeKey("m1c", "lick", 100, "ann@example.com", "https://shop/x"),
	} {
		require.NotEqual(t, a, other, name)
	}
}
