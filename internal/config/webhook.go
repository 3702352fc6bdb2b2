package config

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/sendgridwebhook"
)

// WebhookConfig enables SendGrid's Event Webhook endpoint (POST /webhooks/sendgrid).
type WebhookConfig struct {
	// PublicKey verifies SendGrid's signatures; nil means SENDGRID_WEBHOOK_PUBLIC_KEY is unset and
	// the endpoint is off.
	PublicKey *ecdsa.PublicKey
	// Tolerance is how far a delivery's signed timestamp may be from now (replay guard).
	Tolerance time.Duration
}

// Enabled reports whether the endpoint should be mounted.
func (c WebhookConfig) Enabled() bool { return c.PublicKey != nil }

// WebhookFromEnv reads SENDGRID_WEBHOOK_PUBLIC_KEY (the verification key from SendGrid's Signed
// Event Webhook settings; optional) and SENDGRID_WEBHOOK_TOLERANCE (default 10m; Go durations or
// whole days). Every problem is reported at once; the key is never printed.
func WebhookFromEnv(getenv func(string) string) (WebhookConfig, error) {
	c := WebhookConfig{Tolerance: sendgridwebhook.DefaultTolerance}
	var problems []error
	if raw := strings.TrimSpace(getenv("SENDGRID_WEBHOOK_PUBLIC_KEY")); raw != "" {
		key, err := sendgridwebhook.ParsePublicKey(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("SENDGRID_WEBHOOK_PUBLIC_KEY: %w", err))
		} else {
			c.PublicKey = key
		}
	}
	if raw := strings.TrimSpace(getenv("SENDGRID_WEBHOOK_TOLERANCE")); raw != "" {
		d, err := ParseDuration(raw)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("SENDGRID_WEBHOOK_TOLERANCE: %w", err))
		case d == 0:
			problems = append(problems, errors.New("SENDGRID_WEBHOOK_TOLERANCE: must be more than 0, e.g. 10m"))
		default:
			c.Tolerance = d
		}
	}
	return c, errors.Join(problems...)
}
