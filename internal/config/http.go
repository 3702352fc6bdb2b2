package config

import (
	"fmt"
	"net"
	"strings"
	"time"
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
	// LinkSecret signs the links (LINK_SECRET, required). Never print it.
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
