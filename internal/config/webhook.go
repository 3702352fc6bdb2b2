package config

import (
	"crypto/ecdsa"
	"time"
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
