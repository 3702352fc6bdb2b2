package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/sendgrid/sink"
	"github.com/tailorhq/tailor/internal/temporaltest"
	"github.com/tailorhq/tailor/workflows"
)

// What the drills break things with: a front before the SendGrid sink that scripts failures, a
// file-backed Temporal dev server that can be stopped and started again, and a TCP proxy before
// PostgreSQL that can cut every connection.

// frontSink puts a sinkFront before the stack's SendGrid sink and points SENDGRID_BASE_URL at it.
func (s *stack) frontSink() *sinkFront {
	s.t.Helper()
	f := &sinkFront{t: s.t, sink: s.sink}
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewUnstartedServer(f)
	srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	srv.Start()
	s.t.Cleanup(func() {
		cancel() // ends held requests, so that Close does not wait for them
		srv.Close()
	})
	s.setEnv("SENDGRID_BASE_URL", srv.URL)
	return f
}

// frontStep handles one mail send request in place of the sink.
type frontStep func(w http.ResponseWriter, r *http.Request)

// sinkFront stands between the worker and the sink, to fail requests in ways the sink cannot: in
// a scripted order, or after the sink accepted them.
type sinkFront struct {
	t    *testing.T
	sink *sink.Sink

	mu      sync.Mutex
	script  []frontStep // for the next requests, in order; then the sink answers
	holding bool
	arrived []time.Time
	read    int // requests whose body was read to the end, by the sink or a step
}

func (f *sinkFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v3/mail/send" {
		f.sink.ServeHTTP(w, r)
		return
	}
	r.Body = &bodyReader{ReadCloser: r.Body, done: func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.read++
	}}
	f.mu.Lock()
	f.arrived = append(f.arrived, time.Now())
	var step frontStep = f.sink.ServeHTTP
	switch {
	case f.holding:
		step = holdUnanswered
	case len(f.script) > 0:
		step, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	step(w, r)
}

// next scripts how the next requests are handled.
func (f *sinkFront) next(steps ...frontStep) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, steps...)
}

// hold makes every request arriving from now on wait unanswered until its client gives up.
func (f *sinkFront) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holding = true
}

// release lets requests through to the sink again; those already held stay unanswered.
func (f *sinkFront) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holding = false
}

func (f *sinkFront) arrivals() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.arrived)
}

// awaitRead waits until the bodies of n requests have been read to the end: the sink reads a
// request's body before it waits out its Delay, so the n-th request is then inside that delay.
func (f *sinkFront) awaitRead(n int, what string) {
	f.t.Helper()
	require.Eventually(f.t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.read >= n
	}, e2eTimeout, 20*time.Millisecond, "waiting for %s", what)
}

// bodyReader calls done once its body has been read to the end.
type bodyReader struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.done)
	}
	return n, err
}

// answer fails a request with status and header, as SendGrid would, without storing it.
func answer(status int, header http.Header) frontStep {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"message":%q}]}`, strings.ToLower(http.StatusText(status)))
	}
}

// acceptAndLoseAnswer lets the sink accept the email, then never answers: the client's timeout,
// or its death, ends the request.
func (f *sinkFront) acceptAndLoseAnswer(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	// The sink must finish storing even if the client gives up meanwhile.
	f.sink.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
	if rec.Code != http.StatusAccepted {
		f.t.Errorf("the sink must accept the email whose answer is lost, it answered %d: %s", rec.Code, rec.Body)
	}
	<-r.Context().Done()
}

// holdUnanswered reads the request and never answers it.
func holdUnanswered(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body) // net/http notices the client gave up only once the body is read
	<-r.Context().Done()
}

// fileDevServer is a Temporal dev server on a SQLite file, which survives a restart on the same
// file and port (temporaltest.Start's server keeps its state in memory).
type fileDevServer struct {
	t        *testing.T
	cli      string
	dbFile   string
	hostPort string
	httpPort string
	metrics  string
	log      *syncBuffer
	proc     *process
}

func startFileDevServer(t *testing.T) *fileDevServer {
	t.Helper()
	cli := temporaltest.CLIPath(t)
	port := func() string { return listenablePort(t) }
	d := &fileDevServer{
		t: t, cli: cli, dbFile: filepath.Join(t.TempDir(), "temporal.db"),
		log: &syncBuffer{}, httpPort: port(), metrics: port(),
	}
	d.hostPort = "127.0.0.1:" + port()
	t.Cleanup(func() {
		if d.proc != nil {
			d.proc.kill()
		}
		if t.Failed() {
			t.Logf("Temporal dev server output:\n%s", d.log.String())
		}
	})
	d.start()
	return d
}

// start starts the server on its file and port and waits until it serves the default namespace.
func (d *fileDevServer) start() {
	d.t.Helper()
	_, port, _ := net.SplitHostPort(d.hostPort)
	args := []string{"server", "start-dev", "--db-filename", d.dbFile, "--ip", "127.0.0.1", "--port", port,
		"--http-port", d.httpPort, "--metrics-port", d.metrics, "--headless", "--log-level", "error"}
	for _, sa := range []string{workflows.SearchAttrCustomerID, workflows.SearchAttrLifecycleStage, workflows.SearchAttrCampaignState} {
		args = append(args, "--search-attribute", sa+"=Keyword")
	}
	cmd := exec.Command(d.cli, args...)
	cmd.Stdout, cmd.Stderr = d.log, d.log
	require.NoError(d.t, cmd.Start(), "start %s", d.cli)
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	d.proc = p

	var c client.Client
	require.Eventually(d.t, func() bool {
		if p.exited() {
			return true
		}
		if c == nil {
			var err error
			if c, err = client.NewLazyClient(client.Options{HostPort: d.hostPort, Namespace: "default"}); err != nil {
				return false
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, 1) // answers once the namespace is served
		return err == nil
	}, e2eTimeout, 100*time.Millisecond, "waiting for the dev server at %s", d.hostPort)
	if c != nil {
		c.Close()
	}
	require.False(d.t, p.exited(), "the dev server exited at start: %v\n%s", p.err, d.log.String())
}

// stop stops the server with SIGTERM, as an orderly shutdown would, and waits for it to exit.
func (d *fileDevServer) stop() {
	d.t.Helper()
	require.NoError(d.t, d.proc.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.proc.done:
	case <-time.After(30 * time.Second):
		d.t.Fatalf("the dev server did not stop within 30s of SIGTERM")
	}
}

// tcpProxy forwards connections to PostgreSQL, and can cut them all and refuse new ones.
type tcpProxy struct {
	t           *testing.T
	target      string
	addr        string
	databaseURL string // the original DATABASE_URL through the proxy

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func startTCPProxy(t *testing.T, databaseURL string) *tcpProxy {
	t.Helper()
	u, err := url.Parse(databaseURL)
	require.NoError(t, err)
	p := &tcpProxy{t: t, target: u.Host, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	u.Host = p.addr
	p.databaseURL = u.String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // cut
			}
			go p.forward(conn)
		}
	}()
}

func (p *tcpProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	go func() {
		_, _ = io.Copy(server, client)
		server.Close()
	}()
	_, _ = io.Copy(client, server)
	client.Close()
}

// cut closes the listener and every connection: PostgreSQL is gone, new connections are refused.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// restore listens again on the same address.
func (p *tcpProxy) restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err, "listen again on %s", p.addr)
	p.serve(ln)
}
