package events

// SetImportAhead sets how many customers an import may record ahead of its relay, until the
// returned function restores it.
func SetImportAhead(n int) (restore func()) {
	was := importAhead
	importAhead = n
	return func() { importAhead = was }
}
