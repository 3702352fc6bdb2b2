package codec

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseKeys reads keys written as comma-separated id:base64 pairs, the encrypting key first, e.g.
// "2026-06:<base64 of 32 bytes>,2026-01:<base64 of 32 bytes>". Every problem is reported at once,
// by position and id; key material never appears in an error.
func ParseKeys(spec string) ([]Key, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("no keys: give at least one as id:base64, e.g. 2026-01:$(openssl rand -base64 32)")
	}
	var keys []Key
	var problems []error
	seen := map[string]bool{}
	for i, entry := range strings.Split(spec, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		id, encoded, ok := strings.Cut(entry, ":")
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		switch {
		case entry == "":
			problems = append(problems, fmt.Errorf("entry %d is empty (a stray comma?)", n))
			continue
		case !ok:
			problems = append(problems, fmt.Errorf("entry %d is not id:base64 (no ':' after the id)", n))
			continue
		}
		if seen[id] {
			problems = append(problems, fmt.Errorf("entry %d: key id %q is given twice: each key needs its own id", n, id))
			continue
		}
		seen[id] = true
		secret, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			// The decoder's error names only a position, never the input.
			problems = append(problems, fmt.Errorf("entry %d (key %q): the key is not standard base64 (%v): make one with `openssl rand -base64 32`", n, id, err))
			continue
		}
		if strings.HasPrefix(id, DataKeyPrefix) {
			clear(secret)
			problems = append(problems, fmt.Errorf("entry %d: key id %q begins with %q, which names customers' data keys: choose another id", n, id, DataKeyPrefix))
			continue
		}
		k, err := NewKey(id, secret)
		clear(secret)
		if err != nil {
			problems = append(problems, fmt.Errorf("entry %d: %w", n, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return keys, nil
}
