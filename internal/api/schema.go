package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same way on every host

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// kind is what a field holds and which rule checks it.
type kind int

const (
	kindID      kind = iota // lifecycle.ValidateID
	kindLabel               // CheckLine, MaxLabelLen
	kindName                // CheckLine, MaxNameLen
	kindEmail               // ValidateEmail
	kindLocale              // en or nl
	kindZone                // an IANA time zone
	kindTime                // RFC 3339, between minTime and maxTime
	kindDate                // YYYY-MM-DD
	kindInt                 // an integer in [min, max]
	kindNumber              // a number in [min, max] (above min when minExclusive)
	kindBool                //
	kindLabels              // an array of labels, none containing ";"
	kindObjects             // an array of objects with the fields in of
	kindType                // an event's type, one of eventFields' keys (checked by parseEvent)
	kindURL                 // lifecycle.CheckWebURL: an absolute http(s) URL, "" clears
)

// field is one property of an event: the handler reads events through these specs, and the
// OpenAPI test compares them with the document, so what is accepted and what is described are
// one list.
type field struct {
	name         string
	kind         kind
	required     bool
	min, max     float64 // kindInt, kindNumber; for arrays, item counts
	minExclusive bool
	of           []field
}

// Bounds of what an event may hold.
const (
	MaxEvents     = 500        // events in one batch
	MaxOrderLines = 100        // lines in one order
	MaxLabels     = 50         // colours, sizes or categories in one customer event
	maxPriceCents = 1e12       // ten billion in the shop's currency
	maxStock      = 2147483647 // products.stock is an integer column
	maxUnits      = 1e15       // a meter reading
)

// Times are refused outside these years: a typo, not an order from 1900 or 3026.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// commonFields are in every event.
var commonFields = []field{
	{name: "id", kind: kindID, required: true},
	{name: "type", kind: kindType, required: true},
}

// eventFields are each type's own fields, next to id and type.
var eventFields = map[string][]field{
	TypeOrder: {
		{name: "order_id", kind: kindID, required: true},
		{name: "customer_id", kind: kindID, required: true},
		{name: "ordered_at", kind: kindTime, required: true},
		{name: "lines", kind: kindObjects, required: true, min: 1, max: MaxOrderLines, of: []field{
			{name: "sku", kind: kindID, required: true},
			{name: "price_cents", kind: kindInt, min: 0, max: maxPriceCents},
			{name: "wanted_color", kind: kindLabel},
			{name: "wanted_size", kind: kindLabel},
		}},
	},
	TypeStock: {
		{name: "sku", kind: kindID, required: true},
		{name: "stock", kind: kindInt, required: true, min: 0, max: maxStock},
		{name: "at", kind: kindTime},
		{name: "image_url", kind: kindURL},
		{name: "url", kind: kindURL},
	},
	TypeUsage: {
		{name: "customer_id", kind: kindID, required: true},
		{name: "metric", kind: kindLabel, required: true},
		{name: "used", kind: kindNumber, required: true, min: 0, max: maxUnits},
		{name: "limit", kind: kindNumber, required: true, min: 0, minExclusive: true, max: maxUnits},
		{name: "at", kind: kindTime, required: true},
		{name: "contract_ends", kind: kindDate},
	},
	TypeCustomer: {
		{name: "customer_id", kind: kindID, required: true},
		{name: "name", kind: kindName},
		{name: "email", kind: kindEmail, required: true},
		{name: "locale", kind: kindLocale, required: true},
		{name: "timezone", kind: kindZone, required: true},
		{name: "colors", kind: kindLabels, max: MaxLabels},
		{name: "sizes", kind: kindLabels, max: MaxLabels},
		{name: "categories", kind: kindLabels, max: MaxLabels},
		{name: "marketing_consent", kind: kindBool},
	},
	TypeConsent: {
		{name: "customer_id", kind: kindID, required: true},
		{name: "granted", kind: kindBool, required: true},
		{name: "source", kind: kindLabel},
		{name: "at", kind: kindTime},
	},
}

// Problem is one thing wrong with an event, at a field path like events[3].lines[0].sku.
type Problem struct {
	Path    string `json:"path"`
	Problem string `json:"problem"`
}

// values are an event's checked fields by name; a field left out is absent.
type values map[string]any

// read checks raw, the JSON of an object, against fields and returns its values; problems are
// appended under path.
func read(path string, raw json.RawMessage, fields []field, problems *[]Problem) values {
	bad := func(p, format string, args ...any) {
		*problems = append(*problems, Problem{Path: p, Problem: fmt.Sprintf(format, args...)})
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		bad(path, "must be an object")
		return nil
	}
	known := map[string]bool{}
	out := values{}
	for _, f := range fields {
		known[f.name] = true
		p := path + "." + f.name
		v, ok := obj[f.name]
		if !ok || string(v) == "null" {
			if f.required {
				bad(p, "required")
			}
			continue
		}
		if val, ok := readValue(p, v, f, bad, problems); ok {
			out[f.name] = val
		}
	}
	var unknown []string
	for name := range obj {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		for _, name := range unknown {
			bad(path+"."+name, "unknown field")
		}
	}
	return out
}

// readValue checks one field's JSON value; ok is false when it is wrong (and reported).
func readValue(p string, v json.RawMessage, f field, bad func(p, format string, args ...any), problems *[]Problem) (any, bool) {
	fail := func(format string, args ...any) (any, bool) { bad(p, format, args...); return nil, false }
	str := func() (string, bool) {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false
		}
		return s, true
	}
	// inputProblem drops the field name from a lifecycle.InputError: the path names the field.
	inputProblem := func(err error) (any, bool) {
		if ie, ok := err.(*lifecycle.InputError); ok {
			return fail("%s", ie.Problem)
		}
		return fail("%s", err.Error())
	}
	switch f.kind {
	case kindType:
		var s string
		if err := json.Unmarshal(v, &s); err != nil || eventFields[s] == nil {
			return fail("unknown event type")
		}
		return s, true
	case kindID, kindLabel, kindName, kindEmail, kindLocale, kindZone, kindTime, kindDate, kindURL:
		s, ok := str()
		if !ok {
			return fail("must be a string")
		}
		var err error
		switch f.kind {
		case kindID:
			err = lifecycle.ValidateID(f.name, s)
		case kindLabel:
			err = lifecycle.CheckLine(f.name, s, lifecycle.MaxLabelLen)
		case kindName:
			err = lifecycle.CheckLine(f.name, s, lifecycle.MaxNameLen)
		case kindEmail:
			err = lifecycle.ValidateEmail(f.name, s)
		case kindURL:
			err = lifecycle.CheckWebURL(f.name, s)
		}
		if err != nil {
			return inputProblem(err)
		}
		switch f.kind {
		case kindLabel:
			if strings.TrimSpace(s) == "" && f.required {
				return fail("required")
			}
			return strings.TrimSpace(s), true
		case kindLocale:
			if l := strings.ToLower(s); lifecycle.ValidLocale(l) {
				return l, true
			}
			return fail("%q: unknown locale, use %s or %s", s, lifecycle.LocaleEnglish, lifecycle.LocaleDutch)
		case kindZone:
			if s == "" || strings.EqualFold(s, "local") {
				return fail("%q: unknown time zone, use an IANA name like Europe/Amsterdam", s)
			}
			if _, err := time.LoadLocation(s); err != nil || lifecycle.CheckLine(f.name, s, lifecycle.MaxLabelLen) != nil {
				return fail("%q: unknown time zone, use an IANA name like Europe/Amsterdam", s)
			}
			return s, true
		case kindTime, kindDate:
			layout, like := time.RFC3339, "an RFC 3339 time like 2026-06-01T10:30:00Z"
			if f.kind == kindDate {
				layout, like = time.DateOnly, "a date like 2027-06-30"
			}
			t, err := time.Parse(layout, s)
			if err != nil {
				return fail("%q: not %s", short(s), like)
			}
			if t.Before(minTime) || !t.Before(maxTime) {
				return fail("%s: out of range, must be from %d to %d", s, minTime.Year(), maxTime.Year()-1)
			}
			return t.UTC(), true
		}
		return s, true
	case kindInt, kindNumber:
		var n json.Number
		if len(v) > 0 && v[0] == '"' { // json.Number takes a string holding a number too
			return fail("must be a number")
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return fail("must be a number")
		}
		x, err := n.Float64()
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fail("must be a number")
		}
		if f.kind == kindInt {
			i, err := n.Int64()
			if err != nil {
				return fail("%s: must be a whole number", n)
			}
			if float64(i) < f.min || float64(i) > f.max {
				return fail("%d: out of range, must be from %.0f to %.0f", i, f.min, f.max)
			}
			return i, true
		}
		if x < f.min || (f.minExclusive && x == f.min) || x > f.max {
			if f.minExclusive {
				return fail("%s: out of range, must be above %g and at most %g", n, f.min, f.max)
			}
			return fail("%s: out of range, must be from %g to %g", n, f.min, f.max)
		}
		return x, true
	case kindBool:
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return fail("must be true or false")
		}
		return b, true
	case kindLabels:
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return fail("must be an array of strings")
		}
		if len(list) > int(f.max) {
			return fail("has %d items, at most %.0f are allowed", len(list), f.max)
		}
		out := make([]string, 0, len(list))
		ok := true
		for i, item := range list {
			ip := fmt.Sprintf("%s[%d]", p, i)
			var s string
			if err := json.Unmarshal(item, &s); err != nil {
				bad(ip, "must be a string")
				ok = false
				continue
			}
			if err := lifecycle.CheckLine(f.name, s, lifecycle.MaxLabelLen); err != nil {
				bad(ip, "%s", err.(*lifecycle.InputError).Problem)
				ok = false
				continue
			}
			if strings.Contains(s, ";") {
				bad(ip, "%q: must not contain \";\"", s)
				ok = false
				continue
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, ok
	case kindObjects:
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return fail("must be an array of objects")
		}
		if len(list) < int(f.min) {
			return fail("must have at least %.0f item(s)", f.min)
		}
		if len(list) > int(f.max) {
			return fail("has %d items, at most %.0f are allowed", len(list), f.max)
		}
		before := len(*problems)
		out := make([]values, len(list))
		for i, item := range list {
			out[i] = read(fmt.Sprintf("%s[%d]", p, i), item, f.of, problems)
		}
		return out, len(*problems) == before
	}
	return fail("unsupported field kind %d", f.kind)
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
