package replies

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindRef(t *testing.T) {
	const ref = "abcdefghijklmnopqrstuvwx"
	tests := []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"bare", []string{Address("reply.shop.example", ref)}, ref, true},
		{"display name", []string{`"Your tailor" <reply+` + ref + `@reply.shop.example>`}, ref, true},
		{"upper-cased on the way", []string{"REPLY+" + strings.ToUpper(ref) + "@Reply.Shop.Example"}, ref, true},
		{"envelope JSON first", []string{`{"to":["reply+` + ref + `@reply.shop.example"],"from":"david@example.com"}`, "shop@example.com"}, ref, true},
		{"among others", []string{"shop@example.com, reply+" + ref + "@reply.shop.example"}, ref, true},
		{"other domain", []string{"reply+" + ref + "@evil.example"}, "", false},
		{"domain suffix is not the domain", []string{"reply+" + ref + "@reply.shop.example.evil.example"}, "", false},
		{"too short", []string{"reply+abc@reply.shop.example"}, "", false},
		{"not base32", []string{"reply+abcdefghijklmnopqrstuv01@reply.shop.example"}, "", false},
		{"prefix glued to another local part", []string{"xreply+" + ref + "@reply.shop.example"}, "", false},
		{"none", []string{"", "shop@example.com"}, "", false},
	}
	for _, tt := range tests {
		got, ok := FindRef("reply.shop.example", tt.values...)
		assert.Equal(t, tt.ok, ok, "%s: %q", tt.name, tt.values)
		assert.Equal(t, tt.want, got, "%s: %q", tt.name, tt.values)
	}
}

func TestStripQuoted(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"gmail en", "The trousers were too long.\r\n\r\nOn Tue, 1 Dec 2026 at 10:00, Your tailor <reply+x@r.example> wrote:\r\n> Why are you leaving?\r\n", "The trousers were too long."},
		{"gmail wrapped", "Too expensive.\n\nOn Tue, 1 Dec 2026 at 10:00, Your tailor <reply+x@r.example>\nwrote:\n> Why?", "Too expensive."},
		{"gmail nl", "Te duur.\n\nOp di 1 dec. 2026 om 10:00 schreef Uw kleermaker <reply+x@r.example>:\n> Waarom?", "Te duur."},
		{"outlook", "Fine, thanks.\n\n________________________________\nFrom: Your tailor\nSent: Tuesday\nSubject: Is it what you hoped for?", "Fine, thanks."},
		{"outlook nl", "Prima.\n\n-----Oorspronkelijk bericht-----\nVan: Uw kleermaker", "Prima."},
		{"inline quotes", "> Why are you leaving?\nMoved abroad.\n> Anything else?\nNo.", "Moved abroad.\nNo."},
		{"signature", "Moved abroad.\n-- \nDavid", "Moved abroad."},
		{"phone footer", "Bel me even.\n\nVerzonden vanaf mijn iPhone", "Bel me even."},
		{"nothing quoted", "Just this.", "Just this."},
		{"only a quote", "On Tue, 1 Dec 2026 Shop wrote:\n> hi", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, StripQuoted(tt.in), "%s: %q", tt.name, tt.in)
	}
}

func TestAsksContact(t *testing.T) {
	tests := []struct {
		text   string
		phrase string // "" means no contact asked
	}{
		{"Please call me tomorrow about the fitting.", "call me"},
		{"Could you give me a call?", "give me a call"},
		{"I'd like someone to get in touch.", "get in touch"},
		{"Kunt u mij bellen? Alvast bedankt.", "mij bellen"},
		{"Bel me even, dan leg ik het uit.", "bel me"},
		{"Graag contact over de broek.", "graag contact"},
		{"Neem alstublieft contact op.", "contact op"},
		{"Neem contact met mij op.", "neem contact"},
		{"CALL ME", "call me"},
		{"Don't call me, I am fine.", ""},
		{"Please do not contact me again.", ""},
		{"U hoeft me niet te bellen.", ""},
		{"Bel me niet, mail liever.", ""},
		{"I recall meeting you.", ""},
		{"The trousers were too long.", ""},
		{"Ik ben verhuisd.", ""},
	}
	for _, tt := range tests {
		got, ok := AsksContact(tt.text)
		assert.Equal(t, tt.phrase != "", ok, "%q", tt.text)
		assert.Equal(t, tt.phrase, got.Phrase, "%q", tt.text)
	}
}

func TestTextOfHTML(t *testing.T) {
	got := TextOfHTML(`<html><head><style>p{}</style></head><body><p>Te lang &amp; te duur.</p><div>Bel me.<br>David</div><div class="gmail_quote">Op di schreef:<blockquote>Waarom?</blockquote></div></body></html>`)
	require.Equal(t, "Te lang & te duur.\nBel me.\nDavid", strings.TrimSpace(got))
}

func TestCutKeepsRunes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"abc", 5, "abc", false},
		{"abcdef", 3, "abc", true},
		{"ab€", 3, "ab", true}, // € is 3 bytes: not split
		{"ab€", 5, "ab€", false},
	} {
		got, cut := Cut(tt.in, tt.max)
		assert.Equal(t, tt.want, got, "Cut(%q, %d)", tt.in, tt.max)
		assert.Equal(t, tt.cut, cut, "Cut(%q, %d)", tt.in, tt.max)
	}
}
