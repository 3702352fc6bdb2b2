package activities

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// A retention offer (an offer with the contract's end) says when the contract ends instead of how
// much of the bundle was used, in both languages; a moment-of-truth offer reads as before.
func TestRenderRetentionOffer(t *testing.T) {
	f := followUpOf(lifecycle.KindOffer)
	f.ContractEndsAt = time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		locale, subject, line, notLine string
	}{
		{lifecycle.LocaleEnglish, "Before your contract ends on 2026-12-31", "Your contract ends on 2026-12-31. Before you decide", "You have used"},
		{lifecycle.LocaleDutch, "Voordat uw contract afloopt op 2026-12-31", "Uw contract loopt af op 2026-12-31. Voordat u beslist", "verbruikt"},
	} {
		e := renderOf(t, tt.locale, f)
		assert.Equal(t, tt.subject, e.Subject, tt.locale)
		assert.Contains(t, e.Text, tt.line, tt.locale)
		assert.NotContains(t, e.Text, tt.notLine, tt.locale)
		assert.Contains(t, e.HTML, "<strong>2026-12-31</strong>", tt.locale)
		if dir := os.Getenv("TAILOR_RENDER_DIR"); dir != "" { // to look at it in a browser
			_ = os.WriteFile(filepath.Join(dir, "retention-"+tt.locale+".html"), []byte(e.HTML), 0o644)
		}
	}
	moment := renderOf(t, lifecycle.LocaleEnglish, followUpOf(lifecycle.KindOffer))
	assert.True(t, strings.HasPrefix(moment.Subject, "You have used 80%"), moment.Subject)
}
