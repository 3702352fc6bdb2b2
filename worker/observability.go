package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// newLogger logs JSON to w with every email address masked, in messages and attributes alike,
// including the Temporal SDK's logs and errors that quote an address.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(redactingHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: redactAttr})})
}

// redactEmails masks every email address in s, keeping enough for its owner to recognise it:
// d***@example.com, j***@bücher.example, u***@[192.0.2.1] (lifecycle.RedactEmails).
func redactEmails(s string) string { return lifecycle.RedactEmails(s) }

// redactAttr masks addresses in string values and in anything that prints as text (errors,
// Stringers, other values); it leaves other kinds, numbers and times, alone.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); strings.Contains(s, "@") {
			a.Value = slog.StringValue(redactEmails(s))
		}
	case slog.KindAny:
		if s := fmt.Sprint(a.Value.Any()); strings.Contains(s, "@") {
			if r := redactEmails(s); r != s {
				a.Value = slog.StringValue(r)
			}
		}
	}
	return a
}

// redactingHandler masks addresses in the message; ReplaceAttr covers the attributes.
type redactingHandler struct{ slog.Handler }

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Message = redactEmails(r.Message)
	return h.Handler.Handle(ctx, r)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return redactingHandler{h.Handler.WithAttrs(attrs)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.Handler.WithGroup(name)}
}
