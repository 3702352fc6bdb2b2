package store_test

import (
	"github.com/tailorhq/tailor/activities"
	"github.com/tailorhq/tailor/internal/store"
)

// The activities own the Store interface; this keeps the adapter honest without the store
// package importing activities.
var _ activities.Store = (*store.DB)(nil)
var _ activities.HandoffStore = (*store.DB)(nil)
