package links

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A reply reference binds one customer and one send key under the secret: any other customer,
// key or secret gives another; it survives a mail system changing its case; it fits a local part.
func TestReplyRefBindsCustomerAndSendKey(t *testing.T) {
	s, err := New([]byte(strings.Repeat("s", 32)), "https://shop.example", 0, nil)
	require.NoError(t, err)
	other, err := New([]byte(strings.Repeat("t", 32)), "https://shop.example", 0, nil)
	require.NoError(t, err)
	const customer, key = "david", "customer/david/exit/20261203"
	ref := s.ReplyRef(customer, key)
	require.Len(t, ref, ReplyRefLen)
	require.Equal(t, strings.ToLower(ref), ref)
	require.LessOrEqual(t, len("reply+"+ref), 64, "RFC 5321: a local part is at most 64 octets")
	require.Equal(t, ref, s.ReplyRef(customer, key), "the same email always gets the same reference")

	assert.True(t, s.VerifyReplyRef(ref, customer, key))
	assert.True(t, s.VerifyReplyRef(strings.ToUpper(ref), customer, key), "a mail system may upper-case the address")
	for _, tt := range []struct {
		name, ref, customer, key string
		signer                   *Signer
	}{
		{"another customer", ref, "ann", key, s},
		{"another send key", ref, customer, "customer/david/exit/20261204", s},
		{"the customer/key split moved", ref, "david/exit", "20261203", s},
		{"another secret", ref, customer, key, other},
		{"one character changed", "b" + ref[1:], customer, key, s},
		{"cut short", ref[:20], customer, key, s},
		{"not base32", ref[:23] + "1", customer, key, s},
		{"empty", "", customer, key, s},
	} {
		if tt.name == "one character changed" && ref[0] == 'b' {
			tt.ref = "c" + ref[1:]
		}
		assert.False(t, tt.signer.VerifyReplyRef(tt.ref, tt.customer, tt.key), "%s: %q for %s %s", tt.name, tt.ref, tt.customer, tt.key)
	}
}
