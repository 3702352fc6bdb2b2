package inboundparse

import "testing"

// A reply written in Outlook comes as Windows-1252 (often labelled iso-8859-1): its curly quotes,
// dashes and euro sign are kept, not dropped as control characters.
func TestCleanDecodesWindows1252(t *testing.T) {
	tests := []struct{ raw, charset, want string }{
		{"I don\x92t want it \x96 \x8020 is too much", "windows-1252", "I don’t want it – €20 is too much"},
		{"\x93Bel me\x94 a.u.b.", "iso-8859-1", "“Bel me” a.u.b."},
		{"caf\xe9, na\xefef", "iso-8859-1", "café, naïef"},
		{"already UTF-8: don’t", "windows-1252", "already UTF-8: don’t"},
		{"nul\x00 and bell\x07 dropped\r\n", "", "nul and bell dropped\r\n"},
		{"not utf-8 \xff", "", "not utf-8 \uFFFD"},
	}
	for _, tt := range tests {
		if got := clean(tt.raw, tt.charset); got != tt.want {
			t.Errorf("clean(%q, %q) = %q, want %q", tt.raw, tt.charset, got, tt.want)
		}
	}
}
