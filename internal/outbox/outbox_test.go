package outbox_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/outbox"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// recorder is an in-memory Recorder, idempotent on the key like the real store.
type recorder struct {
	mu    sync.Mutex
	saved map[string]saved
	calls int
	err   error
}

type saved struct {
	email     lifecycle.Email
	messageID string
	at        time.Time
}

func (r *recorder) SaveOutboxEmail(_ context.Context, e lifecycle.Email, messageID string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return r.err
	}
	if r.saved == nil {
		r.saved = map[string]saved{}
	}
	if _, ok := r.saved[e.Key]; !ok {
		r.saved[e.Key] = saved{e, messageID, at}
	}
	return nil
}

func testEmail() lifecycle.Email {
	return lifecycle.Email{
		Key:        lifecycle.SendKey("c1", lifecycle.KindRestock, "Back in grey"),
		CustomerID: "c1",
		Kind:       lifecycle.KindRestock,
		ToEmail:    "ann@example.com",
		ToName:     "Ann",
		Subject:    "Back in grey",
		HTML:       "<p>Back in grey</p>",
		Text:       "Back in grey",
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err, "read %s", path)
	return string(b)
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	return out
}

func TestSendWritesAndRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox", "nested") // does not exist yet
	rec := &recorder{}
	e := testEmail()

	id, err := outbox.New(rec, dir, func() time.Time { return now }).Send(t.Context(), e)
	require.NoError(t, err)

	assert.Equal(t, outbox.MessageID(e.Key), id)
	assert.Regexp(t, `^outbox-[0-9a-f]{16}$`, id)
	assert.Equal(t, []string{
		"c1/restock-customer_c1_restock_Back_in_grey.html",
		"c1/restock-customer_c1_restock_Back_in_grey.txt",
	}, files(t, dir))
	html, text := outbox.Paths(dir, e)
	assert.Equal(t, e.HTML, readFile(t, html))
	assert.Equal(t, e.Text, readFile(t, text))
	assert.Equal(t, map[string]saved{e.Key: {e, id, now}}, rec.saved)
}

func TestSendSameKeyTwice(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	m := outbox.New(rec, dir, func() time.Time { return now })
	first := testEmail()
	second := testEmail()
	second.HTML = "<p>Re-rendered</p>"

	id1, err := m.Send(t.Context(), first)
	require.NoError(t, err)
	id2, err := m.Send(t.Context(), second)
	require.NoError(t, err)

	assert.Equal(t, id1, id2, "the same key must give the same message id")
	assert.Len(t, files(t, dir), 2, "the same key must reuse the same two files")
	html, _ := outbox.Paths(dir, second)
	assert.Equal(t, second.HTML, readFile(t, html), "a resend overwrites the file")
	assert.Len(t, rec.saved, 1)
	assert.Equal(t, 2, rec.calls, "each send records; the recorder is idempotent")

	other := testEmail()
	other.Key = lifecycle.SendKey("c1", lifecycle.KindSale, "Spring sale")
	other.Kind = lifecycle.KindSale
	id3, err := m.Send(t.Context(), other)
	require.NoError(t, err)
	assert.NotEqual(t, id1, id3, "different keys must give different message ids")
}

func TestSendWithoutDirWritesNothing(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	rec := &recorder{}
	e := testEmail()

	id, err := outbox.New(rec, "", nil).Send(t.Context(), e)
	require.NoError(t, err)

	assert.Equal(t, outbox.MessageID(e.Key), id)
	assert.Empty(t, files(t, cwd), "dir \"\" must write no files")
	require.Contains(t, rec.saved, e.Key)
	assert.WithinDuration(t, time.Now(), rec.saved[e.Key].at, time.Minute, "nil now means time.Now")
}

func TestSendRecorderFails(t *testing.T) {
	rec := &recorder{err: errors.New("database is down")}
	e := testEmail()

	id, err := outbox.New(rec, "", nil).Send(t.Context(), e)
	require.Error(t, err)
	assert.Empty(t, id)
	assert.Contains(t, err.Error(), e.Key)
	assert.ErrorIs(t, err, rec.err)
}

func TestSendUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	rec := &recorder{}

	_, err := outbox.New(rec, file, nil).Send(t.Context(), testEmail())
	require.Error(t, err)
	assert.Zero(t, rec.calls, "an email whose files could not be written must not be recorded")
}

func TestPathsStayInsideDir(t *testing.T) {
	const dir = "/outbox"
	for _, tc := range []struct {
		name               string
		customerID, key    string
		wantHTML, wantText string
	}{
		{"plain", "c1", "customer/c1/sale/Spring", "/outbox/c1/sale-customer_c1_sale_Spring.html", "/outbox/c1/sale-customer_c1_sale_Spring.txt"},
		{"traversal in customer id", "../../etc", "k", "/outbox/______etc/sale-k.html", "/outbox/______etc/sale-k.txt"},
		{"traversal in key", "c1", "../../x", "/outbox/c1/sale-______x.html", "/outbox/c1/sale-______x.txt"},
		{"empty customer id", "", "k", "/outbox/_/sale-k.html", "/outbox/_/sale-k.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := lifecycle.Email{CustomerID: tc.customerID, Kind: lifecycle.KindSale, Key: tc.key}
			html, text := outbox.Paths(dir, e)
			assert.Equal(t, tc.wantHTML, filepath.ToSlash(html), "customer %q key %q", tc.customerID, tc.key)
			assert.Equal(t, tc.wantText, filepath.ToSlash(text), "customer %q key %q", tc.customerID, tc.key)
		})
	}

	long := lifecycle.Email{CustomerID: "c1", Kind: lifecycle.KindSale, Key: strings.Repeat("a", 300)}
	other := long
	other.Key = strings.Repeat("a", 299) + "b"
	h1, _ := outbox.Paths(dir, long)
	h2, _ := outbox.Paths(dir, other)
	assert.LessOrEqual(t, len(filepath.Base(h1)), 130, "long keys must give short file names")
	assert.NotEqual(t, h1, h2, "long keys that differ at the end must not share a file")
}
