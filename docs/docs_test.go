// Package docs holds Tailor's documentation; its test keeps the documents' references to tests
// true, so that a guard named in docs/SECURITY.md or a drill in docs/RELIABILITY.md cannot quietly
// lose the test that shows it.
package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testName is a Go test, fuzz target or benchmark named in backquotes, e.g. `TestDrills/ProviderKeyRefused`.
var testName = regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)(?:/[^`]*)?`")

func TestDocumentsNameTestsThatExist(t *testing.T) {
	declared := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)\(`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".bin" || d.Name() == ".run" || d.Name() == "outbox") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			declared[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"SECURITY.md", "RELIABILITY.md", "VERSIONING.md", "../README.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		named := testName.FindAllStringSubmatch(string(text), -1)
		if doc == "SECURITY.md" && len(named) < 20 {
			t.Errorf("%s names %d tests; the check is not reading it right", doc, len(named))
		}
		for _, m := range named {
			if !declared[m[1]] {
				t.Errorf("%s names %s, which no _test.go declares: rename it there or bring the test back", doc, m[1])
			}
		}
	}
}
