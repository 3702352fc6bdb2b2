package sendgridsink

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"
)

// Start serves a new sink on a local test server, closed when the test ends, and returns the
// sink and the server's base URL (to use as the SendGrid base URL). Requests still waiting out a
// Delay when the test ends are abandoned so that the test does not hang.
func Start(t testing.TB, apiKey string) (*Sink, string) {
	t.Helper()
	s := New(apiKey)
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewUnstartedServer(s)
	srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	srv.Start()
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	return s, srv.URL
}
