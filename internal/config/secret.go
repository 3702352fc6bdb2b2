package config

import (
	"bytes"
	"fmt"
	"strings"
)

// knownExampleSecrets are values that have stood in this repository as a link secret: whoever
// read the file can forge links signed with them.
var knownExampleSecrets = []string{
	"compose-demo-only-link-secret-not-for-production", // docker-compose.yml's old fallback
	"simulation-only-secret-never-used-in-production",  // internal/simulation
}

// examplePhrases mark a value written to be replaced, or a command pasted unexpanded.
var examplePhrases = []string{"example", "changeme", "change-me", "change_me", "replace-me", "placeholder", "for-production", "in-production", "openssl rand"}

// minDistinctSecretBytes: `openssl rand -hex 32` uses all 16 hex digits, and a base64 or typed
// random value more; fewer than this is a repeated or patterned value.
const minDistinctSecretBytes = 10

// weakSecret says why secret is unfit to sign links, or "" when it is fine. The rule is kept
// simple enough to state in an error: a value from this repository or a placeholder, fewer than
// 10 different bytes, a value that mostly repeats itself ("0123456789abcdef" twice), or one that
// mostly counts up, down or stays put ("abcdefgh...", "aaaa..."). A value from a random
// generator passes all of them with overwhelming odds.
func weakSecret(secret []byte) string {
	lower := strings.ToLower(string(secret))
	for _, known := range knownExampleSecrets {
		if lower == known {
			return "it is an example from Tailor's own files"
		}
	}
	for _, phrase := range examplePhrases {
		if strings.Contains(lower, phrase) {
			return fmt.Sprintf("it contains %q", phrase)
		}
	}
	var seen [256]bool
	distinct := 0
	for _, b := range secret {
		if !seen[b] {
			seen[b], distinct = true, distinct+1
		}
	}
	if distinct < minDistinctSecretBytes {
		return fmt.Sprintf("it has %d different characters, want at least %d", distinct, minDistinctSecretBytes)
	}
	// Repeats: a 4-byte window that already occurred earlier in the value.
	const window = 4
	windows, repeated := len(secret)-window+1, 0
	for i := 1; i < windows; i++ {
		if bytes.Contains(secret[:i+window-1], secret[i:i+window]) {
			repeated++
		}
	}
	if 2*repeated > windows {
		return "it mostly repeats itself"
	}
	// Runs: neighbours equal or one apart, as in "aaaa", "abcd", "4321".
	steps, runs := len(secret)-1, 0
	for i := 1; i < len(secret); i++ {
		if d := int(secret[i]) - int(secret[i-1]); d >= -1 && d <= 1 {
			runs++
		}
	}
	if 2*runs > steps {
		return "it mostly counts up, down or repeats a character"
	}
	return ""
}
