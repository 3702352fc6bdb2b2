package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// placeholder is a marker a helper leaves for a figure still to be filled in (TIMING-PLACEHOLDER).
var placeholder = regexp.MustCompile(`\b[A-Z]+-?PLACEHOLDER\b|\bPLACEHOLDER\b`)

// TestDocumentsHaveNoPlaceholders: a document a reader gets says what was measured, or that it was
// not, never a marker left for later.
func TestDocumentsHaveNoPlaceholders(t *testing.T) {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := placeholder.Find(src); m != nil {
			t.Errorf("%s holds the placeholder %q: fill in the figure or say it was not measured", f, m)
		}
	}
}
