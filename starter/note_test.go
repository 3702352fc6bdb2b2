package main

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/store"
)

// Bad command lines of note, usage and segments: exit 2 with every problem named, before any
// connection is made, so nothing is stored or sent.
func TestSegmentCommandLines(t *testing.T) {
	usage := func(extra ...string) []string {
		return append([]string{"usage", "--customer", "c1", "--metric", "data_mb", "--used", "850", "--limit", "1000"}, extra...)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"note without anything", []string{"note"}, []string{"missing --customer", "missing --kind"}},
		{"note with an unknown kind", []string{"note", "--customer", "c1", "--kind", "praise"}, []string{`--kind "praise" is not one of referral, exit, complaint`}},
		{"note with an empty id", []string{"note", "--customer", "c1", "--kind", "exit", "--id", " "}, []string{"missing --id NOTE_ID"}},
		{"note with a stray argument", []string{"note", "--customer", "c1", "--kind", "exit", "moving"}, []string{`unexpected argument "moving"`}},
		{"usage without anything", []string{"usage"}, []string{"missing --customer", "missing --metric", "missing --used", "missing --limit"}},
		{"usage with negative use", usage("--used", "-1"), []string{"--used must be a number of units, 0 or more, got -1"}},
		{"usage with limit 0", usage("--limit", "0"), []string{"--limit must be a number of units above 0, got 0"}},
		{"usage with a negative limit", usage("--limit", "-5"), []string{"--limit must be a number of units above 0, got -5"}},
		{"usage with NaN", usage("--used", "NaN"), []string{"--used must be a number"}},
		{"usage with infinite limit", usage("--limit", "+Inf"), []string{"--limit must be a number"}},
		{"usage with a word for used", usage("--used", "lots"), []string{"--used"}},
		{"usage with a blank metric", usage("--metric", "  "), []string{"missing --metric NAME"}},
		{"usage with a bad time", usage("--at", "yesterday"), []string{`--at "yesterday" is not a time like`}},
		{"usage with a bad contract end", usage("--contract-ends", "31-12-2026"), []string{`--contract-ends "31-12-2026" is not a date like`}},
		{"usage with everything wrong", []string{"usage", "--customer", "c1", "--used", "-2", "--limit", "0", "--at", "x"},
			[]string{"missing --metric", "--used must be", "--limit must be", `--at "x"`}},
		{"segments with an unknown verb", []string{"segments", "delete"}, []string{`unknown "delete": want list or recompute`}},
		{"segments list with --wait", []string{"segments", "list", "--wait"}, []string{"--wait and --page-size go with recompute"}},
		{"segments recompute with page size 0", []string{"segments", "recompute", "--page-size", "0"}, []string{"--page-size must be at least 1, got 0"}},
		{"segments recompute with a stray argument", []string{"segments", "recompute", "now"}, []string{`unexpected argument "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runStarter(t, tt.args...)
			require.Equal(t, exitUsage, code, "starter %q: stderr %q", tt.args, stderr)
			assert.Empty(t, stdout, "starter %q printed on stdout", tt.args)
			for _, want := range tt.want {
				assert.Contains(t, stderr, want, "starter %q", tt.args)
			}
			assert.Contains(t, stderr, "usage: starter "+tt.args[0], "starter %q must show its usage line", tt.args)
		})
	}
}

func TestSegmentCommandsHelp(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"note":     {"--customer ID", "--kind referral|exit|complaint", "--text", "--id NOTE_ID"},
		"usage":    {"--customer ID", "--metric NAME", "--used X", "--limit Y", "--at TIME", "--contract-ends YYYY-MM-DD"},
		"segments": {"--wait", "--page-size", "recompute"},
	} {
		code, stdout, stderr := runStarter(t, cmd, "--help")
		require.Equal(t, exitOK, code, "starter %s --help: %s", cmd, stderr)
		for _, f := range flags {
			assert.Contains(t, stdout, f, "starter %s --help must describe %s", cmd, f)
		}
	}
	code, stdout, _ := runStarter(t, "segments", "recompute", "--help")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "usage: starter segments")
}

func TestParseUsageReading(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	parse := func(args ...string) (lifecycle.UsageReading, problems) {
		fs := flag.NewFlagSet("usage", flag.ContinueOnError)
		metric := fs.String("metric", "", "")
		used := fs.Float64("used", 0, "")
		limit := fs.Float64("limit", 0, "")
		at := fs.String("at", "", "")
		ends := fs.String("contract-ends", "", "")
		require.NoError(t, fs.Parse(args))
		var p problems
		r := parseUsageReading(&p, fs, *metric, *used, *limit, *at, *ends, now)
		return r, p
	}

	r, p := parse("--metric", " Data_MB ", "--used", "0", "--limit", "1000")
	require.Empty(t, p)
	require.Equal(t, lifecycle.UsageReading{Metric: "data_mb", Used: 0, Limit: 1000, At: now}, r, "0 used is a reading; no --at is now")

	r, p = parse("--metric", "data_mb", "--used", "850.5", "--limit", "1000", "--at", "2026-05-31T23:15:00+02:00", "--contract-ends", "2026-09-30")
	require.Empty(t, p)
	require.Equal(t, lifecycle.UsageReading{
		Metric: "data_mb", Used: 850.5, Limit: 1000,
		At:             time.Date(2026, 5, 31, 21, 15, 0, 0, time.UTC),
		ContractEndsAt: time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC),
	}, r)
}

func TestNoteID(t *testing.T) {
	day := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	id := noteID("c1", store.NoteReferral, "brought Bob", day)
	assert.Regexp(t, `^note/c1/referral/20260601/[0-9a-f]{16}$`, id)
	assert.Equal(t, id, noteID("c1", store.NoteReferral, "brought Bob", day.Add(10*time.Hour)), "the same day: the same note")
	for name, other := range map[string]string{
		"another day":      noteID("c1", store.NoteReferral, "brought Bob", day.AddDate(0, 0, 1)),
		"another text":     noteID("c1", store.NoteReferral, "brought Cem", day),
		"another kind":     noteID("c1", store.NoteComplaint, "brought Bob", day),
		"another customer": noteID("c2", store.NoteReferral, "brought Bob", day),
	} {
		assert.NotEqual(t, id, other, name)
	}
}
