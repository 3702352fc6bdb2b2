package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// preview --out writes the customer's email (their name, address and signed links) readable by
// its owner only, as starter export writes its document, also over a file that was readable.
func TestPreviewFilesArePrivate(t *testing.T) {
	shop := newPreviewShop(t)
	dir := t.TempDir()
	readable := filepath.Join(dir, "ann-season.html")
	require.NoError(t, os.WriteFile(readable, []byte("old"), 0o644))
	shop.run(t, exitOK, "preview", "--out", dir, "--customer", "ann", "--kind", "season", "--collection", "Autumn")
	for _, ext := range []string{".html", ".txt", ".eml-headers"} {
		fi, err := os.Stat(filepath.Join(dir, "ann-season"+ext))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "mode of ann-season%s", ext)
	}
}
