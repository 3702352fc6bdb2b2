package sendgrid

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// Defaults used for zero Config fields.
const (
	DefaultBaseURL = "https://api.sendgrid.com"
	DefaultTimeout = 15 * time.Second
)

// maxMessageLen bounds how much of an unparsable error body ends up in a SendError.
const maxMessageLen = 512

// Config is what the adapter needs to reach SendGrid.
type Config struct {
	APIKey    string
	BaseURL   string // "" means DefaultBaseURL; a sink URL (internal/sendgrid/sink) in tests and demos
	FromEmail string
	FromName  string
	Timeout   time.Duration    // for one request, 0 means DefaultTimeout
	Now       func() time.Time // nil means time.Now; used to turn X-RateLimit-Reset into a wait
}

// Mailer sends emails through SendGrid. It is safe for concurrent use.
type Mailer struct {
	cfg    Config
	client *rest.Client
}

// New returns a Mailer for cfg, filling in defaults.
func New(cfg Config) *Mailer {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// sendgrid-go's default client has no timeout; a hung connection would hold the activity
	// until its own timeout instead of failing fast and being retried.
	return &Mailer{cfg: cfg, client: &rest.Client{HTTPClient: &http.Client{Timeout: cfg.Timeout}}}
}

// Send posts e to SendGrid once and returns SendGrid's message id. Refusals come back as
// *lifecycle.SendError; transport failures and timeouts as other errors, which are worth retrying.
func (m *Mailer) Send(ctx context.Context, e lifecycle.Email) (string, error) {
	body, err := json.Marshal(m.message(e))
	if err != nil {
		return "", fmt.Errorf("send email %s: encode request: %w", e.Key, err)
	}
	req := sg.GetRequest(m.cfg.APIKey, "/v3/mail/send", m.cfg.BaseURL)
	req.Method = rest.Post
	req.Body = body

	resp, err := m.client.SendWithContext(ctx, req)
	if err != nil {
		// net/http errors name the URL and cause, never request headers, so the key stays out.
		return "", fmt.Errorf("send email %s: %w", e.Key, err)
	}
	return m.result(e, resp)
}

func (m *Mailer) message(e lifecycle.Email) *mail.SGMailV3 {
	var content []*mail.Content
	// SendGrid rejects empty content blocks, and text/plain must come before text/html.
	if e.Text != "" {
		content = append(content, mail.NewContent("text/plain", e.Text))
	}
	if e.HTML != "" {
		content = append(content, mail.NewContent("text/html", e.HTML))
	}
	msg := mail.NewV3MailInit(
		mail.NewEmail(m.cfg.FromName, m.cfg.FromEmail),
		e.Subject,
		mail.NewEmail(e.ToName, e.ToEmail),
		content...,
	)
	if e.ReplyTo != "" {
		// A field of its own: SendGrid refuses Reply-To among the custom headers.
		msg.SetReplyTo(mail.NewEmail("", e.ReplyTo))
	}
	msg.SetCustomArg("idempotency_key", e.Key)
	msg.SetCustomArg("customer_id", e.CustomerID)
	msg.SetCustomArg("kind", string(e.Kind))
	for name, value := range e.Headers { // e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058)
		msg.SetHeader(name, value)
	}
	msg.SetHeader("X-Tailor-Key", e.Key) // last, so the send-log key cannot be overridden
	return msg
}

func (m *Mailer) result(e lifecycle.Email, resp *rest.Response) (string, error) {
	header := http.Header(resp.Headers)
	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		id := header.Get("X-Message-Id")
		if id == "" {
			return "", fmt.Errorf("send email %s: SendGrid answered %d without an X-Message-Id header", e.Key, status)
		}
		return id, nil
	case status == http.StatusTooManyRequests:
		return "", &lifecycle.SendError{
			Status:     status,
			Message:    m.errorMessage(resp),
			RetryAfter: retryAfter(header.Get("X-RateLimit-Reset"), m.cfg.Now()),
		}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// A revoked, rotated or under-scoped key: no email can go out, this one is not at fault.
		return "", &lifecycle.SendError{Status: status, Message: m.errorMessage(resp), AuthRefused: true}
	case status >= 400 && status < 500:
		return "", &lifecycle.SendError{Status: status, Message: m.errorMessage(resp), Permanent: true}
	default: // 5xx, or an unexpected 1xx/3xx: nothing says retrying is hopeless
		return "", &lifecycle.SendError{Status: status, Message: m.errorMessage(resp)}
	}
}

// retryAfter turns X-RateLimit-Reset (unix seconds) into a wait of at least a second, or 0 when
// SendGrid did not say.
func retryAfter(reset string, now time.Time) time.Duration {
	sec, err := strconv.ParseInt(strings.TrimSpace(reset), 10, 64)
	if err != nil {
		return 0
	}
	return max(time.Unix(sec, 0).Sub(now), time.Second)
}

// errorMessage joins SendGrid's error messages, naming the field each is about.
func (m *Mailer) errorMessage(resp *rest.Response) string {
	var body struct {
		Errors []struct {
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal([]byte(resp.Body), &body) == nil {
		for _, e := range body.Errors {
			switch {
			case e.Field != "" && e.Message != "":
				parts = append(parts, e.Field+": "+e.Message)
			case e.Message != "":
				parts = append(parts, e.Message)
			}
		}
	}
	msg := strings.Join(parts, "; ")
	if msg == "" {
		msg = strings.TrimSpace(resp.Body)
		if len(msg) > maxMessageLen {
			msg = strings.ToValidUTF8(msg[:maxMessageLen], "") + "…"
		}
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if m.cfg.APIKey != "" { // a proxy echoing the request must not leak the key into the send log
		msg = strings.ReplaceAll(msg, m.cfg.APIKey, "[redacted]")
	}
	return msg
}
