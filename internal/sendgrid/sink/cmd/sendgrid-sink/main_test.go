package main

import (
	"bytes"
	"errors"
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string // "" with help: flag.ErrHelp
		help    bool
	}{
		{name: "help", args: []string{"--help"}, help: true},
		{name: "missing api key", args: []string{"--addr", "127.0.0.1:0"}, wantErr: "--api-key is required"},
		{name: "unknown flag", args: []string{"--port", "1"}, wantErr: "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(t.Context(), tc.args, &stderr)
			if tc.help {
				assert.True(t, errors.Is(err, flag.ErrHelp), "args %v: got %v", tc.args, err)
				assert.Contains(t, stderr.String(), "Usage: sendgrid-sink")
				return
			}
			assert.ErrorContains(t, err, tc.wantErr, "args %v", tc.args)
		})
	}
}
