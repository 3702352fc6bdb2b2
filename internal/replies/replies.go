// Package replies holds the pure rules of replies by email: the signed reply address an email that
// asks a question carries (reply+<ref>@REPLY_DOMAIN), finding it again among a reply's recipients,
// cutting the quoted earlier message off a reply's text, and telling whether a reply asks the shop
// to get in touch. It does no I/O; the reference itself is made and checked by internal/links, the
// reply is received by internal/sendgrid/inboundparse and recorded by internal/events.
package replies

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Kinds are the follow-up kinds that ask the customer a question, and so carry a reply address:
// the exit question, the feedback ask and the check-in.
var Kinds = []lifecycle.Kind{lifecycle.KindExit, lifecycle.KindFeedback, lifecycle.KindCheckin}

// Asks reports whether emails of kind k carry a reply address.
func Asks(k lifecycle.Kind) bool {
	for _, q := range Kinds {
		if q == k {
			return true
		}
	}
	return false
}

// LocalPrefix starts the local part of every reply address.
const LocalPrefix = "reply+"

// Address is the reply address with ref at domain.
func Address(domain, ref string) string { return LocalPrefix + ref + "@" + domain }

// refRE finds reply addresses in header values: a reference of 24 base32 characters (any case: a
// mail system may change it) and the domain up to the end of the address.
var refRE = regexp.MustCompile(`(?i)(?:^|[^a-z0-9._%+-])reply\+([a-z2-7]{24})@([a-z0-9.-]+)`)

// FindRef returns the reference of the first reply address at domain in values (the SMTP
// envelope's recipients first, then To and Cc), lower-cased, or false when there is none.
func FindRef(domain string, values ...string) (string, bool) {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if domain == "" {
		return "", false
	}
	for _, v := range values {
		for _, m := range refRE.FindAllStringSubmatch(v, -1) {
			if strings.TrimSuffix(strings.ToLower(m[2]), ".") == domain {
				return strings.ToLower(m[1]), true
			}
		}
	}
	return "", false
}

// quoteStarts are lines that start the quoted earlier message or a signature in the replies of
// common mail programs, in English and Dutch; everything from such a line on is cut.
var quoteStarts = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^\s*on\b.*\bwrote:\s*$`),                             // Gmail, Apple Mail: On Tue, 1 Dec 2026, Shop <x@y> wrote:
	regexp.MustCompile(`(?i)^\s*op\b.*\b(schreef|heeft .* geschreven)\b.*:\s*$`), // Op di 1 dec. 2026 om 10:00 schreef Shop <x@y>:
	regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|oorspronkelijk bericht|forwarded message|doorgestuurd bericht)\s*-{2,}\s*$`),
	regexp.MustCompile(`^\s*_{10,}\s*$`),                                      // Outlook's rule above the quoted header block
	regexp.MustCompile(`(?i)^\s*(from|van|sent|verzonden):\s.*$`),             // Outlook's quoted header block
	regexp.MustCompile(`^-- $`),                                               // signature delimiter (RFC 3676)
	regexp.MustCompile(`(?i)^\s*(sent from my|verzonden (vanaf|met) mijn)\b`), // phone footers
}

// StripQuoted returns text without the quoted earlier message: lines starting with ">" are
// dropped, and everything from the first line that starts a quote, a forwarded message or a
// signature is cut. An "On ... wrote:" split over two lines (as Gmail wraps it) is recognised
// too. Line ends become \n; surrounding blank space is trimmed.
func StripQuoted(text string) string {
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	var kept []string
	for i, line := range lines {
		if startsQuote(line) || (i+1 < len(lines) && wrappedAttribution(line, lines[i+1])) {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), ">") {
			continue
		}
		kept = append(kept, strings.TrimRight(line, " \t"))
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// wrappedAttribution reports whether line and next are one "On ... wrote:" (or "Op ... schreef:")
// wrapped over two lines.
func wrappedAttribution(line, next string) bool {
	start := strings.ToLower(strings.TrimSpace(line))
	return (strings.HasPrefix(start, "on ") || strings.HasPrefix(start, "op ")) && startsQuote(line+" "+next)
}

func startsQuote(line string) bool {
	for _, re := range quoteStarts {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

var (
	dropBlockRE = regexp.MustCompile(`(?is)<(style|script|head)\b.*?</(style|script|head)\s*>|<blockquote\b.*?</blockquote\s*>|<div[^>]*class="[^"]*gmail_quote[^"]*".*$`)
	breakRE     = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>`)
	tagRE       = regexp.MustCompile(`(?s)<[^>]*>`)
)

// TextOfHTML is the text of a reply that came only as HTML: quoted blocks (blockquote, Gmail's
// quote), styles and scripts dropped, tags removed, entities decoded.
func TextOfHTML(s string) string {
	s = dropBlockRE.ReplaceAllString(s, "")
	s = breakRE.ReplaceAllString(s, "\n")
	s = tagRE.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}

// Cut returns s cut to at most max bytes on a rune boundary, and whether it was cut.
func Cut(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max], true
}

// ContactAsk is why a reply counts as asking the shop to get in touch: the phrase found, as
// written in ContactPhrases.
type ContactAsk struct {
	Phrase string `json:"phrase"`
	Locale string `json:"locale"` // en or nl
}

// ContactPhrases are the phrases that ask for contact, per locale, matched in lower case on word
// boundaries. A phrase with a negation before it ("don't call me", "hoeft niet") or, in Dutch,
// "niet" right after it ("bel me niet") does not count.
var ContactPhrases = map[string][]string{
	lifecycle.LocaleEnglish: {"call me", "phone me", "ring me", "give me a call", "call back", "contact me", "get in touch", "please contact", "reach me", "talk to someone", "speak to someone"},
	lifecycle.LocaleDutch:   {"bel me", "bel mij", "belt u mij", "mij bellen", "me bellen", "terugbellen", "terug bellen", "neem contact", "contact op", "contact opnemen", "contact met mij", "contact met me", "graag contact"},
}

var negations = []string{"don't", "dont", "do not", "no need to", "never", "not", "niet", "geen", "hoeft niet", "hoeven niet"}

// AsksContact reports whether text asks the shop to get in touch, and the phrase that says so.
// English is tried before Dutch, each list in order.
func AsksContact(text string) (ContactAsk, bool) {
	lower := strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(text, "’", "'"))), " ")
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		for _, phrase := range ContactPhrases[locale] {
			for from := 0; ; {
				i := strings.Index(lower[from:], phrase)
				if i < 0 {
					break
				}
				i += from
				from = i + len(phrase)
				if !wordBoundary(lower, i, i+len(phrase)) || negated(lower[:i], lower[i+len(phrase):]) {
					continue
				}
				return ContactAsk{Phrase: phrase, Locale: locale}, true
			}
		}
	}
	return ContactAsk{}, false
}

func wordBoundary(s string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:start])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// negated reports whether a negation stands within the three words before the phrase, or "niet"
// right after it.
func negated(before, after string) bool {
	words := strings.Fields(before)
	if len(words) > 3 {
		words = words[len(words)-3:]
	}
	window := " " + strings.Join(words, " ") + " "
	for _, n := range negations {
		if strings.Contains(window, " "+n+" ") {
			return true
		}
	}
	return strings.HasPrefix(strings.TrimLeft(after, " ,"), "niet")
}
