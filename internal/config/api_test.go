package config

import (
	"strings"
	"testing"
)

func TestAPITokens(t *testing.T) {
	good := "3f9c0a1b2c3d4e5f60718293a4b5c6d7"
	other := "b8e1f20c9d7a6354e3f2a1b0c9d8e7f6"
	cases := []struct {
		name, value string
		tokens      int
		problem     string // "" when accepted
	}{
		{"unset", "", 0, ""},
		{"one", good, 1, ""},
		{"two with spaces", " " + good + " , " + other, 2, ""},
		{"short", good[:31], 0, "token 1 of 1 is 31 bytes"},
		{"empty item", good + ",", 0, "token 2 of 2 is empty"},
		{"repeated", strings.Repeat("ab12", 8), 0, "token 1 of 1 looks like an example"},
		{"placeholder", "changeme-changeme-changeme-changeme", 0, "looks like an example"},
		{"counting", "abcdefghijklmnopqrstuvwxyz0123456789", 0, "looks like an example"},
	}
	for _, c := range cases {
		var w Worker
		err := parseAPITokens(&w, c.value)
		switch {
		case c.problem == "" && err != nil:
			t.Errorf("%s: API_TOKENS refused: %v", c.name, err)
		case c.problem != "" && (err == nil || !strings.Contains(err.Error(), c.problem)):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.problem)
		case len(w.API.Tokens) != c.tokens:
			t.Errorf("%s: %d tokens, want %d", c.name, len(w.API.Tokens), c.tokens)
		}
		if err != nil {
			for _, tok := range strings.Split(c.value, ",") {
				if tok = strings.TrimSpace(tok); len(tok) >= 8 && strings.Contains(err.Error(), tok) {
					t.Errorf("%s: the error quotes a token: %v", c.name, err)
				}
			}
		}
	}
}

func TestAPITokensThroughLoadWorker(t *testing.T) {
	env := map[string]string{"LINK_SECRET": "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6", "API_TOKENS": "3f9c0a1b2c3d4e5f60718293a4b5c6d7"}
	w, err := LoadWorker(func(k string) string { return env[k] })
	if err != nil || !w.API.Enabled() {
		t.Fatalf("LoadWorker with API_TOKENS: enabled %v, %v", w.API.Enabled(), err)
	}
	delete(env, "API_TOKENS")
	if w, err := LoadWorker(func(k string) string { return env[k] }); err != nil || w.API.Enabled() {
		t.Fatalf("LoadWorker without API_TOKENS: enabled %v, %v; want the API off", w.API.Enabled(), err)
	}
}
