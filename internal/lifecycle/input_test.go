package lifecycle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		id   string
		want string // part of the error; "" accepts
	}{
		{"c1", ""},
		{"david-20260105T100000", ""},
		{"TR-BLU-32", ""},
		{"p-3f9c0a1b2c3d4e5f", ""},
		{"klant 42", ""}, // inner spaces are fine
		{"jörg", ""},
		{"100%", ""}, // escaped in keys
		{strings.Repeat("a", lifecycle.MaxIDLen), ""},
		{"", "is empty"},
		{"a/restock/x", `must not contain "/"`},
		{"a\nb", "control character U+000A"},
		{"a\rb", "control character U+000D"},
		{"a\x00b", "control character U+0000"},
		{"a\x1b[31mred", "control character U+001B"},
		{"a\x7f", "control character U+007F"},
		{"a\u0085b", "control character U+0085"},
		{" c1", "must not start or end with a space"},
		{"c1\t", "must not start or end with a space"},
		{"c1\u00a0", "must not start or end with a space"},
		{"a\xffb", "not valid UTF-8"},
		{strings.Repeat("a", lifecycle.MaxIDLen+1), "at most 128"},
	}
	for _, tt := range tests {
		err := lifecycle.ValidateID("customer id", tt.id)
		if tt.want == "" {
			if err != nil {
				t.Errorf("ValidateID(%q) = %v, want accepted", tt.id, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateID(%q) = %v, want an error with %q", tt.id, err, tt.want)
			continue
		}
		var inputErr *lifecycle.InputError
		if !errors.As(err, &inputErr) || inputErr.Field != "customer id" || !strings.HasPrefix(err.Error(), "customer id ") {
			t.Errorf("ValidateID(%q) = %#v, want an *InputError naming the field", tt.id, err)
		}
	}
}

func TestCheckLineAndText(t *testing.T) {
	tests := []struct {
		value     string
		multiline bool
		want      string // "" accepts
	}{
		{"Ann de Vries", false, ""},
		{"", false, ""},
		{"Jörg Müller", false, ""},
		{"山田 太郎", false, ""},
		{"Ann\r\nBcc: x@evil.example", false, "must be one line"},
		{"Ann\nB", false, "must be one line"},
		{"Ann\u2028B", false, "must be one line"},
		{"\x1b[2J", false, "control character U+001B"},
		{"a\x00", false, "control character U+0000"},
		{"a\u009b31m", false, "control character U+009B"},
		{"a\tb", false, "control character U+0009"},
		{"bad \xc3\x28", false, "not valid UTF-8"},
		{strings.Repeat("x", 65), false, "at most 64"},
		{"line one\nline two\r\n\tindented", true, ""},
		{"text\x1b[31m", true, "control character U+001B"},
		{"text\x00", true, "control character U+0000"},
	}
	for _, tt := range tests {
		check, max := lifecycle.CheckLine, lifecycle.MaxLabelLen
		if tt.multiline {
			check, max = lifecycle.CheckText, lifecycle.MaxNoteLen
		}
		err := check("name", tt.value, max)
		if tt.want == "" {
			if err != nil {
				t.Errorf("check(%q, multiline %v) = %v, want accepted", tt.value, tt.multiline, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("check(%q, multiline %v) = %v, want an error with %q", tt.value, tt.multiline, err, tt.want)
		}
	}
}

func TestCheckLineCutsLongValuesInItsMessage(t *testing.T) {
	err := lifecycle.CheckLine("name", strings.Repeat("x", 100_000), lifecycle.MaxNameLen)
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("CheckLine of 100 kB = %d bytes of message, want an error under 200 bytes", len(err.Error()))
	}
}

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"ann@example.com", true},
		{"jörg@bücher.example", true},
		{"jörg@例え.jp", true},
		{"user@[192.0.2.1]", true},
		{"a.b+tag@sub.example.org", true},
		{"Ann <ann@example.com>", false},
		{"<ann@example.com>", false},
		{"ann@example.com\r\nBcc: x@evil.example", false},
		{"ann@example.com\n", false},
		{"ann", false},
		{"", false},
		{"ann@example.com, bob@example.com", false},
		{strings.Repeat("a", 250) + "@x.io", false},
	}
	for _, tt := range tests {
		err := lifecycle.ValidateEmail("email", tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"ann@example.com", "a***@example.com"},
		{"jörg@bücher.example", "j***@bücher.example"},
		{"östen@例え.jp", "ö***@例え.jp"},
		{"user@[192.0.2.1]", "u***@[192.0.2.1]"},
		{"@example.com", "***"},
		{"no-address", "***"},
	}
	for _, tt := range tests {
		if got := lifecycle.MaskEmail(tt.addr); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestRedactEmails(t *testing.T) {
	tests := []struct{ in, want string }{
		{"send to ann@example.com failed", "send to a***@example.com failed"},
		{"to=jörg@bücher.example", "to=j***@bücher.example"},
		{"to: östen@例え.jp.", "to: ö***@例え.jp."},
		{"rcpt user@[192.0.2.1] refused", "rcpt u***@[192.0.2.1] refused"},
		{"a@b.co and c@d.nl", "a***@b.co and c***@d.nl"},
		{"go.temporal.io/sdk@v1.38.0", "go.temporal.io/sdk@v1.38.0"},
		{"no address here", "no address here"},
	}
	for _, tt := range tests {
		if got := lifecycle.RedactEmails(tt.in); got != tt.want {
			t.Errorf("RedactEmails(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSendKeyIsUnambiguous(t *testing.T) {
	// The pair from issue #13: joined with "/" unescaped, both gave customer/a/restock/x/restock/y.
	a := lifecycle.SendKey("a", lifecycle.KindRestock, "x/restock/y")
	b := lifecycle.SendKey("a/restock/x", lifecycle.KindRestock, "y")
	if a == b {
		t.Fatalf("customer a wish x/restock/y and customer a/restock/x wish y share the send key %q", a)
	}
	if pct, slash := lifecycle.SendKey("a%2Fb", lifecycle.KindSale, "s"), lifecycle.SendKey("a/b", lifecycle.KindSale, "s"); pct == slash {
		t.Fatalf("customers a%%2Fb and a/b share the send key %q", pct)
	}
	// Ids without "%" and "/" keep the keys running workflows and recorded histories hold.
	for _, tt := range []struct {
		id      string
		kind    lifecycle.Kind
		subject string
		want    string
	}{
		{"david", lifecycle.KindRestock, "p-1", "customer/david/restock/p-1"},
		{"c1", lifecycle.KindOffer, "data_mb/20260105T100000Z", "customer/c1/offer/data_mb/20260105T100000Z"},
		{"a/restock/x", lifecycle.KindRestock, "y", "customer/a%2Frestock%2Fx/restock/y"},
		{"100%", lifecycle.KindSale, "s", "customer/100%25/sale/s"},
	} {
		if got := lifecycle.SendKey(tt.id, tt.kind, tt.subject); got != tt.want {
			t.Errorf("SendKey(%q, %s, %q) = %q, want %q", tt.id, tt.kind, tt.subject, got, tt.want)
		}
		if got := lifecycle.SendKey(tt.id, tt.kind, tt.subject); !strings.HasPrefix(got, lifecycle.SendKeyPrefix(tt.id)) {
			t.Errorf("SendKey(%q, ...) = %q does not start with SendKeyPrefix %q", tt.id, got, lifecycle.SendKeyPrefix(tt.id))
		}
	}
}
