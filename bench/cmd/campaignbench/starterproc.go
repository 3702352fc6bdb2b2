package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// startedStarter is a starter command running in the background (the sale, the orders import), its
// output going to a log file in the run's folder.
type startedStarter struct {
	exited  chan error // receives cmd.Wait's result once
	cancel  context.CancelFunc
	log     *os.File
	trigger time.Time // when the command was started
}

// startStarter starts `starter args...` with its output in logPath and says so on progress under
// label. The caller defers close.
func startStarter(ctx context.Context, starter string, args []string, logPath, label string, progress io.Writer) (*startedStarter, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(runCtx, starter, args...)
	cmd.Stdout, cmd.Stderr = log, log
	fmt.Fprintf(progress, "%s: starter %s\n", label, strings.Join(args, " "))
	s := &startedStarter{exited: make(chan error, 1), cancel: cancel, log: log, trigger: time.Now()}
	if err := cmd.Start(); err != nil {
		s.close()
		return nil, fmt.Errorf("start the starter: %w", err)
	}
	go func() { s.exited <- cmd.Wait() }()
	return s, nil
}

// close stops the command if it still runs and closes its log.
func (s *startedStarter) close() {
	s.cancel()
	s.log.Close()
}
