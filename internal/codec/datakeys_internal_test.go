package codec

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// oneKey stores at most one data key; gone destroys it.
type oneKey struct {
	key  *lifecycle.WrappedDataKey
	gone bool
}

func (o *oneKey) CustomerDataKey(context.Context, string) (lifecycle.WrappedDataKey, error) {
	if o.key == nil || o.gone {
		return lifecycle.WrappedDataKey{}, lifecycle.ErrNotFound
	}
	return *o.key, nil
}

func (o *oneKey) CreateCustomerDataKey(_ context.Context, k lifecycle.WrappedDataKey) (lifecycle.WrappedDataKey, error) {
	if o.key == nil {
		o.key = &k
	}
	return *o.key, nil
}

func (o *oneKey) DataKey(ctx context.Context, _ string) (lifecycle.WrappedDataKey, error) {
	return o.CustomerDataKey(ctx, "")
}

// A process keeps a destroyed data key no longer than DataKeyCacheTTL.
func TestCachedDataKeyExpires(t *testing.T) {
	secret := make([]byte, KeySize)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	master, err := NewKey("m1", secret)
	require.NoError(t, err)
	c, err := New(master)
	require.NoError(t, err)
	st := &oneKey{}
	c = c.WithDataKeys(st, func(string) (string, bool) { return "", false })
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	c.data.now = func() time.Time { return now }

	enc, err := c.ForCustomer("zoe").Encode([]*commonpb.Payload{{Data: []byte("wish")}})
	require.NoError(t, err)
	st.gone = true // starter forget, in another process
	now = now.Add(DataKeyCacheTTL - time.Second)
	_, err = c.Decode(enc)
	require.NoError(t, err, "within the TTL the cached copy still decodes")
	now = now.Add(time.Second)
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, "its customer was forgotten", "after the TTL the key is gone from memory too")
}
