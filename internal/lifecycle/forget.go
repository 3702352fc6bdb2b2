package lifecycle

import (
	"errors"
	"time"
)

// ErrForgotten is wrapped by adapters when a customer was erased with `starter forget`: Tailor
// refuses to take the id again (a late webhook, a re-import) and to make a new data key for it.
var ErrForgotten = errors.New("the customer was forgotten (starter forget)")

// WrappedDataKey is a customer's own data key as stored: the 32-byte AES key sealed with the
// master key MasterKeyID (one of TAILOR_CODEC_KEYS). Destroying it (starter forget) makes every
// payload the customer's workflows wrote unreadable, whatever master keys one holds.
type WrappedDataKey struct {
	// ID is in clear in every payload the key encrypted (metadata encryption-key-id): "dk-" and
	// random hex, so it says nothing about the customer.
	ID          string
	CustomerID  string
	MasterKeyID string
	Wrapped     []byte
	CreatedAt   time.Time
}
