package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/sendgrid/eventwebhook"
	"github.com/tailorhq/tailor/internal/sendinggate"
)

// Defaults for settings the environment leaves out; settings lists every one.
const (
	DefaultTemporalAddress   = "localhost:7233"
	DefaultNamespace         = "default"
	DefaultDatabaseURL       = "postgres://postgres@127.0.0.1:5432/tailor?sslmode=disable"
	DefaultSendGridBaseURL   = "https://api.sendgrid.com"
	DefaultMailFrom          = "Your tailor <tailor@example.com>"
	DefaultOutboxDir         = "outbox"
	DefaultHTTPAddr          = "127.0.0.1:8080"
	DefaultPublicBaseURL     = "http://localhost:8080"
	DefaultWorkflowCacheSize = 2000
	// DefaultOpsAddr is the operator listener (/metrics, /codec/, /healthz): loopback, so that
	// only this machine reaches it unless the operator chooses otherwise.
	DefaultOpsAddr = "127.0.0.1:9090"
	// HTTPOff as HTTP_ADDR turns the worker's HTTP server off; as OPS_ADDR, the operator listener.
	HTTPOff = "off"
	// MinLinkSecretLen is the shortest LINK_SECRET accepted, in bytes.
	MinLinkSecretLen = 32
)

// Starter is what the starter reads from the environment, and the part the worker shares with it.
type Starter struct {
	// Temporal is the connection part of the client options (TemporalClientOptions): address,
	// namespace, TLS, API key. Callers add Logger, converters and metrics.
	Temporal    client.Options
	DatabaseURL string
	// SendGridAPIKey empty: the worker sends to the local outbox. Never print it.
	SendGridAPIKey string
	OutboxDir      string
	// Codec is the payload encryption (TAILOR_CODEC_KEYS); the starter reads only the keys, the
	// worker also the codec endpoint's CODEC_AUTH_TOKEN and CODEC_CORS_ORIGIN.
	Codec      CodecConfig
	Policy     lifecycle.Policy
	PolicyFile string // LIFECYCLE_CONFIG, empty when defaults are used
}

// Worker is everything the worker reads: the starter's settings and its own.
type Worker struct {
	Starter
	SendGridBaseURL string
	MailFrom        mail.Address
	// Signature is the name under every email: MAIL_FROM's name when MAIL_FROM is set, else empty,
	// and the emails are signed with Tailor's default in the customer's language.
	Signature string
	HTTP      HTTPConfig
	Webhook   WebhookConfig
	// API is the HTTP API for the shop's own systems (API_TOKENS).
	API     APIConfig
	Shopify ShopifyConfig
	// Shop is where hand-offs are announced (SHOP_NOTIFY_EMAIL, SHOP_WEBHOOK_URL).
	Shop ShopConfig
	// WorkflowCacheSize is the number of workflows kept in memory between their tasks.
	WorkflowCacheSize int
	// SendingPause is how a worker whose API key the mail provider refuses tries again.
	SendingPause sendinggate.Config
	// ReplyDomain (REPLY_DOMAIN) receives the replies to question emails through SendGrid Inbound
	// Parse; "" sends them without Reply-To and serves no inbound endpoint.
	ReplyDomain string
}

// Binary names the programs that read a setting.
type Binary int

const (
	// ForWorker marks a setting only the worker reads.
	ForWorker Binary = 1 << iota
	// ForStarter marks a setting only the starter reads.
	ForStarter
	// ForBoth marks a setting both read.
	ForBoth = ForWorker | ForStarter
)

// Setting is one environment variable, declared once: its name, default and help make both
// binaries' --help (WriteEnvironment) and are checked against the README's table by a test.
type Setting struct {
	Name string
	// Default is the value when the variable is unset or blank, written as a person would set it
	// and parsed like one; "" means none.
	Default string
	Help    string
	For     Binary
	// Required, when not "", makes the variable required and says why.
	Required string
	// parse reads the value (trimmed, or Default) into w; its error is prefixed with Name. nil:
	// the Temporal SDK's envconfig reads it (TemporalClientOptions).
	parse func(w *Worker, value string) error
	// raw: parse gets the value as given, spaces included, and no default.
	raw bool
}

// mailDomainRE is a DNS name of at least two labels: letters, digits and hyphens.
var mailDomainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Settings lists every environment variable the binaries read, in --help order.
func Settings() []Setting { return settings }

var settings = []Setting{
	{Name: "TEMPORAL_ADDRESS", Default: DefaultTemporalAddress, For: ForBoth, Help: "Temporal frontend host:port"},
	{Name: "TEMPORAL_NAMESPACE", Default: DefaultNamespace, For: ForBoth, Help: "Temporal namespace"},
	{Name: "TEMPORAL_API_KEY", For: ForBoth, Help: "API key (Temporal Cloud or a cluster with API-key auth); turns TLS on"},
	{Name: "TEMPORAL_TLS", For: ForBoth, Help: "true: connect with TLS (on by itself with an API key or client certificate); false: force it off"},
	{Name: "TEMPORAL_TLS_CLIENT_CERT_PATH", For: ForBoth, Help: "mTLS client certificate (PEM); needs TEMPORAL_TLS_CLIENT_KEY_PATH"},
	{Name: "TEMPORAL_TLS_CLIENT_KEY_PATH", For: ForBoth, Help: "mTLS client private key (PEM); needs TEMPORAL_TLS_CLIENT_CERT_PATH"},
	{Name: "TEMPORAL_TLS_SERVER_CA_CERT_PATH", For: ForBoth, Help: "CA certificate (PEM) the server's certificate must chain to (default: the system's)"},
	{Name: "TEMPORAL_TLS_SERVER_NAME", For: ForBoth, Help: "server name to verify in the server's certificate (SNI), when it differs from the address's host"},
	{Name: "TEMPORAL_PROFILE", For: ForBoth, Help: "profile to use from the Temporal config file (default: default)"},
	{Name: "TEMPORAL_CONFIG_FILE", For: ForBoth, Help: "Temporal client config file, TOML (default: <user config dir>/temporalio/temporal.toml, if present)"},
	{Name: "DATABASE_URL", Default: DefaultDatabaseURL, For: ForBoth, Help: "PostgreSQL URL",
		parse: func(w *Worker, v string) error { w.DatabaseURL = v; return nil }},
	{Name: "SENDGRID_API_KEY", For: ForBoth, Help: "send through SendGrid; without it emails go to the local outbox",
		parse: func(w *Worker, v string) error { w.SendGridAPIKey = v; return nil }},
	{Name: "SENDGRID_BASE_URL", Default: DefaultSendGridBaseURL, For: ForWorker, Help: "SendGrid API base URL",
		parse: func(w *Worker, v string) error { w.SendGridBaseURL = v; return nil }},
	{Name: "MAIL_FROM", Default: DefaultMailFrom, For: ForWorker, Help: "sender address; its name signs every email", parse: parseMailFrom},
	{Name: "OUTBOX_DIR", Default: DefaultOutboxDir, For: ForBoth, Help: "folder for the local outbox's .html/.txt files",
		parse: func(w *Worker, v string) error { w.OutboxDir = v; return nil }},
	{Name: "HTTP_ADDR", Default: DefaultHTTPAddr, For: ForWorker, Help: "where the pages the emails link to (and POST /webhooks/sendgrid) are served; " + HTTPOff + ": serve none",
		parse: func(w *Worker, v string) error {
			w.HTTP.Addr, _ = listenAddr(v)
			return addrProblem(v, fmt.Sprintf("127.0.0.1:8080 or :8080 (or %q to serve no HTTP)", HTTPOff))
		}},
	{Name: "OPS_ADDR", Default: DefaultOpsAddr, For: ForWorker, Help: "operators only: GET /metrics, GET /healthz (what is wrong), the codec endpoint; " + HTTPOff + ": serve none; never publish it to customers",
		parse: func(w *Worker, v string) error {
			w.HTTP.OpsAddr, _ = listenAddr(v)
			return addrProblem(v, fmt.Sprintf("%s (or %q to serve no operator endpoints)", DefaultOpsAddr, HTTPOff))
		}},
	{Name: "PUBLIC_BASE_URL", Default: DefaultPublicBaseURL, For: ForWorker, Help: "the address customers reach those pages at; every link starts with it",
		parse: func(w *Worker, v string) error {
			w.HTTP.PublicBaseURL = strings.TrimRight(v, "/")
			if u, err := url.Parse(w.HTTP.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q must be the absolute URL customers reach the worker's pages at, like https://shop.example.com", w.HTTP.PublicBaseURL)
			}
			return nil
		}},
	{Name: "LINK_SECRET", For: ForWorker, raw: true, parse: parseLinkSecret,
		Help: "at least 32 bytes, signs the links in every email (make one with `openssl rand -hex 32`)",
		Required: "every email carries links signed with it, and the worker's pages check them, even when another process serves the pages; " +
			linkSecretHowTo + ", and give every worker the same"},
	durationSetting("LINK_TTL", 60*24*time.Hour, "how long a link works", func(w *Worker) *time.Duration { return &w.HTTP.LinkTTL }),
	{Name: "SENDGRID_WEBHOOK_PUBLIC_KEY", For: ForWorker, Help: "the Signed Event Webhook verification key from SendGrid (base64); serves POST /webhooks/sendgrid (default: off)",
		parse: func(w *Worker, v string) error {
			if v == "" {
				return nil
			}
			key, err := eventwebhook.ParsePublicKey(v)
			w.Webhook.PublicKey = key
			return err
		}},
	durationSetting("SENDGRID_WEBHOOK_TOLERANCE", eventwebhook.DefaultTolerance, "how old a signed webhook delivery may be before it counts as a replay",
		func(w *Worker) *time.Duration { return &w.Webhook.Tolerance }),
	{Name: "API_TOKENS", For: ForWorker, raw: true, parse: parseAPITokens,
		Help: "bearer tokens of the HTTP API for the shop's own systems, comma-separated, each at least 32 bytes (`openssl rand -hex 32`); serves POST /api/v1/events and GET /api/v1/openapi.json on HTTP_ADDR (default: off)"},
	{Name: "SHOPIFY_WEBHOOK_SECRET", For: ForWorker,
		Help: "the secret Shopify signs webhooks with (Settings > Notifications > Webhooks, or the app's client secret); serves POST /webhooks/shopify (default: off)",
		parse: func(w *Worker, v string) error {
			if v == "" {
				return nil
			}
			w.Shopify.Secret = []byte(v)
			if len(v) < MinShopifySecretLen {
				return fmt.Errorf("%d bytes, want at least %d: copy the whole secret Shopify shows under Settings > Notifications > Webhooks (\"Your webhooks will be signed with ...\"), or your app's client secret", len(v), MinShopifySecretLen)
			}
			return nil
		}},
	{Name: "SHOP_NOTIFY_EMAIL", For: ForWorker, Help: "the shop's address that hears of every hand-off (an accepted offer, an unhappy check-in) and its reminders (default: none)",
		parse: func(w *Worker, v string) error {
			if v == "" {
				return nil
			}
			a, err := mail.ParseAddress(v)
			if err != nil {
				return fmt.Errorf("%q is not an email address like shop@example.com: %w", v, err)
			}
			w.Shop.NotifyEmail = a.Address
			return nil
		}},
	{Name: "SHOP_WEBHOOK_URL", For: ForWorker, Help: "https URL that receives a signed POST per hand-off and reminder, retried until it answers 2xx; needs SHOP_WEBHOOK_SECRET (default: off)",
		parse: func(w *Worker, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				return fmt.Errorf("%q must be an absolute http(s) URL without credentials, like https://shop.example.com/hooks/tailor", v)
			}
			w.Shop.WebhookURL = v
			return nil
		}},
	{Name: "SHOP_WEBHOOK_SECRET", For: ForWorker, raw: true,
		Help: "at least 32 bytes (`openssl rand -hex 32`): signs each POST to SHOP_WEBHOOK_URL, HMAC-SHA256 of the body in X-Tailor-Signature: sha256=<hex>",
		parse: func(w *Worker, v string) error {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			w.Shop.WebhookSecret = []byte(v)
			if len(v) < MinShopWebhookSecretLen {
				return fmt.Errorf("%d bytes, it must be at least %d: make one with `openssl rand -hex 32` and give the shop's receiver the same", len(v), MinShopWebhookSecretLen)
			}
			if why := weakSecret(w.Shop.WebhookSecret); why != "" {
				return fmt.Errorf("looks like an example or has too little randomness (%s): make one with `openssl rand -hex 32`", why)
			}
			return nil
		}},
	{Name: "REPLY_DOMAIN", For: ForWorker,
		Help: "the mail domain whose MX points at SendGrid Inbound Parse, e.g. reply.shop.example: the exit, feedback and check-in emails carry Reply-To reply+<signed ref>@it, and POST /webhooks/sendgrid/inbound on HTTP_ADDR records the replies (default: off, replies go to MAIL_FROM)",
		parse: func(w *Worker, v string) error {
			w.ReplyDomain = strings.TrimSuffix(strings.ToLower(v), ".")
			if v == "" {
				return nil
			}
			if !mailDomainRE.MatchString(w.ReplyDomain) {
				return fmt.Errorf("%q is not a mail domain like reply.shop.example (no @, no scheme): the domain whose MX record points at mx.sendgrid.net", v)
			}
			return nil
		}},
	{Name: "LIFECYCLE_CONFIG", For: ForBoth, Help: "YAML policy: min_gap, restock_window, season_fallback, quiet_hours, max_per_window, cap_window, attribution_window, holdout, handoff_remind_after, usage, care, segments",
		parse: func(w *Worker, v string) error {
			w.PolicyFile, w.Policy = v, lifecycle.DefaultPolicy()
			if v == "" {
				return nil
			}
			policy, err := LoadPolicy(v)
			if err != nil {
				return err
			}
			w.Policy = policy
			return nil
		}},
	{Name: "TAILOR_CODEC_KEYS", For: ForBoth, raw: true,
		Help: "encrypt payloads in Temporal: comma-separated id:base64 of 32 bytes (`openssl rand -base64 32`), the encrypting key first; the worker serves POST /codec/encode and /codec/decode on OPS_ADDR (default: off, payloads in plaintext)",
		parse: func(w *Worker, v string) error {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			keys, err := codec.ParseKeys(v)
			if err != nil {
				return err
			}
			w.Codec.Codec, err = codec.New(keys...)
			return err
		}},
	{Name: "CODEC_AUTH_TOKEN", For: ForWorker, Help: "bearer token the codec endpoint requires (default: none; required with TAILOR_CODEC_KEYS when OPS_ADDR is not loopback)",
		parse: func(w *Worker, v string) error { w.Codec.AuthToken = v; return nil }},
	{Name: "CODEC_CORS_ORIGIN", Default: codec.DefaultCORSOrigin, For: ForWorker, Help: "the Temporal UI origin allowed to call the codec endpoint",
		parse: func(w *Worker, v string) error {
			w.Codec.CORSOrigin = strings.TrimRight(v, "/")
			if u, err := url.Parse(w.Codec.CORSOrigin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" || u.RawQuery != "") {
				return fmt.Errorf("%q must be the Temporal UI's origin, scheme and host only, like %s", w.Codec.CORSOrigin, codec.DefaultCORSOrigin)
			}
			return nil
		}},
	{Name: "WORKFLOW_CACHE_SIZE", Default: strconv.Itoa(DefaultWorkflowCacheSize), For: ForWorker, Help: "workflows kept in memory between their tasks; docs/OBSERVABILITY.md weighs memory against replays",
		parse: func(w *Worker, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a positive number of workflows, like %d", v, DefaultWorkflowCacheSize)
			}
			w.WorkflowCacheSize = n
			return nil
		}},
	durationSetting("SENDING_PAUSE_PROBE", sendinggate.DefaultProbeInterval, "while the mail provider refuses the API key (401/403), sending is paused and one email per this interval tries it",
		func(w *Worker) *time.Duration { return &w.SendingPause.ProbeInterval }),
	durationSetting("SENDING_PAUSE_HOLD_MAX", sendinggate.DefaultHoldMax, "the longest a follow-up held by that pause waits before it tries again",
		func(w *Worker) *time.Duration { return &w.SendingPause.HoldMax }),
}

// crossChecks are the rules that span settings, each naming every variable involved. A rule is
// left out while one of its variables has a problem of its own.
var crossChecks = []struct {
	For   Binary
	Names []string
	check func(w *Worker) error
}{
	{ForWorker, []string{"HTTP_ADDR", "OPS_ADDR"}, func(w *Worker) error {
		if w.HTTP.Addr != "" && w.HTTP.OpsAddr == w.HTTP.Addr && !strings.HasSuffix(w.HTTP.Addr, ":0") {
			return fmt.Errorf("OPS_ADDR and HTTP_ADDR are both %q: the operator endpoints need their own address, e.g. OPS_ADDR=%s", w.HTTP.OpsAddr, DefaultOpsAddr)
		}
		return nil
	}},
	{ForWorker, []string{"CODEC_AUTH_TOKEN", "TAILOR_CODEC_KEYS"}, func(w *Worker) error {
		if w.Codec.AuthToken != "" && w.Codec.Codec == nil {
			return errors.New("CODEC_AUTH_TOKEN is set but TAILOR_CODEC_KEYS is not: there is no codec endpoint to guard; set the keys or unset the token")
		}
		return nil
	}},
	{ForWorker, []string{"TAILOR_CODEC_KEYS", "OPS_ADDR", "CODEC_AUTH_TOKEN"}, func(w *Worker) error { return CodecEndpointProblem(w.HTTP, w.Codec) }},
	{ForWorker, []string{"SHOP_WEBHOOK_URL", "SHOP_WEBHOOK_SECRET"}, func(w *Worker) error {
		switch {
		case w.Shop.WebhookURL != "" && len(w.Shop.WebhookSecret) == 0:
			return errors.New("SHOP_WEBHOOK_URL is set but SHOP_WEBHOOK_SECRET is not: the shop could not tell our POSTs from forged ones; set a secret (`openssl rand -hex 32`)")
		case w.Shop.WebhookURL == "" && len(w.Shop.WebhookSecret) > 0:
			return errors.New("SHOP_WEBHOOK_SECRET is set but SHOP_WEBHOOK_URL is not: there is nothing to sign; set the URL or unset the secret")
		}
		return nil
	}},
	{ForWorker, []string{"SENDING_PAUSE_PROBE", "SENDING_PAUSE_HOLD_MAX"}, func(w *Worker) error {
		if p := w.SendingPause; p.ProbeInterval > p.HoldMax {
			return fmt.Errorf("SENDING_PAUSE_PROBE %s is longer than SENDING_PAUSE_HOLD_MAX %s: a held follow-up would try again before any probe",
				Duration(p.ProbeInterval), Duration(p.HoldMax))
		}
		return nil
	}},
}

// LoadWorker reads the worker's configuration from getenv (os.Getenv in production), reporting
// every problem at once, each naming its variable; secrets never appear in errors.
func LoadWorker(getenv func(string) string) (Worker, error) {
	return load(getenv, ForWorker)
}

// LoadStarter reads the starter's configuration from getenv like LoadWorker.
func LoadStarter(getenv func(string) string) (Starter, error) {
	w, err := load(getenv, ForStarter)
	return w.Starter, err
}

func load(getenv func(string) string, b Binary) (Worker, error) {
	var w Worker
	var problems []error
	failed := map[string]bool{}
	for _, s := range settings {
		if s.For&b == 0 || s.parse == nil {
			continue
		}
		value := getenv(s.Name)
		if !s.raw {
			value = strings.TrimSpace(value)
		}
		if strings.TrimSpace(value) == "" {
			if s.Required != "" {
				problems = append(problems, fmt.Errorf("%s is not set: %s", s.Name, s.Required))
				failed[s.Name] = true
				continue
			}
			value = s.Default
		}
		if err := s.parse(&w, value); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", s.Name, err))
			failed[s.Name] = true
		}
	}
	// MAIL_FROM's name signs the emails only when the shop set it.
	if b&ForWorker != 0 && strings.TrimSpace(getenv("MAIL_FROM")) == "" {
		w.Signature = ""
	}
	opts, err := TemporalClientOptions(getenv)
	if err != nil {
		problems = append(problems, err)
	}
	w.Temporal = opts
	for _, c := range crossChecks {
		if c.For&b == 0 || slices.ContainsFunc(c.Names, func(n string) bool { return failed[n] }) {
			continue
		}
		if err := c.check(&w); err != nil {
			problems = append(problems, err)
		}
	}
	return w, errors.Join(problems...)
}

// WriteEnvironment writes the variables binary b reads, one a line with its default, for --help.
func WriteEnvironment(out io.Writer, b Binary) error {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	for _, s := range settings {
		if s.For&b == 0 {
			continue
		}
		help := s.Help
		switch {
		case s.Required != "":
			help = "required, " + help
		case s.Default != "":
			help += " (default " + s.Default + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", s.Name, help)
	}
	return tw.Flush()
}

const linkSecretHowTo = "make one with `openssl rand -hex 32` and keep it: changing it breaks every link already sent"

// parseLinkSecret takes the secret as given (spaces are part of a secret) and refuses one that
// is short or guessable, in words that never quote it.
func parseLinkSecret(w *Worker, v string) error {
	w.HTTP.LinkSecret = []byte(v)
	if len(v) < MinLinkSecretLen {
		return fmt.Errorf("%d bytes, it must be at least %d: %s", len(v), MinLinkSecretLen, linkSecretHowTo)
	}
	if why := weakSecret(w.HTTP.LinkSecret); why != "" {
		return fmt.Errorf("looks like an example or has too little randomness (%s): whoever guesses it can forge every link; %s", why, linkSecretHowTo)
	}
	return nil
}

func parseMailFrom(w *Worker, v string) error {
	from, err := mail.ParseAddress(v)
	if err != nil {
		return fmt.Errorf("%q is not an email address like \"Shop <shop@example.com>\": %w", v, err)
	}
	w.MailFrom, w.Signature = *from, from.Name
	return nil
}

// durationSetting is a worker's setting of a Duration more than 0, def when unset, parsed into the
// field dst picks.
func durationSetting(name string, def time.Duration, help string, dst func(*Worker) *time.Duration) Setting {
	example := Duration(def).String()
	return Setting{Name: name, Default: example, For: ForWorker, Help: help, parse: func(w *Worker, v string) error {
		var d Duration
		if err := d.UnmarshalText([]byte(v)); err != nil {
			return err
		}
		if d == 0 {
			return fmt.Errorf("%q must be more than 0, e.g. %s", v, example)
		}
		*dst(w) = d.Std()
		return nil
	}}
}

// listenAddr is v as a listen address: "" when v is off.
func listenAddr(v string) (addr string, on bool) {
	if strings.EqualFold(v, HTTPOff) {
		return "", false
	}
	return v, true
}

// addrProblem says what is wrong with v as host:port (or off); like names an example.
func addrProblem(v, like string) error {
	if _, on := listenAddr(v); !on {
		return nil
	}
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("%q is not host:port like %s: %w", v, like, err)
	}
	return nil
}
