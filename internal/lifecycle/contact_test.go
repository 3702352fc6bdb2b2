package lifecycle_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

func TestQuietHoursNextAllowed(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name  string
		zone  string
		quiet string
		at    string // UTC
		want  string // UTC
	}{
		{"outside the window", "Europe/Amsterdam", "21:00-08:00", "2026-06-10T10:00:00Z", "2026-06-10T10:00:00Z"},
		{"one minute before it starts", "Europe/Amsterdam", "21:00-08:00", "2026-06-10T18:59:00Z", "2026-06-10T18:59:00Z"},
		{"as it starts", "Europe/Amsterdam", "21:00-08:00", "2026-06-10T19:00:00Z", "2026-06-11T06:00:00Z"},
		{"after midnight", "Europe/Amsterdam", "21:00-08:00", "2026-06-11T01:00:00Z", "2026-06-11T06:00:00Z"},
		{"exactly at its end", "Europe/Amsterdam", "21:00-08:00", "2026-06-11T06:00:00Z", "2026-06-11T06:00:00Z"},
		{"window within a day", "Europe/Amsterdam", "12:00-14:00", "2026-06-10T10:30:00Z", "2026-06-10T12:00:00Z"},
		{"no quiet hours", "Europe/Amsterdam", "", "2026-06-10T23:00:00Z", "2026-06-10T23:00:00Z"},

		// Amsterdam springs forward on 2026-03-29 at 02:00 CET (to 03:00 CEST), falls back on 2026-10-25.
		{"Amsterdam spring-forward night", "Europe/Amsterdam", "21:00-08:00", "2026-03-28T22:00:00Z", "2026-03-29T06:00:00Z"},
		{"Amsterdam fall-back night", "Europe/Amsterdam", "21:00-08:00", "2026-10-24T21:00:00Z", "2026-10-25T07:00:00Z"},
		{"Amsterdam window ending inside the skipped hour", "Europe/Amsterdam", "01:30-02:30", "2026-03-29T00:45:00Z", "2026-03-29T01:30:00Z"},
		// New York springs forward on 2026-03-08 at 02:00 EST, falls back on 2026-11-01 at 02:00 EDT.
		{"New York spring-forward night", "America/New_York", "21:00-08:00", "2026-03-08T04:00:00Z", "2026-03-08T12:00:00Z"},
		{"New York fall-back night", "America/New_York", "21:00-08:00", "2026-11-01T03:00:00Z", "2026-11-01T13:00:00Z"},
		{"New York window over the repeated hour", "America/New_York", "01:00-02:00", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := lifecycle.LoadLocation(tt.zone)
			require.NoError(t, err)
			q, err := lifecycle.ParseQuietHours(tt.quiet)
			require.NoError(t, err)
			got := q.NextAllowed(utc(tt.at), loc)
			require.Equal(t, utc(tt.want), got.UTC(), "%s quiet %s at %s (local %s): got local %s",
				tt.zone, tt.quiet, tt.at, utc(tt.at).In(loc).Format("Mon 15:04 MST"), got.In(loc).Format("Mon 15:04 MST"))
		})
	}
}

func TestParseQuietHours(t *testing.T) {
	for _, bad := range []string{"21-08", "25:00-08:00", "21:00", "21:00-8:0", "x-y", "21:60-08:00"} {
		_, err := lifecycle.ParseQuietHours(bad)
		require.Error(t, err, "ParseQuietHours(%q)", bad)
	}
	q, err := lifecycle.ParseQuietHours(" 21:30-07:45 ")
	require.NoError(t, err)
	require.Equal(t, "21:30-07:45", q.String())
}

func TestLoadLocationUsesTheEmbeddedDatabase(t *testing.T) {
	t.Setenv("ZONEINFO", "/nonexistent")
	loc, err := lifecycle.LoadLocation("Europe/Brussels")
	require.NoError(t, err)
	require.Equal(t, "Europe/Brussels", loc.String())
	_, err = lifecycle.LoadLocation("Mars/Olympus_Mons")
	require.ErrorContains(t, err, "unknown time zone")
}
