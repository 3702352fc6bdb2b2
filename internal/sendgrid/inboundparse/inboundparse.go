package inboundparse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/replies"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/webhookgate"
)

// Bounds of one post.
const (
	// MaxBodyBytes bounds one post: SendGrid takes messages of up to 30 MB, attachments included.
	// The body is streamed, so this bounds the time a post takes, not the memory.
	MaxBodyBytes = 32 << 20
	// BodyReadTimeout bounds reading one post.
	BodyReadTimeout = 30 * time.Second
	// DefaultMaxConcurrent bounds the posts handled at once.
	DefaultMaxConcurrent = webhookgate.DefaultMaxConcurrent
	// DefaultMaxRepliesPerDay bounds the replies one reply address takes per UTC day: a customer
	// answering a question writes once or twice, while anyone who learns the address (a forwarded
	// email, a leaked mailbox) could otherwise add notes to the customer without end.
	DefaultMaxRepliesPerDay = 10
)

// fieldCaps are the bytes kept of each field; a field not named here keeps defaultFieldCap.
var fieldCaps = map[string]int{"text": 64 << 10, "html": 256 << 10, "headers": 64 << 10}

const defaultFieldCap = 8 << 10

// Addresses look up what a reply address was made for and bound the replies it takes; *store.DB
// is one.
type Addresses interface {
	// ReplyAddress returns an error wrapping lifecycle.ErrNotFound for an unknown ref.
	ReplyAddress(ctx context.Context, ref string) (store.ReplyAddress, error)
	// AdmitReply counts the reply (noteID) to ref received at and reports whether it is within
	// max per address per UTC day; a reply whose note is recorded already is admitted uncounted.
	AdmitReply(ctx context.Context, ref, noteID string, at time.Time, max int) (bool, error)
}

// Verifier checks a reply reference against the customer and send key it claims; *links.Signer
// is one.
type Verifier interface {
	VerifyReplyRef(ref, customerID, sendKey string) bool
}

// Replies record a verified reply with the signal it owes; *events.Service is one.
type Replies interface {
	Reply(ctx context.Context, r events.Reply) (events.ReplyResult, error)
}

// Outcomes of a post that was read, the label of Counter.
const (
	OutcomeRecorded         = "recorded"
	OutcomeDuplicate        = "duplicate"           // the same message was recorded before
	OutcomeRefusedNoAddress = "refused_no_address"  // no reply address at the domain
	OutcomeRefusedUnknown   = "refused_unknown"     // a reply address nobody recorded
	OutcomeRefusedForged    = "refused_forged"      // a record whose ref is not the HMAC of its customer and key
	OutcomeRefusedQuestion  = "refused_no_question" // the answered email asked nothing
	OutcomeRefusedEmpty     = "refused_empty"       // nothing left once the quoted email is cut
	OutcomeRefusedTooMany   = "refused_too_many"    // the reply address took its replies for the day
)

// Counter counts the outcomes; *metrics.Metrics is one.
type Counter interface {
	CountInboundReply(outcome string)
}

// Config is how the endpoint reads a post.
type Config struct {
	Domain        string // REPLY_DOMAIN: only reply addresses at it count
	MaxConcurrent int    // posts handled at once; 0 means DefaultMaxConcurrent
	// MaxRepliesPerDay bounds the replies recorded per reply address and UTC day; 0 means
	// DefaultMaxRepliesPerDay.
	MaxRepliesPerDay int
	Now              func() time.Time // nil means time.Now
}

// Deps are the endpoint's collaborators.
type Deps struct {
	Addresses Addresses
	Verifier  Verifier
	Replies   Replies
	Counter   Counter      // nil counts nothing
	Logger    *slog.Logger // nil discards
}

type handler struct {
	cfg  Config
	deps Deps
	gate *webhookgate.Gate
}

// New returns the handler for SendGrid's Inbound Parse Webhook. It panics when the domain or a
// dependency is missing: a worker without REPLY_DOMAIN does not mount it.
func New(cfg Config, deps Deps) http.Handler {
	if cfg.Domain == "" || deps.Addresses == nil || deps.Verifier == nil || deps.Replies == nil {
		panic("inboundparse.New: Domain, Addresses, Verifier and Replies are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRepliesPerDay <= 0 {
		cfg.MaxRepliesPerDay = DefaultMaxRepliesPerDay
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	gate := webhookgate.New("sendgrid inbound", webhookgate.Limits{
		MaxConcurrent: cfg.MaxConcurrent, MaxBodyBytes: MaxBodyBytes, ReadTimeout: BodyReadTimeout,
	}, deps.Logger)
	return &handler{cfg: cfg, deps: deps, gate: gate}
}

// message is the fields of one post the handler reads.
type message struct {
	fields      map[string]string
	attachments int
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "SendGrid Inbound Parse posts must be POSTed", http.StatusMethodNotAllowed)
		return
	}
	release, ok := h.gate.Enter(w)
	if !ok {
		return
	}
	defer release()
	// Not every ResponseWriter can (a test recorder cannot); the server's ReadTimeout still holds.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(BodyReadTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	msg, status, err := h.read(r)
	if err != nil {
		h.deps.Logger.Warn("sendgrid inbound: post not read", "status", status, "error", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), status)
		return
	}
	outcome, code, err := h.handle(r.Context(), msg)
	if err == nil && h.deps.Counter != nil {
		h.deps.Counter.CountInboundReply(code)
	}
	if err != nil {
		h.deps.Logger.Error("sendgrid inbound: reply not recorded, SendGrid will retry", "error", err)
		http.Error(w, "reply not recorded; retry", http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, outcome)
}

// read streams the multipart body, keeping each field up to its cap and dropping file parts.
func (h *handler) read(r *http.Request) (message, int, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return message{}, http.StatusBadRequest, fmt.Errorf("body must be multipart/form-data, as SendGrid Inbound Parse posts it: %w", err)
	}
	msg := message{fields: map[string]string{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return msg, 0, nil
		}
		if err != nil {
			return message{}, readStatus(err), fmt.Errorf("read multipart body: %w", err)
		}
		name := part.FormName()
		if part.FileName() != "" || name == "" {
			n, err := io.Copy(io.Discard, part)
			if err != nil {
				return message{}, readStatus(err), fmt.Errorf("read attachment %q: %w", part.FileName(), err)
			}
			msg.attachments++
			h.deps.Logger.Info("sendgrid inbound: attachment dropped", "field", name, "bytes", n)
			continue
		}
		limit := defaultFieldCap
		if c, ok := fieldCaps[name]; ok {
			limit = c
		}
		b, err := io.ReadAll(io.LimitReader(part, int64(limit)+1))
		if err != nil {
			return message{}, readStatus(err), fmt.Errorf("read field %q: %w", name, err)
		}
		if len(b) > limit {
			rest, err := io.Copy(io.Discard, part)
			if err != nil {
				return message{}, readStatus(err), fmt.Errorf("read field %q: %w", name, err)
			}
			kept, _ := replies.Cut(string(b), limit)
			b = []byte(kept)
			h.deps.Logger.Warn("sendgrid inbound: field cut to its cap", "field", name, "cap_bytes", limit, "was_bytes", int64(limit)+1+rest)
		}
		if _, seen := msg.fields[name]; !seen {
			msg.fields[name] = string(b)
		}
	}
}

// readStatus is the answer to a body that could not be read.
func readStatus(err error) int {
	var tooLarge *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &timeout) && timeout.Timeout():
		return http.StatusRequestTimeout
	}
	return http.StatusBadRequest
}

// handle verifies the reply address and records the reply. It returns the answer's body and the
// outcome, or an error when PostgreSQL failed (SendGrid then retries).
func (h *handler) handle(ctx context.Context, msg message) (string, string, error) {
	log := h.deps.Logger
	refuse := func(outcome, reason string, args ...any) (string, string, error) {
		log.Warn("sendgrid inbound: reply refused, nothing stored", append([]any{"reason", reason, "outcome", outcome, "attachments", msg.attachments}, args...)...)
		return "refused: " + reason, outcome, nil
	}
	var envelope struct {
		To []string `json:"to"`
	}
	_ = json.Unmarshal([]byte(msg.fields["envelope"]), &envelope) // a bad envelope leaves To and Cc
	ref, ok := replies.FindRef(h.cfg.Domain, append(envelope.To, msg.fields["to"], msg.fields["cc"])...)
	if !ok {
		return refuse(OutcomeRefusedNoAddress, "no reply address at "+h.cfg.Domain+" among the recipients")
	}
	addr, err := h.deps.Addresses.ReplyAddress(ctx, ref)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return refuse(OutcomeRefusedUnknown, "unknown reply address", "ref", ref)
	}
	if err != nil {
		return "", "", err
	}
	if !h.deps.Verifier.VerifyReplyRef(ref, addr.CustomerID, addr.SendKey) {
		return refuse(OutcomeRefusedForged, "reply address does not match its record (forged)", "ref", ref)
	}
	if !replies.Asks(addr.Kind) {
		return refuse(OutcomeRefusedQuestion, fmt.Sprintf("the answered email (%s) asks no question", addr.Kind), "ref", ref)
	}
	text := clean(msg.fields["text"], charsetOf(msg.fields["charsets"], "text"))
	if strings.TrimSpace(text) == "" {
		text = replies.TextOfHTML(clean(msg.fields["html"], charsetOf(msg.fields["charsets"], "html")))
	}
	text = replies.StripQuoted(text)
	if text == "" {
		return refuse(OutcomeRefusedEmpty, "empty reply once the quoted email is cut", "customer_id", addr.CustomerID, "send_key", addr.SendKey)
	}
	if cut, was := replies.Cut(text, events.MaxNoteText); was {
		log.Warn("sendgrid inbound: reply text cut for its note", "cap_bytes", events.MaxNoteText, "was_bytes", len(text), "customer_id", addr.CustomerID)
		text = cut
	}
	id, at := noteID(ref, messageID(msg.fields["headers"]), msg.fields), h.cfg.Now().UTC()
	admitted, err := h.deps.Addresses.AdmitReply(ctx, ref, id, at, h.cfg.MaxRepliesPerDay)
	if err != nil {
		return "", "", err
	}
	if !admitted {
		// The address is genuine, so whoever holds it may be posting on: the log names the
		// customer and the email, never the ref, which would let a reader of the log post too.
		return refuse(OutcomeRefusedTooMany, fmt.Sprintf("the reply address took %d replies today (UTC), the most it takes", h.cfg.MaxRepliesPerDay),
			"customer_id", addr.CustomerID, "send_key", addr.SendKey)
	}
	res, err := h.deps.Replies.Reply(ctx, events.Reply{
		NoteID:     id,
		CustomerID: addr.CustomerID,
		SendKey:    addr.SendKey,
		Kind:       addr.Kind,
		Text:       text,
		At:         at,
	})
	if err != nil {
		return "", "", fmt.Errorf("record the reply of customer %s to %s: %w", addr.CustomerID, addr.SendKey, err)
	}
	if !res.New {
		return "recorded before: " + res.Note.ID, OutcomeDuplicate, nil
	}
	args := []any{"customer_id", addr.CustomerID, "send_key", addr.SendKey, "kind", addr.Kind, "note_id", res.Note.ID, "from", senderOf(msg.fields["from"])}
	if res.Contact != nil {
		args = append(args, "asks_contact", res.Contact.Phrase)
	}
	if res.DeliveryError != nil {
		args = append(args, "delivery", "owed; the worker delivers it: "+res.DeliveryError.Error())
	}
	log.Info("sendgrid inbound: reply recorded", args...)
	return "recorded: " + res.Note.ID, OutcomeRecorded, nil
}

// senderOf is the sender's address, masked for the log (lifecycle.MaskEmail); the reply address,
// not the sender, is what is trusted.
func senderOf(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return lifecycle.MaskEmail(a.Address)
	}
	return "unparsable"
}

// noteID is the reply's idempotency key: reply-<hash of the ref and the Message-ID>, or of the
// ref, sender, subject and text when the message has no Message-ID.
func noteID(ref, messageID string, fields map[string]string) string {
	key := messageID
	if key == "" {
		key = fields["from"] + "\x00" + fields["subject"] + "\x00" + fields["text"] + "\x00" + fields["html"]
	}
	sum := sha256.Sum256([]byte(ref + "\x00" + key))
	return "reply-" + hex.EncodeToString(sum[:16])
}

// messageID returns the Message-ID of the raw headers, "" when there is none.
func messageID(headers string) string {
	for line := range strings.SplitSeq(strings.ReplaceAll(headers, "\r\n", "\n"), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Message-ID") {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// charsetOf is the character set SendGrid names for field in the charsets JSON, lower case.
func charsetOf(charsets, field string) string {
	var m map[string]string
	_ = json.Unmarshal([]byte(charsets), &m)
	return strings.ToLower(strings.TrimSpace(m[field]))
}

// cp1252 are the characters Windows-1252 puts at 0x80 to 0x9f, where Latin-1 has control
// characters: the curly quotes, dashes and euro sign Outlook writes. 0 marks the five unused.
var cp1252 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

// clean makes s storable text: Latin-1 and Windows-1252 decoded (a Latin-1 label is read as
// Windows-1252, as browsers do: mail programs label the one as the other), anything else that is
// not UTF-8 replaced, NUL and other control characters but tab and line ends dropped.
func clean(s, charset string) string {
	switch charset {
	case "iso-8859-1", "latin1", "iso-8859-15", "windows-1252", "cp1252":
		if !utf8.ValidString(s) {
			r := make([]rune, 0, len(s))
			for i := 0; i < len(s); i++ {
				c := rune(s[i])
				if c >= 0x80 && c < 0xa0 && cp1252[c-0x80] != 0 {
					c = cp1252[c-0x80]
				}
				r = append(r, c)
			}
			s = string(r)
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
