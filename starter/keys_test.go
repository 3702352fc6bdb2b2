package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/internal/store/storetest"
	"github.com/tailorhq/tailor/workflows"
)

// masterKey makes a master key: its TAILOR_CODEC_KEYS entry and the key.
func masterKey(t *testing.T, id string) (string, codec.Key) {
	t.Helper()
	secret := make([]byte, codec.KeySize)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	k, err := codec.NewKey(id, secret)
	require.NoError(t, err)
	return id + ":" + base64.StdEncoding.EncodeToString(secret), k
}

// encryptFor encrypts a payload for the customer under their data key (made on first use and
// wrapped by the codec's encrypting master key).
func encryptFor(t *testing.T, st *store.DB, customerID string, keys ...codec.Key) *commonpb.Payload {
	t.Helper()
	c, err := codec.New(keys...)
	require.NoError(t, err)
	out, err := c.WithDataKeys(st, workflows.CustomerIDOf).ForCustomer(customerID).Encode([]*commonpb.Payload{{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"the preferences of ` + customerID + `"`),
	}})
	require.NoError(t, err)
	return out[0]
}

// decryptWith decrypts p with a codec holding only keys (and the data keys in st).
func decryptWith(st *store.DB, p *commonpb.Payload, keys ...codec.Key) (string, error) {
	c, err := codec.New(keys...)
	if err != nil {
		return "", err
	}
	out, err := c.WithDataKeys(st, workflows.CustomerIDOf).Decode([]*commonpb.Payload{p})
	if err != nil {
		return "", err
	}
	return string(out[0].Data), nil
}

// After a rotation, keys rewrap moves every data key onto the new master key, so the old one can
// leave TAILOR_CODEC_KEYS and every customer's history still reads; a data key wrapped by a master
// key that is not configured is named, and the rest are rewrapped all the same.
func TestKeysRewrapLetsAnOldMasterKeyRetire(t *testing.T) {
	st, dbURL := storetest.New(t)
	ctx := context.Background()
	customers := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(customers, []byte("id,name,email,locale,timezone,colors,sizes\n"+
		"ann,Ann,ann@example.com,en,UTC,,\nbob,Bob,bob@example.com,en,UTC,,\ncara,Cara,cara@example.com,en,UTC,,\n"), 0o600))

	oldEntry, oldKey := masterKey(t, "2026-06")
	newEntry, newKey := masterKey(t, "2026-12")
	lostEntry, lostKey := masterKey(t, "2025-01")

	var out, errOut bytes.Buffer
	env := map[string]string{"DATABASE_URL": dbURL}
	a := &app{stdout: &out, stderr: &errOut, now: time.Now, getenv: func(name string) string { return env[name] }}
	defer a.close()
	run := func(keys string, args ...string) int {
		out.Reset()
		errOut.Reset()
		env["TAILOR_CODEC_KEYS"] = keys
		a.cfg = nil // read TAILOR_CODEC_KEYS again
		return a.main(ctx, args)
	}
	require.Equal(t, exitOK, run(oldEntry, "import", "customers", customers), "stderr %q", errOut.String())

	// Before the rotation: ann's and bob's data keys are wrapped by the old master key.
	annPayload := encryptFor(t, st, "ann", oldKey)
	bobPayload := encryptFor(t, st, "bob", oldKey)

	// Rotation, steps 1-2: the new key first, the old one still there.
	both := newEntry + "," + oldEntry
	require.Equal(t, exitOK, run(both, "keys"), "stderr %q", errOut.String())
	t.Logf("starter keys:\n%s", out.String())
	require.Contains(t, out.String(), "2026-12 (encrypts), 2026-06")
	require.Contains(t, out.String(), "2026-06 2")
	require.Contains(t, out.String(), "2 data key(s) are wrapped by another key than 2026-12: run `starter keys rewrap`")

	// A key whose master key is lost: it cannot be rewrapped, and says so.
	caraPayload := encryptFor(t, st, "cara", lostKey)

	require.Equal(t, exitFailed, run(both, "keys", "rewrap", "--json"), "stderr %q", errOut.String())
	var res keysStatus
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	require.NotNil(t, res.Rewrapped)
	require.Equal(t, int64(2), *res.Rewrapped, "ann's and bob's keys: %s", out.String())
	require.Len(t, res.Failed, 1, out.String())
	require.Equal(t, "2025-01", res.Failed[0].MasterKey)
	require.Equal(t, []string{"2025-01"}, res.NotConfigured)
	require.Equal(t, map[string]int64{"2026-12": 2, "2025-01": 1}, res.DataKeysByKey)
	require.Contains(t, errOut.String(), "1 data key(s) not rewrapped")
	require.Contains(t, errOut.String(), "keys rewrap: 2 rewrapped with 2026-12, 1 failed so far", "progress per page")

	// Step 3: the old master key leaves; ann's and bob's histories still read, with the new key alone.
	for customer, p := range map[string]*commonpb.Payload{"ann": annPayload, "bob": bobPayload} {
		got, err := decryptWith(st, p, newKey)
		require.NoError(t, err, "%s's payload with only the new master key", customer)
		require.Equal(t, `"the preferences of `+customer+`"`, got)
	}
	_, err := decryptWith(st, caraPayload, newKey)
	require.ErrorContains(t, err, `wrapped by master key "2025-01"`, "cara's key was not rewrapped")

	// Once the lost key is back, a second rewrap finishes the job; a third finds nothing to do.
	require.Equal(t, exitOK, run(both+","+lostEntry, "keys", "rewrap"), "stderr %q", errOut.String())
	require.Contains(t, out.String(), "rewrapped: 1 data key(s) now wrapped by 2026-12")
	require.Equal(t, exitOK, run(newEntry, "keys", "rewrap"), "stderr %q", errOut.String())
	require.Contains(t, out.String(), "rewrapped: 0 data key(s)")
	require.Contains(t, out.String(), "customers' data keys by wrapping master key: 2026-12 3")
	got, err := decryptWith(st, caraPayload, newKey)
	require.NoError(t, err)
	require.Equal(t, `"the preferences of cara"`, got)

	// Without keys there is nothing to manage, and the command says so.
	require.Equal(t, exitFailed, run("", "keys"))
	require.Contains(t, errOut.String(), "TAILOR_CODEC_KEYS is not set")
	require.Equal(t, exitUsage, run(newEntry, "keys", "shred"))
	require.Contains(t, errOut.String(), `unknown action "shred"`)
	require.Equal(t, exitUsage, run(newEntry, "keys", "status", "rewrap"))
	require.Contains(t, errOut.String(), `unexpected argument "rewrap"`)
	require.Equal(t, exitOK, run(newEntry, "keys", "--json", "status"), "flags before the action: stderr %q", errOut.String())
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	require.Zero(t, res.StillToRewrap)
}
