package lifecycle

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// zoneinfo is Go's IANA time zone database, embedded so that quiet hours computed inside a
// workflow never depend on the zone files of the host that happens to replay it.
//
//go:embed tzdata/zoneinfo.zip
var zoneinfo []byte

// LoadLocation returns the IANA zone name from the embedded database; "" means UTC.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	r, err := zip.NewReader(bytes.NewReader(zoneinfo), int64(len(zoneinfo)))
	if err != nil {
		return nil, fmt.Errorf("read embedded time zones: %w", err)
	}
	// The archive is embedded, so the same name always opens the same bytes. workflowcheck flags
	// Open because zip builds its file list from a map, then sorts it: the result does not depend on
	// the map's order.
	f, err := r.Open(name) //workflowcheck:ignore
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read time zone %q: %w", name, err)
	}
	return time.LoadLocationFromTZData(name, data)
}

// QuietHours is a daily window, in the customer's own time zone, in which no marketing email
// goes out. Start == End means none. The window may wrap midnight (21:00-08:00).
type QuietHours struct {
	Start int `json:"start"` // minutes after local midnight
	End   int `json:"end"`
}

// ParseQuietHours reads "21:00-08:00"; "" means no quiet hours.
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return QuietHours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("%q is not a window like 21:00-08:00", s)
	}
	start, err1 := parseClock(from)
	end, err2 := parseClock(to)
	if err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("%q is not a window like 21:00-08:00", s)
	}
	return QuietHours{Start: start, End: end}, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("no colon")
	}
	hh, err := strconv.Atoi(h)
	if err != nil || hh < 0 || hh > 23 {
		return 0, fmt.Errorf("bad hour")
	}
	mm, err := strconv.Atoi(m)
	if err != nil || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, fmt.Errorf("bad minute")
	}
	return hh*60 + mm, nil
}

func (q QuietHours) String() string {
	if q.Start == q.End {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.Start/60, q.Start%60, q.End/60, q.End%60)
}

// contains reports whether the local wall-clock minute m falls inside the window.
func (q QuietHours) contains(m int) bool {
	switch {
	case q.Start == q.End:
		return false
	case q.Start < q.End:
		return m >= q.Start && m < q.End
	default: // wraps midnight
		return m >= q.Start || m < q.End
	}
}

// NextAllowed returns t if it lies outside the quiet hours in loc, and otherwise the first instant
// at or after the window's end. Across a daylight-saving change the window follows the wall clock:
// 08:00 is 08:00 local time on both sides of the change.
func (q QuietHours) NextAllowed(t time.Time, loc *time.Location) time.Time {
	for range 3 { // at most: today's end, tomorrow's end, plus a DST oddity
		local := t.In(loc)
		minute := local.Hour()*60 + local.Minute()
		if !q.contains(minute) {
			return t
		}
		end := time.Date(local.Year(), local.Month(), local.Day(), q.End/60, q.End%60, 0, 0, loc)
		if !end.After(t) {
			end = time.Date(local.Year(), local.Month(), local.Day()+1, q.End/60, q.End%60, 0, 0, loc)
		}
		t = end
	}
	return t
}
