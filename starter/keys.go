package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/store"
)

const keysDetails = `status (the default): the master keys of TAILOR_CODEC_KEYS, and how many customers' data keys
each master key wraps (table customer_data_keys), naming the keys that still wrap some and any
master key id in the database that is not configured (those customers' histories cannot be read).
rewrap: wraps every customer's data key that another master key wraps with the encrypting one (the
first of TAILOR_CODEC_KEYS), page by page, so an old master key can leave TAILOR_CODEC_KEYS (README:
Rotating a key). The data keys themselves do not change, so no history needs rewriting and running
workers keep reading. Safe to repeat and to run beside workers and starter forget: a key forgotten
or rewrapped meanwhile is left as it is. Exit status 1 when a data key could not be rewrapped.`

// rewrapPage is how many data keys one page of keys rewrap reads.
const rewrapPage = 500

// keysStatus is what starter keys status prints with --json.
type keysStatus struct {
	MasterKeys     []string         `json:"master_keys"` // as configured, the encrypting one first
	Encrypting     string           `json:"encrypting"`
	DataKeysByKey  map[string]int64 `json:"data_keys_by_master_key"`
	NotConfigured  []string         `json:"not_configured,omitempty"` // wrapping master key ids not in TAILOR_CODEC_KEYS
	StillToRewrap  int64            `json:"still_to_rewrap"`          // data keys not wrapped by the encrypting key
	Rewrapped      *int64           `json:"rewrapped,omitempty"`      // keys rewrap only
	LeftAsTheyWere *int64           `json:"left_as_they_were,omitempty"`
	Failed         []rewrapFailure  `json:"failed,omitempty"`
}

type rewrapFailure struct {
	DataKey   string `json:"data_key"`
	MasterKey string `json:"master_key"`
	Error     string `json:"error"`
}

func runKeys(ctx context.Context, a *app, c command, args []string) error {
	fs := newFlags(c.name)
	asJSON := fs.Bool("json", false, "print the result as JSON (master_keys, encrypting, data_keys_by_master_key, not_configured, still_to_rewrap; rewrap adds rewrapped, left_as_they_were, failed)")
	// The action comes first (`keys rewrap --json`) or alone; flags may stand before it too.
	action := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	rest, err := a.parseFlags(c, fs, args, 1)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 1 && action != "":
		return usagef("unexpected argument %q", rest[0])
	case len(rest) == 1:
		action = rest[0]
	case action == "":
		action = "status"
	}
	if action != "status" && action != "rewrap" {
		return usagef("unknown action %q: want status or rewrap", action)
	}
	cfg, st, err := a.configAndDB(ctx)
	if err != nil {
		return err
	}
	if !cfg.Codec.Enabled() {
		return errors.New("TAILOR_CODEC_KEYS is not set: payloads are not encrypted and there are no data keys to manage (README: Encrypting payloads)")
	}
	master := cfg.Codec.Codec
	var res keysStatus
	if action == "rewrap" {
		res, err = rewrapDataKeys(ctx, st, master, a.stderr)
		if err != nil {
			return err
		}
	}
	if err := fillKeysStatus(ctx, st, master, &res); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		writeKeysStatus(a.stdout, res)
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d data key(s) not rewrapped (listed above); the rest are done: fix TAILOR_CODEC_KEYS and run `%s keys rewrap` again", len(res.Failed), programName)
	}
	return nil
}

// rewrapDataKeys rewraps, page by page, every data key not wrapped by master's encrypting key,
// writing a progress line per page to progress.
func rewrapDataKeys(ctx context.Context, st *store.DB, master *codec.Codec, progress io.Writer) (keysStatus, error) {
	var rewrapped, left int64
	var failed []rewrapFailure
	encrypting := master.EncryptingKeyID()
	after := ""
	for {
		page, err := st.DataKeysNotWrappedBy(ctx, encrypting, after, rewrapPage)
		if err != nil {
			return keysStatus{}, err
		}
		if len(page) == 0 {
			break
		}
		for _, old := range page {
			k, err := master.Rewrap(old)
			if err != nil {
				failed = append(failed, rewrapFailure{DataKey: old.ID, MasterKey: old.MasterKeyID, Error: err.Error()})
				continue
			}
			done, err := st.ReplaceDataKeyWrapping(ctx, old, k)
			if err != nil {
				return keysStatus{}, fmt.Errorf("%w (%d rewrapped before it; running it again is safe)", err, rewrapped)
			}
			if done {
				rewrapped++
			} else {
				left++
			}
		}
		after = page[len(page)-1].ID
		fmt.Fprintf(progress, "keys rewrap: %d rewrapped with %s, %d failed so far\n", rewrapped, encrypting, len(failed))
	}
	return keysStatus{Rewrapped: &rewrapped, LeftAsTheyWere: &left, Failed: failed}, nil
}

// fillKeysStatus adds the master keys and the data keys' count per master key to res.
func fillKeysStatus(ctx context.Context, st *store.DB, master *codec.Codec, res *keysStatus) error {
	counts, err := st.DataKeysByMasterKey(ctx)
	if err != nil {
		return err
	}
	res.MasterKeys = master.KeyIDs()
	res.Encrypting = master.EncryptingKeyID()
	res.DataKeysByKey = counts
	res.NotConfigured, res.StillToRewrap = nil, 0
	for _, id := range slices.Sorted(maps.Keys(counts)) {
		if id != res.Encrypting {
			res.StillToRewrap += counts[id]
		}
		if !slices.Contains(res.MasterKeys, id) {
			res.NotConfigured = append(res.NotConfigured, id)
		}
	}
	return nil
}

func writeKeysStatus(w io.Writer, res keysStatus) {
	fmt.Fprintf(w, "master keys (TAILOR_CODEC_KEYS): %s (encrypts)", res.Encrypting)
	for _, id := range res.MasterKeys[1:] {
		fmt.Fprintf(w, ", %s", id)
	}
	fmt.Fprintln(w)
	if res.Rewrapped != nil {
		fmt.Fprintf(w, "rewrapped: %d data key(s) now wrapped by %s; %d left as they were (forgotten or rewrapped meanwhile); %d failed\n",
			*res.Rewrapped, res.Encrypting, *res.LeftAsTheyWere, len(res.Failed))
		for _, f := range res.Failed {
			fmt.Fprintf(w, "  data key %s (wrapped by %s): %s\n", f.DataKey, f.MasterKey, f.Error)
		}
	}
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(res.DataKeysByKey)) {
		parts = append(parts, fmt.Sprintf("%s %d", id, res.DataKeysByKey[id]))
	}
	if len(parts) == 0 {
		parts = []string{"none yet"}
	}
	fmt.Fprintf(w, "customers' data keys by wrapping master key: %s\n", strings.Join(parts, ", "))
	for _, id := range res.NotConfigured {
		fmt.Fprintf(w, "master key %s wraps %d data key(s) but is not in TAILOR_CODEC_KEYS: those customers' histories cannot be read; put it back\n", id, res.DataKeysByKey[id])
	}
	switch {
	case res.StillToRewrap > 0:
		fmt.Fprintf(w, "%d data key(s) are wrapped by another key than %s: run `%s keys rewrap` before removing that key\n", res.StillToRewrap, res.Encrypting, programName)
	default:
		for _, id := range res.MasterKeys[1:] {
			fmt.Fprintf(w, "%s wraps no data key: it may leave TAILOR_CODEC_KEYS once no history holds payloads it encrypted (README: Rotating a key)\n", id)
		}
	}
}
