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

// ShopifyConfig enables Shopify's webhook endpoint (POST /webhooks/shopify).
type ShopifyConfig struct {
	// Secret verifies the X-Shopify-Hmac-Sha256 of each delivery; nil means
	// SHOPIFY_WEBHOOK_SECRET is unset and the endpoint is off. Never print it.
	Secret []byte
}

// Enabled reports whether the endpoint should be mounted.
func (c ShopifyConfig) Enabled() bool { return len(c.Secret) > 0 }

// MinShopifySecretLen is the shortest SHOPIFY_WEBHOOK_SECRET accepted: Shopify's are 32 bytes or
// more, a shorter value is a placeholder or a paste cut short.
const MinShopifySecretLen = 16

// ShopConfig is how the shop hears of a hand-off (an accepted offer, an unhappy check-in): an
// email to NotifyEmail, a signed POST to WebhookURL, or both; neither leaves the hand-off in
// PostgreSQL (`starter tasks`) and in the customer's status only.
type ShopConfig struct {
	// NotifyEmail receives one email per hand-off and per reminder; "" sends none.
	NotifyEmail string
	// WebhookURL receives a POST per hand-off and per reminder, signed with WebhookSecret
	// (HMAC-SHA256 in X-Tailor-Signature); "" posts none. Never print the secret.
	WebhookURL    string
	WebhookSecret []byte
}

// MinShopWebhookSecretLen is the shortest SHOP_WEBHOOK_SECRET accepted, in bytes.
const MinShopWebhookSecretLen = 32
