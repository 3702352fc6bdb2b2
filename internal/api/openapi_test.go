package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// doc is the OpenAPI document as generic JSON.
type doc map[string]any

func loadDoc(t *testing.T) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(OpenAPIDocument(), &d); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return d
}

// get follows keys through nested objects.
func (d doc) get(t *testing.T, keys ...string) map[string]any {
	t.Helper()
	cur := map[string]any(d)
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("openapi.json: no object at %s", strings.Join(keys, "."))
		}
		cur = next
	}
	return cur
}

// resolve follows a $ref within the document.
func (d doc) resolve(t *testing.T, s map[string]any) map[string]any {
	t.Helper()
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	return d.resolve(t, d.get(t, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func strings_(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	h := newTestHandler(t, &fakeEvents{}, newMemLedger(), nil)
	req := httptest.NewRequest(http.MethodGet, OpenAPIPath, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != string(OpenAPIDocument()) {
		t.Fatalf("GET %s: %d %q, want 200 with the embedded document", OpenAPIPath, rec.Code, rec.Header().Get("Content-Type"))
	}
	d := loadDoc(t)
	if v, _ := d["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi version %q, want 3.x", v)
	}
	if got, want := sortedKeys(d.get(t, "paths")), []string{EventsPath, OpenAPIPath}; !slices.Equal(got, want) {
		t.Errorf("paths %v, want %v", got, want)
	}
	// Every status the events handler answers is described.
	responses := d.get(t, "paths", EventsPath, "post", "responses")
	for _, code := range []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusServiceUnavailable} {
		if _, ok := responses[fmt.Sprint(code)]; !ok {
			t.Errorf("response %d is not described", code)
		}
	}
	if got := d.get(t, "components", "schemas", "Batch", "properties", "events")["maxItems"]; got != float64(MaxEvents) {
		t.Errorf("Batch.events maxItems %v, want %d", got, MaxEvents)
	}
}

// TestOpenAPIDescribesEveryField walks the document's event schemas and the handler's field
// specs side by side: every type and field the handler accepts is described, with its type,
// bounds and whether it is required, and the document describes nothing the handler refuses.
func TestOpenAPIDescribesEveryField(t *testing.T) {
	d := loadDoc(t)
	eventSchema := d.get(t, "components", "schemas", "Event")
	mapping := eventSchema["discriminator"].(map[string]any)["mapping"].(map[string]any)
	if got, want := sortedKeys(mapping), eventTypes(); !slices.Equal(got, want) {
		t.Fatalf("document's event types %v, handler's %v", got, want)
	}
	var oneOf []string
	for _, s := range eventSchema["oneOf"].([]any) {
		oneOf = append(oneOf, s.(map[string]any)["$ref"].(string))
	}
	sort.Strings(oneOf)
	var mapped []string
	for _, ref := range mapping {
		mapped = append(mapped, ref.(string))
	}
	sort.Strings(mapped)
	if !slices.Equal(oneOf, mapped) {
		t.Errorf("Event oneOf %v and discriminator mapping %v differ", oneOf, mapped)
	}
	for _, typ := range eventTypes() {
		schema := d.resolve(t, map[string]any{"$ref": mapping[typ]})
		fields := append(append([]field{}, commonFields...), eventFields[typ]...)
		compareObject(t, d, typ, schema, fields)
		if got := schema["properties"].(map[string]any)["type"].(map[string]any)["enum"]; !reflect.DeepEqual(got, []any{typ}) {
			t.Errorf("%s.type enum %v, want [%q]", typ, got, typ)
		}
	}
}

func compareObject(t *testing.T, d doc, where string, schema map[string]any, fields []field) {
	t.Helper()
	if schema["additionalProperties"] != false {
		t.Errorf("%s: additionalProperties must be false: the handler refuses unknown fields", where)
	}
	props := schema["properties"].(map[string]any)
	var names, required []string
	for _, f := range fields {
		names = append(names, f.name)
		if f.required {
			required = append(required, f.name)
		}
	}
	sort.Strings(names)
	sort.Strings(required)
	if got := sortedKeys(props); !slices.Equal(got, names) {
		t.Errorf("%s: document's properties %v, handler's fields %v", where, got, names)
	}
	var docRequired []string
	if r, ok := schema["required"]; ok {
		docRequired = strings_(r)
	}
	if !slices.Equal(docRequired, required) {
		t.Errorf("%s: document requires %v, handler %v", where, docRequired, required)
	}
	for _, f := range fields {
		p, ok := props[f.name].(map[string]any)
		if !ok {
			continue
		}
		compareField(t, d, where+"."+f.name, d.resolve(t, p), f)
	}
}

func compareField(t *testing.T, d doc, where string, s map[string]any, f field) {
	t.Helper()
	want := map[string]any{}
	switch f.kind {
	case kindID:
		want = map[string]any{"type": "string", "minLength": 1.0, "maxLength": 128.0}
	case kindLabel:
		want = map[string]any{"type": "string", "maxLength": 64.0}
	case kindName:
		want = map[string]any{"type": "string", "maxLength": 200.0}
	case kindEmail:
		want = map[string]any{"type": "string", "format": "email", "maxLength": 254.0}
	case kindURL:
		want = map[string]any{"type": "string", "format": "uri", "maxLength": 2048.0}
	case kindLocale:
		want = map[string]any{"type": "string", "enum": []any{"en", "nl"}}
	case kindZone:
		want = map[string]any{"type": "string"}
	case kindTime:
		want = map[string]any{"type": "string", "format": "date-time"}
	case kindDate:
		want = map[string]any{"type": "string", "format": "date"}
	case kindInt:
		want = map[string]any{"type": "integer", "minimum": f.min, "maximum": f.max}
	case kindNumber:
		want = map[string]any{"type": "number", "minimum": f.min, "maximum": f.max}
		if f.minExclusive {
			want["exclusiveMinimum"] = true
		}
	case kindBool:
		want = map[string]any{"type": "boolean"}
	case kindType:
		want = map[string]any{"type": "string"} // its enum: TestOpenAPIDescribesEveryField
	case kindLabels:
		want = map[string]any{"type": "array", "maxItems": f.max}
		items := d.resolve(t, s["items"].(map[string]any))
		if items["type"] != "string" || items["maxLength"] != 64.0 {
			t.Errorf("%s: items %v, want strings of at most 64 bytes", where, items)
		}
	case kindObjects:
		want = map[string]any{"type": "array", "minItems": f.min, "maxItems": f.max}
		compareObject(t, d, where+"[]", d.resolve(t, s["items"].(map[string]any)), f.of)
	default:
		t.Fatalf("%s: kind %d has no rule here: add one", where, f.kind)
	}
	for k, v := range want {
		if !reflect.DeepEqual(s[k], v) {
			t.Errorf("%s: %s is %v in the document, the handler checks %v", where, k, s[k], v)
		}
	}
	if f.kind != kindNumber {
		if _, ok := s["exclusiveMinimum"]; ok {
			t.Errorf("%s: exclusiveMinimum in the document, not checked by the handler", where)
		}
	}
}

// exampleEvents is the document's request example, one event of each type.
func exampleEvents(t *testing.T, d doc) []map[string]any {
	t.Helper()
	ex := d.get(t, "paths", EventsPath, "post", "requestBody", "content", "application/json", "examples", "everyType", "value")
	var events []map[string]any
	for _, e := range ex["events"].([]any) {
		events = append(events, e.(map[string]any))
	}
	return events
}

func marshalBatch(t *testing.T, events ...map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOpenAPIExampleIsAccepted sends the document's example to the handler: every event is
// applied, one of each type; then each event with one property left out (refused exactly when the
// document requires it) and with one the document does not describe (refused).
func TestOpenAPIExampleIsAccepted(t *testing.T) {
	d := loadDoc(t)
	events := exampleEvents(t, d)
	ev := &fakeEvents{}
	rec, resp := post(t, newTestHandler(t, ev, newMemLedger(), nil), testToken, marshalBatch(t, events...))
	if rec.Code != 200 || resp.Applied != len(events) {
		t.Fatalf("the document's example: %d %s, want 200 with every event applied", rec.Code, rec.Body)
	}
	seen := map[string]bool{}
	for _, v := range ev.applied {
		seen[strings.ToLower(reflect.TypeOf(v).Name())] = true
	}
	if len(seen) != len(eventTypes()) {
		t.Errorf("the example applied types %v, want one of each of %v", seen, eventTypes())
	}

	mapping := d.get(t, "components", "schemas", "Event", "discriminator", "mapping")
	for i, e := range events {
		typ := e["type"].(string)
		schema := d.resolve(t, map[string]any{"$ref": mapping[typ]})
		required := strings_(schema["required"])
		for _, name := range sortedKeys(e) {
			cut := map[string]any{}
			for k, v := range e {
				if k != name {
					cut[k] = v
				}
			}
			if name != "id" {
				cut["id"] = fmt.Sprintf("%v-without-%s", e["id"], name)
			}
			rec, resp := post(t, newTestHandler(t, &fakeEvents{}, newMemLedger(), nil), testToken, marshalBatch(t, cut))
			if slices.Contains(required, name) {
				path := fmt.Sprintf("events[0].%s", name)
				if rec.Code != 422 || !hasProblem(resp.Results[0], path) {
					t.Errorf("example %d (%s) without required %s: %d %s, want 422 at %s", i, typ, name, rec.Code, rec.Body, path)
				}
			} else if rec.Code != 200 {
				t.Errorf("example %d (%s) without optional %s: %d %s, want 200", i, typ, name, rec.Code, rec.Body)
			}
		}
		extra := map[string]any{"undocumented": 1}
		for k, v := range e {
			extra[k] = v
		}
		rec, resp := post(t, newTestHandler(t, &fakeEvents{}, newMemLedger(), nil), testToken, marshalBatch(t, extra))
		if rec.Code != 422 || !hasProblem(resp.Results[0], "events[0].undocumented") {
			t.Errorf("example %d (%s) with an undocumented field: %d %s, want 422", i, typ, rec.Code, rec.Body)
		}
	}
}

func hasProblem(r Result, path string) bool {
	for _, p := range r.Problems {
		if p.Path == path {
			return true
		}
	}
	return false
}
