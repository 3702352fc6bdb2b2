package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Defaults of the worker's HTTP side.
const (
	DefaultHTTPAddr      = "127.0.0.1:8080"
	DefaultPublicBaseURL = "http://localhost:8080"
	DefaultLinkTTL       = 60 * 24 * time.Hour
	// MinLinkSecretLen is the shortest LINK_SECRET accepted, in bytes.
	MinLinkSecretLen = 32
	// HTTPOff as HTTP_ADDR turns the worker's HTTP server off; as OPS_ADDR, the operator listener.
	HTTPOff = "off"
	// DefaultOpsAddr is the operator listener (/metrics, /codec/, /healthz): loopback, so that
	// only this machine reaches it unless the operator chooses otherwise.
	DefaultOpsAddr = "127.0.0.1:9090"
)

// HTTPConfig is the worker's HTTP side: the pages the emails link to, and the links themselves.
type HTTPConfig struct {
	// Addr is the listen address of the customers' pages; empty when HTTP_ADDR=off.
	Addr string
	// OpsAddr is the listen address of the operator endpoints (metrics, codec, detailed health);
	// empty when OPS_ADDR=off.
	OpsAddr string
	// PublicBaseURL is where customers reach the pages; every link starts with it.
	PublicBaseURL string
	// LinkSecret signs the links; empty only when HTTP is off and LINK_SECRET is unset (then the
	// worker cannot make links). Never print it.
	LinkSecret []byte
	// LinkTTL is how long a link works.
	LinkTTL time.Duration
}

// Enabled reports whether the worker serves HTTP.
func (c HTTPConfig) Enabled() bool { return c.Addr != "" }

// OpsEnabled reports whether the worker serves the operator endpoints.
func (c HTTPConfig) OpsEnabled() bool { return c.OpsAddr != "" }

// OpsLoopback reports whether only this machine reaches the operator listener: its host is
// localhost or a loopback IP (127.0.0.0/8, ::1). An empty host (":9090") listens everywhere.
func (c HTTPConfig) OpsLoopback() bool { return isLoopback(c.OpsAddr) }

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes c without the secret.
func (c HTTPConfig) String() string {
	addr, ops := c.Addr, c.OpsAddr
	if addr == "" {
		addr = HTTPOff
	}
	if ops == "" {
		ops = HTTPOff
	}
	return fmt.Sprintf("http=%s ops=%s base=%s link_ttl=%s link_secret=%d bytes", addr, ops, c.PublicBaseURL, c.LinkTTL, len(c.LinkSecret))
}

// HTTPFromEnv reads HTTP_ADDR, OPS_ADDR, PUBLIC_BASE_URL, LINK_SECRET and LINK_TTL from getenv,
// reporting every problem at once. LINK_SECRET is required while HTTP is on; it is checked
// whenever set, because a worker with HTTP off still signs the links in its emails.
func HTTPFromEnv(getenv func(string) string) (HTTPConfig, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := HTTPConfig{
		Addr:          get("HTTP_ADDR", DefaultHTTPAddr),
		OpsAddr:       get("OPS_ADDR", DefaultOpsAddr),
		PublicBaseURL: strings.TrimRight(get("PUBLIC_BASE_URL", DefaultPublicBaseURL), "/"),
		LinkSecret:    []byte(getenv("LINK_SECRET")), // as given: spaces are part of a secret
		LinkTTL:       DefaultLinkTTL,
	}
	var problems []error
	if strings.EqualFold(c.Addr, HTTPOff) {
		c.Addr = ""
	} else if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		problems = append(problems, fmt.Errorf("HTTP_ADDR %q is not host:port like 127.0.0.1:8080 or :8080 (or %q to serve no HTTP): %w", c.Addr, HTTPOff, err))
	}
	if strings.EqualFold(c.OpsAddr, HTTPOff) {
		c.OpsAddr = ""
	} else if _, port, err := net.SplitHostPort(c.OpsAddr); err != nil {
		problems = append(problems, fmt.Errorf("OPS_ADDR %q is not host:port like %s (or %q to serve no operator endpoints): %w", c.OpsAddr, DefaultOpsAddr, HTTPOff, err))
	} else if c.OpsAddr == c.Addr && port != "0" {
		problems = append(problems, fmt.Errorf("OPS_ADDR and HTTP_ADDR are both %q: the operator endpoints need their own address, e.g. OPS_ADDR=%s", c.OpsAddr, DefaultOpsAddr))
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		problems = append(problems, fmt.Errorf("PUBLIC_BASE_URL %q must be the absolute URL customers reach the worker's pages at, like https://shop.example.com", c.PublicBaseURL))
	}
	const howTo = "make one with `openssl rand -hex 32` and keep it: changing it breaks every link already sent"
	switch {
	case len(c.LinkSecret) == 0 && c.Enabled():
		problems = append(problems, fmt.Errorf("LINK_SECRET is not set: the worker's pages need it to sign and check links (%s), or set HTTP_ADDR=%s", howTo, HTTPOff))
	case len(c.LinkSecret) > 0 && len(c.LinkSecret) < MinLinkSecretLen:
		problems = append(problems, fmt.Errorf("LINK_SECRET is %d bytes, it must be at least %d: %s", len(c.LinkSecret), MinLinkSecretLen, howTo))
	case len(c.LinkSecret) > 0:
		if why := weakSecret(c.LinkSecret); why != "" {
			problems = append(problems, fmt.Errorf("LINK_SECRET looks like an example or has too little randomness (%s): whoever guesses it can forge every link; %s", why, howTo))
		}
	}
	if v := get("LINK_TTL", ""); v != "" {
		d, err := ParseDuration(v)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("LINK_TTL: %w", err))
		case d == 0:
			problems = append(problems, errors.New("LINK_TTL must be longer than 0, e.g. 60d"))
		default:
			c.LinkTTL = d
		}
	}
	return c, errors.Join(problems...)
}
