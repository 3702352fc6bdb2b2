package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Recorder keeps emails the outbox delivered; SaveOutboxEmail must be idempotent on e.Key.
type Recorder interface {
	SaveOutboxEmail(ctx context.Context, e lifecycle.Email, messageID string, at time.Time) error
}

// maxNameLen keeps file names well under the 255-byte limit of common file systems.
const maxNameLen = 120

// Mailer "sends" emails into the local outbox. It is safe for concurrent use if rec is.
type Mailer struct {
	rec Recorder
	dir string
	now func() time.Time
}

// New returns an outbox that records through rec and writes files under dir; dir "" writes no
// files. now nil means time.Now.
func New(rec Recorder, dir string, now func() time.Time) *Mailer {
	if now == nil {
		now = time.Now
	}
	return &Mailer{rec: rec, dir: dir, now: now}
}

// Send writes e's files (when the outbox has a directory), records it, and returns its message
// id, which depends only on e.Key.
func (m *Mailer) Send(ctx context.Context, e lifecycle.Email) (string, error) {
	id := MessageID(e.Key)
	if m.dir != "" {
		// Files first: an email recorded as sent always has its files.
		if err := m.write(e); err != nil {
			return "", fmt.Errorf("write outbox email %s: %w", e.Key, err)
		}
	}
	if err := m.rec.SaveOutboxEmail(ctx, e, id, m.now()); err != nil {
		return "", fmt.Errorf("record outbox email %s: %w", e.Key, err)
	}
	return id, nil
}

// CustomerDir is the folder of an outbox rooted at dir that holds the customer's emails.
func CustomerDir(dir, customerID string) string { return filepath.Join(dir, sanitize(customerID)) }

// Paths returns where an outbox rooted at dir puts e's HTML and text parts.
func Paths(dir string, e lifecycle.Email) (html, text string) {
	base := filepath.Join(CustomerDir(dir, e.CustomerID), sanitize(string(e.Kind)+"-"+e.Key))
	return base + ".html", base + ".txt"
}

func (m *Mailer) write(e lifecycle.Email) error {
	html, text := Paths(m.dir, e)
	if err := os.MkdirAll(filepath.Dir(html), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(html, []byte(e.HTML), 0o644); err != nil {
		return err
	}
	return os.WriteFile(text, []byte(e.Text), 0o644)
}

// MessageID is the outbox's message id for key: "outbox-" and 16 hex digits of its SHA-256.
func MessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "outbox-" + hex.EncodeToString(sum[:])[:16]
}

// sanitize makes s safe as one path element: letters, digits, '-' and '_' stay, everything else
// (including '/' and '.', so no "..") becomes '_'. Long names are cut and suffixed with a hash of
// the whole so they stay distinct.
func sanitize(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		default:
			return '_'
		}
	}, s)
	if out == "" {
		return "_"
	}
	if len(out) > maxNameLen {
		out = out[:maxNameLen-len("-")-16] + "-" + strings.TrimPrefix(MessageID(s), "outbox-")
	}
	return out
}
