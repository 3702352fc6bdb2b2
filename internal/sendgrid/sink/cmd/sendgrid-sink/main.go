package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tailorhq/tailor/internal/sendgrid/sink"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "sendgrid-sink:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("sendgrid-sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8025", "`address` to listen on")
	apiKey := fs.String("api-key", "", "API `key` clients must send as 'Authorization: Bearer KEY' (required)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: sendgrid-sink --addr 127.0.0.1:8025 --api-key KEY")
		fmt.Fprintln(fs.Output(), "\nServes a local stand-in for SendGrid's POST /v3/mail/send; GET /messages lists accepted mail as JSON.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *apiKey == "" {
		fs.Usage()
		return errors.New("--api-key is required: set it to the SENDGRID_API_KEY the worker uses")
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           sink.New(*apiKey),
		ReadHeaderTimeout: 10 * time.Second,
		// Requests stalled by a delay end when the process is asked to stop.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("sendgrid sink listening", "url", "http://"+ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("sendgrid sink stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stop server: %w", err)
	}
	return nil
}
