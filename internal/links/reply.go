package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// replyDomain separates reply references from link MACs made with the same secret.
const replyDomain = "tailor-reply-v1"

// ReplyRefLen is the length of a reply reference: 24 lowercase base32 characters, 120 bits.
const ReplyRefLen = 24

// replyEncoding is lowercase base32 without padding: a reply address's local part may be
// lower-cased by a mail system on the way, and must stay short (RFC 5321: at most 64 octets).
var replyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ReplyRef is the reference in the reply address of the email with sendKey to customerID: the
// first 15 bytes of HMAC-SHA256(secret, "tailor-reply-v1" NUL customer NUL send key), lowercase
// base32. Only the holder of the secret can make one, it names one email of one customer, and it
// never expires: a customer may answer weeks later. It is too short to carry the customer and the
// key themselves, so the sender records what it was made for (store.RememberReplyAddress) and
// VerifyReplyRef checks the record against it.
func (s *Signer) ReplyRef(customerID, sendKey string) string {
	return replyEncoding.EncodeToString(s.replyMAC(customerID, sendKey)[:15])
}

// VerifyReplyRef reports whether ref is ReplyRef(customerID, sendKey), in constant time. A ref in
// other case is accepted: the encoding has one case, and mail systems may change it.
func (s *Signer) VerifyReplyRef(ref, customerID, sendKey string) bool {
	got, err := replyEncoding.DecodeString(strings.ToLower(ref))
	if err != nil || len(got) != 15 {
		return false
	}
	return hmac.Equal(got, s.replyMAC(customerID, sendKey)[:15])
}

func (s *Signer) replyMAC(customerID, sendKey string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(replyDomain + "\x00" + customerID + "\x00" + sendKey))
	return h.Sum(nil)
}
