package sink

import (
	"context"
	"net"
	"net/http/httptest"
)

// Cleaner registers a function to run when its owner ends; *testing.T, *testing.B and
// testing.TB are Cleaners. Start asks for no more, so that this package need not import testing.
type Cleaner interface {
	Cleanup(func())
}

// Start serves a new sink on a local test server, closed when the test ends (c is usually the
// test's t), and returns the sink and the server's base URL (to use as the SendGrid base URL).
// Requests still waiting out a Delay when the test ends are abandoned so that the test does not
// hang.
func Start(c Cleaner, apiKey string) (*Sink, string) {
	s := New(apiKey)
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewUnstartedServer(s)
	srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	srv.Start()
	c.Cleanup(func() {
		cancel()
		srv.Close()
	})
	return s, srv.URL
}
