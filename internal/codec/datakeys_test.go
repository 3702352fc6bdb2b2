package codec_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/lifecycle"
)

// memKeys is a DataKeyStore in memory, as internal/store keeps one in PostgreSQL; it counts lookups.
type memKeys struct {
	mu        sync.Mutex
	keys      map[string]lifecycle.WrappedDataKey // by customer
	forgotten map[string]bool
	lookups   int
}

func newMemKeys() *memKeys {
	return &memKeys{keys: map[string]lifecycle.WrappedDataKey{}, forgotten: map[string]bool{}}
}

func (m *memKeys) CustomerDataKey(_ context.Context, customerID string) (lifecycle.WrappedDataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	if m.forgotten[customerID] {
		return lifecycle.WrappedDataKey{}, lifecycle.ErrForgotten
	}
	k, ok := m.keys[customerID]
	if !ok {
		return lifecycle.WrappedDataKey{}, lifecycle.ErrNotFound
	}
	return k, nil
}

func (m *memKeys) CreateCustomerDataKey(ctx context.Context, k lifecycle.WrappedDataKey) (lifecycle.WrappedDataKey, error) {
	m.mu.Lock()
	if m.forgotten[k.CustomerID] {
		m.mu.Unlock()
		return lifecycle.WrappedDataKey{}, lifecycle.ErrForgotten
	}
	if _, ok := m.keys[k.CustomerID]; !ok {
		m.keys[k.CustomerID] = k
	}
	m.mu.Unlock()
	return m.CustomerDataKey(ctx, k.CustomerID)
}

func (m *memKeys) DataKey(_ context.Context, id string) (lifecycle.WrappedDataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	for _, k := range m.keys {
		if k.ID == id {
			return k, nil
		}
	}
	return lifecycle.WrappedDataKey{}, lifecycle.ErrNotFound
}

// forget is what store.Forget does to the keys.
func (m *memKeys) forget(customerID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, customerID)
	m.forgotten[customerID] = true
}

func customerOf(workflowID string) (string, bool) {
	id, ok := strings.CutPrefix(workflowID, "customer/")
	return id, ok && id != ""
}

func keyID(p *commonpb.Payload) string { return string(p.Metadata[codec.MetadataKeyID]) }

func encodeFor(t *testing.T, c *codec.Codec, sc converter.SerializationContext, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.WithDataConverterSerializationContext(c.DataConverter(), sc).ToPayload(v)
	require.NoError(t, err, "encode %v under %#v", v, sc)
	return p
}

// Which key a payload is encrypted with follows the workflow it belongs to, as the SDK tells the
// codec through the serialization context.
func TestDataKeyFollowsTheWorkflow(t *testing.T) {
	spec := "m1:" + randomKey(t)
	st := newMemKeys()
	c := newCodec(t, spec).WithDataKeys(st, customerOf)
	zoe := converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "customer/zoe"}
	for _, tc := range []struct {
		name   string
		sc     converter.SerializationContext
		master bool
	}{
		{"customer workflow", zoe, false},
		{"customer activity", converter.ActivitySerializationContext{WorkflowID: "customer/zoe", ActivityType: "SendFollowUp"}, false},
		{"campaign workflow", converter.WorkflowSerializationContext{WorkflowID: "campaign/sale/summer"}, true},
		{"campaign activity", converter.ActivitySerializationContext{WorkflowID: "campaign/sale/summer"}, true},
		{"no workflow", converter.ActivitySerializationContext{}, true},
		{"no context", nil, true},
	} {
		p := encodeFor(t, c, tc.sc, map[string]string{"email": "zoe@example.org"})
		if tc.master {
			require.Equal(t, "m1", keyID(p), "%s: the master key", tc.name)
		} else {
			require.True(t, strings.HasPrefix(keyID(p), codec.DataKeyPrefix), "%s: a data key, got %q", tc.name, keyID(p))
		}
		var got map[string]string
		require.NoError(t, c.DataConverter().FromPayload(p, &got), "%s: decodes without a context", tc.name)
		require.Equal(t, "zoe@example.org", got["email"], tc.name)
	}
	a := encodeFor(t, c, zoe, "a")
	b := encodeFor(t, c, converter.WorkflowSerializationContext{WorkflowID: "customer/ann"}, "b")
	require.NotEqual(t, keyID(a), keyID(b), "each customer has a key of their own")
	require.Equal(t, keyID(a), keyID(encodeFor(t, c, zoe, "again")), "one key per customer")
}

// Forgetting destroys the key: nothing of the customer's decodes any more, not with the master
// keys, not through a codec that has the store; other customers' payloads still do.
func TestForgottenPayloadsNeverDecode(t *testing.T) {
	spec := "m1:" + randomKey(t)
	st := newMemKeys()
	writer := newCodec(t, spec).WithDataKeys(st, customerOf)
	zoe := encodeFor(t, writer, converter.WorkflowSerializationContext{WorkflowID: "customer/zoe"}, "Zoe's wish for grey")
	ann := encodeFor(t, writer, converter.WorkflowSerializationContext{WorkflowID: "customer/ann"}, "Ann's wish for blue")

	_, err := newCodec(t, spec).Decode([]*commonpb.Payload{zoe})
	require.ErrorContains(t, err, "not among the configured keys", "the master keys alone never read a customer's payload")

	st.forget("zoe")
	reader := newCodec(t, spec).WithDataKeys(st, customerOf) // another process: nothing cached
	_, err = reader.Decode([]*commonpb.Payload{zoe})
	require.ErrorContains(t, err, "its customer was forgotten", "zoe's payload after forget")
	dec, err := reader.Decode([]*commonpb.Payload{ann})
	require.NoError(t, err, "ann's payload after zoe was forgotten")
	require.Contains(t, string(dec[0].Data), "Ann's wish")

	_, err = reader.ForCustomer("zoe").Encode([]*commonpb.Payload{payload(t, "late signal")})
	require.ErrorIs(t, err, lifecycle.ErrForgotten, "no new key for a forgotten customer")
	out, err := reader.ForCustomer("zoe").Encode(nil)
	require.NoError(t, err, "nothing to encode needs no key (a terminate without details)")
	require.Empty(t, out)
}

// Two processes making the first key of a customer at once end up with the one stored first, and
// a warm cache reads the store no more.
func TestDataKeyMadeOnceAndCached(t *testing.T) {
	spec := "m1:" + randomKey(t)
	st := newMemKeys()
	a := newCodec(t, spec).WithDataKeys(st, customerOf)
	b := newCodec(t, spec).WithDataKeys(st, customerOf)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			c := a
			if i%2 == 1 {
				c = b
			}
			enc, err := c.ForCustomer("zoe").Encode([]*commonpb.Payload{payload(t, i)})
			if err == nil {
				ids[i] = keyID(enc[0])
			}
		})
	}
	wg.Wait()
	for i, id := range ids {
		require.Equal(t, ids[0], id, "encode %d used another key", i)
	}
	st.mu.Lock()
	before := st.lookups
	st.mu.Unlock()
	for range 100 {
		enc, err := a.ForCustomer("zoe").Encode([]*commonpb.Payload{payload(t, "x")})
		require.NoError(t, err)
		_, err = a.Decode(enc)
		require.NoError(t, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Equal(t, before, st.lookups, "a cached key is not looked up again")
}

// A data key stays readable across a master key rotation as long as the master key that wrapped
// it is configured, and says which one is missing otherwise.
func TestDataKeyNeedsItsMasterKey(t *testing.T) {
	m1, m2 := "m1:"+randomKey(t), "m2:"+randomKey(t)
	st := newMemKeys()
	enc, err := newCodec(t, m1).WithDataKeys(st, customerOf).ForCustomer("zoe").Encode([]*commonpb.Payload{payload(t, "before rotation")})
	require.NoError(t, err)
	_, err = newCodec(t, m2+","+m1).WithDataKeys(st, customerOf).Decode(enc)
	require.NoError(t, err, "rotated, the old master key kept")
	_, err = newCodec(t, m2).WithDataKeys(st, customerOf).Decode(enc)
	require.ErrorContains(t, err, `wrapped by master key "m1"`)
	require.NotContains(t, err.Error(), strings.TrimPrefix(m1, "m1:"), "an error never holds key material")
}

// A failure raised in a customer's workflow is encrypted with the customer's key too: the SDK's
// own failure converter does not pass the context on to its data converter.
func TestFailuresUseTheCustomersKey(t *testing.T) {
	st := newMemKeys()
	c := newCodec(t, "m1:"+randomKey(t)).WithDataKeys(st, customerOf)
	fc := converter.WithFailureConverterSerializationContext(c.FailureConverter(),
		converter.ActivitySerializationContext{WorkflowID: "customer/zoe"})
	f := fc.ErrorToFailure(temporal.NewApplicationError("mail to zoe@example.org bounced", "Bounce"))
	require.NotContains(t, f.String(), "zoe@example.org")
	attrs := f.GetEncodedAttributes()
	require.NotNil(t, attrs, "the message is moved into an encrypted payload")
	require.True(t, strings.HasPrefix(keyID(attrs), codec.DataKeyPrefix), "the customer's key, got %q", keyID(attrs))
	stored := proto.Clone(f).(*failurepb.Failure) // FailureToError decodes in place
	err := c.FailureConverter().FailureToError(f)
	require.ErrorContains(t, err, "zoe@example.org", "it decodes again without a context")

	st.forget("zoe")
	err = newCodec(t, "m1:"+randomKey(t)).WithDataKeys(st, customerOf).FailureConverter().FailureToError(stored)
	require.NotContains(t, err.Error(), "zoe@example.org", "a forgotten customer's failure stays unreadable")

	// When the customer's key cannot be had, the SDK's converter would panic; the failure is
	// encrypted with the master key instead.
	fresh := newCodec(t, "m1:"+randomKey(t)).WithDataKeys(st, customerOf) // c has the key cached still
	late := converter.WithFailureConverterSerializationContext(fresh.FailureConverter(),
		converter.ActivitySerializationContext{WorkflowID: "customer/zoe"}).ErrorToFailure(temporal.NewApplicationError("mail to zoe@example.org bounced again", "Bounce"))
	require.NotContains(t, late.String(), "zoe@example.org")
	require.Equal(t, "m1", keyID(late.GetEncodedAttributes()), "the master key when the data key is gone")
}

func TestMasterKeyIDMayNotLookLikeADataKey(t *testing.T) {
	_, err := codec.ParseKeys(codec.DataKeyPrefix + "1:" + randomKey(t))
	require.ErrorContains(t, err, "names customers' data keys")
}

// The codec endpoint decodes a customer's payloads for operators, and stops the moment the
// customer is forgotten, whatever the worker serving it has cached.
func TestEndpointDecodesDataKeysUntilForgotten(t *testing.T) {
	st := newMemKeys()
	c := newCodec(t, "m1:"+randomKey(t)).WithDataKeys(st, customerOf)
	enc, err := c.ForCustomer("zoe").Encode([]*commonpb.Payload{payload(t, "Zoe wishes for grey")})
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)
	h := codec.Handler(c, codec.HandlerOptions{})
	decode := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/codec/decode", bytes.NewReader(body)))
		return rec
	}
	rec := decode()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(rec.Body.Bytes(), &got))
	require.Contains(t, string(got.Payloads[0].Data), "Zoe wishes for grey")

	st.forget("zoe")
	_, err = c.Decode(enc)
	require.NoError(t, err, "the worker's own cache still holds the key (DataKeyCacheTTL)")
	rec = decode()
	require.NotEqual(t, http.StatusOK, rec.Code, "the endpoint must not decode a forgotten customer's payload")
	require.NotContains(t, rec.Body.String(), "grey")
}

// Rewrap moves a data key onto the encrypting master key without changing the key: payloads it
// encrypted before read with the new master key alone. A key already there is returned as it is; a
// key whose wrapping was altered, or whose master key is not configured, is refused.
func TestRewrapKeepsTheDataKey(t *testing.T) {
	oldSpec, newSpec := "old:"+randomKey(t), "new:"+randomKey(t)
	st := newMemKeys()
	before := newCodec(t, oldSpec).WithDataKeys(st, customerOf)
	p := encodeFor(t, before, converter.WorkflowSerializationContext{WorkflowID: "customer/zoe"}, "zoe's sizes")
	w, err := st.CustomerDataKey(context.Background(), "zoe")
	require.NoError(t, err)
	require.Equal(t, "old", w.MasterKeyID)

	rotated := newCodec(t, newSpec+","+oldSpec)
	rw, err := rotated.Rewrap(w)
	require.NoError(t, err)
	require.Equal(t, "new", rw.MasterKeyID)
	require.Equal(t, w.ID, rw.ID, "the same data key")
	require.NotEqual(t, w.Wrapped, rw.Wrapped)
	again, err := rotated.Rewrap(rw)
	require.NoError(t, err)
	require.Equal(t, rw, again, "a key wrapped by the encrypting key is left as it is")

	st.keys["zoe"] = rw
	var got string
	require.NoError(t, newCodec(t, newSpec).WithDataKeys(st, customerOf).DataConverter().FromPayload(p, &got), "read with the new master key alone")
	require.Equal(t, "zoe's sizes", got)

	tampered := w
	tampered.Wrapped = bytes.Clone(w.Wrapped)
	tampered.Wrapped[len(tampered.Wrapped)-1] ^= 1
	_, err = rotated.Rewrap(tampered)
	require.ErrorContains(t, err, "does not unwrap")
	_, err = newCodec(t, newSpec).Rewrap(w)
	require.ErrorContains(t, err, `wrapped by master key "old", which is not among the configured keys`)
	moved := w
	moved.CustomerID = "eve"
	_, err = rotated.Rewrap(moved)
	require.ErrorContains(t, err, "does not unwrap", "a wrapping moved to another customer")
}
