package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/replies"
	"github.com/tailorhq/tailor/internal/sendgrid/inboundparse"
	"github.com/tailorhq/tailor/internal/store"
)

// replyAddresses give the question emails their signed reply address at REPLY_DOMAIN and record
// what each was made for (activities.ReplyAddresses).
type replyAddresses struct {
	domain string
	signer *links.Signer
	store  *store.DB
}

var _ activities.ReplyAddresses = replyAddresses{}

func (r replyAddresses) ReplyTo(ctx context.Context, customerID, sendKey string, kind lifecycle.Kind) (string, error) {
	if !replies.Asks(kind) {
		return "", nil
	}
	ref := r.signer.ReplyRef(customerID, sendKey)
	if err := r.store.RememberReplyAddress(ctx, store.ReplyAddress{Ref: ref, CustomerID: customerID, SendKey: sendKey, Kind: kind}); err != nil {
		return "", err
	}
	return replies.Address(r.domain, ref), nil
}

// inboundHandler is POST /webhooks/sendgrid/inbound, or nil without REPLY_DOMAIN.
func inboundHandler(domain string, st *store.DB, signer *links.Signer, ev *events.Service, counter inboundparse.Counter, logger *slog.Logger) http.Handler {
	if domain == "" {
		logger.Info("no REPLY_DOMAIN: question emails carry no Reply-To and the SendGrid Inbound Parse endpoint is off")
		return nil
	}
	return inboundparse.New(inboundparse.Config{Domain: domain}, inboundparse.Deps{
		Addresses: st, Verifier: signer, Replies: ev, Counter: counter, Logger: logger.With("component", "sendgrid-inbound"),
	})
}
