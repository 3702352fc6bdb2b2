package main

import (
	"regexp"
	"testing"

	"github.com/tailorhq/tailor/internal/store"
)

// `starter export --help` names every table the export holds, as the README does.
func TestExportHelpNamesEveryTable(t *testing.T) {
	for _, table := range store.ExportTables() {
		if !regexp.MustCompile(`\b` + table + `\b`).MatchString(exportDetails) {
			t.Errorf("starter export --help does not name the table %s that the export holds", table)
		}
	}
}
