package lifecycle

import "time"

// ConsentChange is a customer's marketing consent as last changed: what the customer's workflow is
// owed until it has been told.
type ConsentChange struct {
	CustomerID string
	Granted    bool
	Source     string // e.g. import, unsubscribe-link, starter
	At         time.Time
}
