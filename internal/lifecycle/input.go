package lifecycle

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps on what enters Tailor from files, flags and scenarios, in bytes. Ids end up in idempotency
// keys, workflow IDs and links; the free text in email subjects, To names and the terminal.
const (
	MaxIDLen    = 128  // customer ids, SKUs, purchase ids, note ids
	MaxNameLen  = 200  // a customer's name, a product's style and name
	MaxLabelLen = 64   // a category, colour, size, collection, metric or consent source
	MaxNoteLen  = 2000 // a note's text: the only free text that may span lines
	MaxEmailLen = 254  // an address (RFC 5321 path limit)
)

// InputError is one value that breaks the input rules. Problem says what is wrong without naming
// the field, so an importer can put it after a line and column.
type InputError struct {
	Field   string // e.g. "customer id", "--sku", "name"
	Problem string
}

func (e *InputError) Error() string { return e.Field + " " + e.Problem }

// ValidateID checks an id that becomes part of keys, workflow IDs and links: not empty, valid
// UTF-8, at most MaxIDLen bytes, no "/" (the separator of keys and workflow IDs), no control
// characters (CR, LF, NUL, ESC, ...) and no space at either end.
func ValidateID(field, value string) error {
	bad := func(format string, args ...any) error {
		return &InputError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case value == "":
		return bad("is empty")
	case !utf8.ValidString(value):
		return bad("%s: is not valid UTF-8", quoteShort(value))
	case len(value) > MaxIDLen:
		return bad("%s: is %d bytes, at most %d are allowed", quoteShort(value), len(value), MaxIDLen)
	case strings.Contains(value, "/"):
		return bad("%q: must not contain \"/\"", value)
	case strings.TrimSpace(value) != value:
		return bad("%q: must not start or end with a space", value)
	}
	if r, ok := firstControl(value, false); ok {
		return bad("%q: must not contain the control character %U", value, r)
	}
	return nil
}

// CheckLine checks one-line free text (a name, a colour, a collection): valid UTF-8, at most max
// bytes, no control characters and no line breaks. Empty is allowed; callers require what they need.
func CheckLine(field, value string, max int) error {
	return checkText(field, value, max, false)
}

// CheckText checks free text that may span lines (a note): like CheckLine, but LF, CR and tab
// are allowed.
func CheckText(field, value string, max int) error {
	return checkText(field, value, max, true)
}

func checkText(field, value string, max int, multiline bool) error {
	bad := func(format string, args ...any) error {
		return &InputError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if !utf8.ValidString(value) {
		return bad("%s: is not valid UTF-8", quoteShort(value))
	}
	if len(value) > max {
		return bad("%s: is %d bytes, at most %d are allowed", quoteShort(value), len(value), max)
	}
	if r, ok := firstControl(value, multiline); ok {
		if r == '\r' || r == '\n' || r == '\u2028' || r == '\u2029' {
			return bad("%s: must be one line, without line breaks", quoteShort(value))
		}
		return bad("%s: must not contain the control character %U", quoteShort(value), r)
	}
	return nil
}

// firstControl returns the first C0 or C1 control character, DEL, or Unicode line or paragraph
// separator in s; with multiline, LF, CR and tab are allowed.
func firstControl(s string, multiline bool) (rune, bool) {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' { // IsControl: C0, DEL and C1
			return r, true
		}
	}
	return 0, false
}

// quoteShort quotes s for an error message, cut to its first 40 bytes: a 100 kB value should
// not fill the terminal.
func quoteShort(s string) string {
	const keep = 40
	if len(s) <= keep {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q...", s[:keep])
}

// ValidateEmail checks an address column or flag: the bare address only (no display name, no
// angle brackets), one line, at most MaxEmailLen bytes, and one that net/mail parses. UTF-8 local
// parts and domains are accepted (RFC 6531: jörg@bücher.example), as are domain literals
// (user@[192.0.2.1]).
func ValidateEmail(field, value string) error {
	if err := CheckLine(field, value, MaxEmailLen); err != nil {
		return err
	}
	addr, err := mail.ParseAddress(value)
	if err != nil || addr.Name != "" || addr.Address != value {
		return &InputError{Field: field, Problem: fmt.Sprintf("%q: not a valid address, give only the address like ann@example.com", value)}
	}
	return nil
}

// MaskEmail shows enough of an address for its owner to recognise it: the first character of the
// local part (a letter, not a byte: j***@bücher.example) and the domain.
func MaskEmail(addr string) string {
	at := strings.LastIndex(addr, "@")
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(addr)
	return string(r) + "***" + addr[at:]
}

// emailInText finds addresses in free text such as log lines: a local part of letters, digits and
// the usual symbols in any script, then a domain of labels in any script whose last label starts
// with a letter (so sdk@v1.2.3 is left alone), or a domain literal like [192.0.2.1].
var emailInText = regexp.MustCompile(`[\p{L}\p{M}\p{N}._%+\-]+@(?:\[[0-9A-Fa-f:.]+\]|\[IPv6:[0-9A-Fa-f:.]+\]|(?:[\p{L}\p{M}\p{N}\-]+\.)+\p{L}[\p{L}\p{M}\p{N}\-]*)`)

// RedactEmails masks every address in s with MaskEmail.
func RedactEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailInText.ReplaceAllStringFunc(s, MaskEmail)
}

// MaxURLLen caps a product's image_url and url: longer than any shop's real links, short enough
// that six product cards keep an email far below Gmail's 102 KB clipping limit.
const MaxURLLen = 2048

// CheckWebURL checks an optional link that reaches customers (a product's picture or page): empty,
// or an absolute http or https URL with a host, without credentials, spaces or control
// characters, at most MaxURLLen bytes.
func CheckWebURL(field, value string) error {
	if value == "" {
		return nil
	}
	bad := func(format string, args ...any) error {
		return &InputError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if err := CheckLine(field, value, MaxURLLen); err != nil {
		return err
	}
	if strings.ContainsAny(value, " \t") {
		return bad("%s: must not contain spaces (write them as %%20)", quoteShort(value))
	}
	u, err := url.Parse(value)
	switch {
	case err != nil:
		return bad("%s: is not a URL: %v", quoteShort(value), err)
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("%s: must be an absolute URL starting with https:// (or http://)", quoteShort(value))
	case u.Host == "":
		return bad("%s: has no host; write it like https://shop.example.com/trousers.jpg", quoteShort(value))
	case u.User != nil:
		return bad("%s: must not carry a user name or password", quoteShort(value))
	}
	return nil
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// IsHexColor reports whether s is a CSS colour written #rgb or #rrggbb: the only form the shop's
// accent colour takes, so that it can go into an email's CSS as it is.
func IsHexColor(s string) bool { return hexColor.MatchString(s) }
