package config

import (
	"fmt"
	"strings"
)

// APIConfig enables the HTTP API for the shop's own systems (POST /api/v1/events).
type APIConfig struct {
	// Tokens are the bearer tokens the API accepts; none means API_TOKENS is unset and the API is
	// off. Never print them.
	Tokens [][]byte
}

// Enabled reports whether the API should be mounted.
func (c APIConfig) Enabled() bool { return len(c.Tokens) > 0 }

// MinAPITokenLen is the shortest API token accepted, in bytes: the same as a link secret, since a
// token lets its holder write orders and consent.
const MinAPITokenLen = MinLinkSecretLen

const apiTokenHowTo = "make one with `openssl rand -hex 32` for each system that calls the API"

// parseAPITokens reads API_TOKENS: tokens separated by commas, each at least MinAPITokenLen bytes
// and as random as a LINK_SECRET must be. Errors name a token by its place, never by its value.
func parseAPITokens(w *Worker, v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	var problems []string
	for i, p := range parts {
		p = strings.TrimSpace(p)
		which := fmt.Sprintf("token %d of %d", i+1, len(parts))
		switch {
		case p == "":
			problems = append(problems, which+" is empty")
		case len(p) < MinAPITokenLen:
			problems = append(problems, fmt.Sprintf("%s is %d bytes, it must be at least %d", which, len(p), MinAPITokenLen))
		default:
			if why := weakSecret([]byte(p)); why != "" {
				problems = append(problems, fmt.Sprintf("%s looks like an example or has too little randomness (%s)", which, why))
				continue
			}
			w.API.Tokens = append(w.API.Tokens, []byte(p))
		}
	}
	if len(problems) > 0 {
		w.API.Tokens = nil
		return fmt.Errorf("%s: whoever guesses a token can send orders and consent changes; %s", strings.Join(problems, "; "), apiTokenHowTo)
	}
	return nil
}
