package codec

// Crypto-shredding: every customer's payloads are encrypted under a data key of the customer's own,
// so that destroying that one key (starter forget) makes all the customer's histories unreadable,
// in Temporal, its database, its backups and its archives alike, while the master keys of
// TAILOR_CODEC_KEYS keep reading everything else.
//
// Which customer a payload belongs to. A PayloadCodec sees only payloads. Since SDK v1.50 the SDK
// hands a codec that implements converter.PayloadCodecWithSerializationContext the context of every
// conversion before it makes it: a WorkflowSerializationContext (workflow input and result, signals,
// queries, updates, memos, continue-as-new, external signals: the WorkflowID is that of the
// workflow the payload is for, the target's for a signal) or an ActivitySerializationContext
// (activity and local activity input and result, heartbeats: the WorkflowID of the workflow that
// runs the activity). It does so in the worker and in the client alike, so the starter's and the
// pages' SignalWithStart to customer/<id> are encrypted under the customer's key too. We chose it
// over the alternatives because it covers every payload without any call site having to say
// whose it is:
//   - converter.ContextAware (WithWorkflowContext/WithContext) reaches only the data converter, not
//     the codec, and on the client's side only the context.Context the caller passes, so every
//     starter command and page would have to tag its context with the customer; a missed one would
//     silently write with a master key.
//   - a key derived from the master key and the customer id (HKDF) needs no lookup, but can never
//     be destroyed: whoever keeps the master key derives it again.
//
// So WithSerializationContext binds the codec to the customer of a customer/<id> workflow
// (owner, workflows.CustomerIDOf); payloads of any other workflow (campaigns, the segment
// recompute) and conversions without a context keep the master key. Decoding needs no context: the
// key id in the payload's metadata says which key, a master key or a data key ("dk-…"), and a data
// key is looked up, unwrapped with the master key that wrapped it, and cached.
//
// The data key is made on the customer's first payload: 32 random bytes, wrapped (AES-256-GCM, the
// data key's id, the customer id and the master key's id authenticated) with the encrypting master
// key, stored through DataKeyStore (PostgreSQL, table customer_data_keys). Two processes that make
// one at once both use the one stored first. No data key is ever made for a forgotten customer, so a
// late signal cannot start a forgotten customer's workflow again: it fails to encode.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// DataKeyPrefix begins the id of every customer's data key; master key ids may not.
const DataKeyPrefix = "dk-"

// DataKeyCacheTTL is how long a process keeps a data key it looked up. It bounds how long a running
// worker can still read a forgotten customer's payloads from memory after `starter forget`.
const DataKeyCacheTTL = 5 * time.Minute

// maxCachedDataKeys bounds the cache: about 1 KiB each (an AES cipher and GCM state), so at most
// some 100 MiB for the customers a worker has touched within DataKeyCacheTTL.
const maxCachedDataKeys = 100_000

// storeTimeout bounds one lookup or insert of a data key: the codec gets no context from the SDK.
const storeTimeout = 10 * time.Second

// DataKeyStore keeps the customers' data keys, wrapped by a master key; *store.DB is one.
type DataKeyStore interface {
	// CustomerDataKey is the customer's key: lifecycle.ErrNotFound when there is none yet,
	// lifecycle.ErrForgotten when the customer was forgotten.
	CustomerDataKey(ctx context.Context, customerID string) (lifecycle.WrappedDataKey, error)
	// CreateCustomerDataKey stores k unless the customer has one, and returns the one stored.
	CreateCustomerDataKey(ctx context.Context, k lifecycle.WrappedDataKey) (lifecycle.WrappedDataKey, error)
	// DataKey is the key with this id: lifecycle.ErrNotFound when there is none (destroyed).
	DataKey(ctx context.Context, id string) (lifecycle.WrappedDataKey, error)
}

// WithDataKeys returns a codec that encrypts the payloads of each customer's workflow with the
// customer's own data key, kept in st; owner tells a customer's workflow id from others and
// returns the customer id (workflows.CustomerIDOf).
func (c *Codec) WithDataKeys(st DataKeyStore, owner func(workflowID string) (customerID string, ok bool)) *Codec {
	cp := *c
	cp.data = &dataKeys{store: st, master: c, now: time.Now,
		byCustomer: map[string]cachedKey{}, byID: map[string]cachedKey{}}
	cp.owner = owner
	return &cp
}

// WithSerializationContext implements converter.PayloadCodecWithSerializationContext: the codec
// for a customer's workflow, or c itself for every other payload.
func (c *Codec) WithSerializationContext(sc converter.SerializationContext) converter.PayloadCodec {
	if c.data == nil {
		return c
	}
	var workflowID string
	switch sc := sc.(type) {
	case converter.WorkflowSerializationContext:
		workflowID = sc.WorkflowID
	case converter.ActivitySerializationContext:
		workflowID = sc.WorkflowID
	}
	customerID, ok := c.owner(workflowID)
	if !ok {
		return c
	}
	return c.ForCustomer(customerID)
}

// ForCustomer is the codec of the customer's payloads: it encrypts with the customer's data key
// (made on first use) and decrypts like c. Without WithDataKeys, c itself.
func (c *Codec) ForCustomer(customerID string) converter.PayloadCodec {
	if c.data == nil {
		return c
	}
	return customerCodec{codec: c, customerID: customerID}
}

// FailureConverter moves failure messages and stack traces into a payload encrypted by c (an error
// can quote customer data); under a serialization context, with the codec for that context, so a
// customer's failures are shredded with the rest of the customer's history.
func (c *Codec) FailureConverter() converter.FailureConverter {
	return newFailureConverter(c.DataConverter())
}

// uncachedCopy is c looking every data key up in the store, for the codec endpoint.
func (c *Codec) uncachedCopy() *Codec {
	if c.data == nil {
		return c
	}
	cp := *c
	cp.data = &dataKeys{store: c.data.store, master: c.data.master, now: c.data.now, uncached: true}
	return &cp
}

// DropDataKey removes the customer's data key from this process's cache, so that this process
// stops reading and writing with it at once (starter forget destroys the stored key); other
// processes drop theirs within DataKeyCacheTTL.
func (c *Codec) DropDataKey(customerID string) {
	if c == nil || c.data == nil {
		return
	}
	c.data.mu.Lock()
	defer c.data.mu.Unlock()
	if e, ok := c.data.byCustomer[customerID]; ok {
		delete(c.data.byID, e.key.ID)
		delete(c.data.byCustomer, customerID)
	}
}

var _ converter.PayloadCodecWithSerializationContext = (*Codec)(nil)

// customerCodec encrypts with one customer's data key.
type customerCodec struct {
	codec      *Codec
	customerID string
}

func (cc customerCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if len(payloads) == 0 {
		return payloads, nil // no key is needed, nor made, for nothing
	}
	k, err := cc.codec.data.forCustomer(cc.customerID)
	if err != nil {
		return nil, err
	}
	return encodeWith(k, payloads)
}

func (cc customerCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return cc.codec.Decode(payloads)
}

// dataKeys looks up, makes and caches the customers' data keys.
type dataKeys struct {
	store  DataKeyStore
	master *Codec // wraps with its encrypting key, unwraps with whichever wrapped
	now    func() time.Time
	// uncached looks every key up: the codec endpoint's, so an operator never reads a forgotten
	// customer's payloads from a worker's cache.
	uncached bool

	mu         sync.Mutex
	byCustomer map[string]cachedKey
	byID       map[string]cachedKey
}

type cachedKey struct {
	key   Key
	until time.Time
}

// forCustomer is the customer's data key: cached, stored, or made now.
func (d *dataKeys) forCustomer(customerID string) (Key, error) {
	if k, ok := d.cached(d.byCustomer, customerID); ok {
		return k, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	w, err := d.store.CustomerDataKey(ctx, customerID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		w, err = d.create(ctx, customerID)
	}
	if errors.Is(err, lifecycle.ErrForgotten) {
		return Key{}, fmt.Errorf("encode a payload of customer %s: %w: no new data key is made for a forgotten customer", customerID, lifecycle.ErrForgotten)
	}
	if err != nil {
		return Key{}, fmt.Errorf("encode a payload of customer %s: the customer's data key: %w", customerID, err)
	}
	return d.add(w)
}

// withID is the data key with this id, for decoding.
func (d *dataKeys) withID(id string) (Key, error) {
	if k, ok := d.cached(d.byID, id); ok {
		return k, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	w, err := d.store.DataKey(ctx, id)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return Key{}, fmt.Errorf("the payload is encrypted with data key %q, which is not in the database: "+
			"its customer was forgotten (starter forget) and the payload can never be read again, or this is not the database the key was made in", id)
	}
	if err != nil {
		return Key{}, fmt.Errorf("the payload is encrypted with data key %q: %w", id, err)
	}
	return d.add(w)
}

// create makes a data key for the customer and stores it, unless another process stored one
// first: the one stored is returned either way.
func (d *dataKeys) create(ctx context.Context, customerID string) (lifecycle.WrappedDataKey, error) {
	secret := make([]byte, KeySize)
	rawID := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return lifecycle.WrappedDataKey{}, err
	}
	defer clear(secret)
	if _, err := rand.Read(rawID); err != nil {
		return lifecycle.WrappedDataKey{}, err
	}
	w, err := d.master.wrap(lifecycle.WrappedDataKey{ID: DataKeyPrefix + hex.EncodeToString(rawID), CustomerID: customerID}, secret)
	if err != nil {
		return lifecycle.WrappedDataKey{}, err
	}
	return d.store.CreateCustomerDataKey(ctx, w)
}

// wrapAD is what a wrapped key's encryption authenticates: a wrapped key moved to another row,
// customer or master key id does not unwrap.
func wrapAD(w lifecycle.WrappedDataKey) []byte {
	return []byte("tailor-data-key\x00" + w.ID + "\x00" + w.CustomerID + "\x00" + w.MasterKeyID)
}

// unwrap returns the secret of w, unwrapped with the master key of c that wrapped it. The caller
// clears it after use.
func (c *Codec) unwrap(w lifecycle.WrappedDataKey) ([]byte, error) {
	master, ok := c.keys[w.MasterKeyID]
	if !ok {
		return nil, fmt.Errorf("data key %q is wrapped by master key %q, which is not among the configured keys (%v): "+
			"keep every master key that wrapped a data key in TAILOR_CODEC_KEYS", w.ID, w.MasterKeyID, c.ids)
	}
	n := master.aead.NonceSize()
	if len(w.Wrapped) < n+master.aead.Overhead() {
		return nil, fmt.Errorf("data key %q is %d bytes wrapped, too short", w.ID, len(w.Wrapped))
	}
	secret, err := master.aead.Open(nil, w.Wrapped[:n], w.Wrapped[n:], wrapAD(w))
	if err != nil {
		return nil, fmt.Errorf("data key %q does not unwrap with master key %q: it was altered, or the key configured under this id is not the one that wrapped it", w.ID, w.MasterKeyID)
	}
	return secret, nil
}

// wrap seals secret as the data key w (its id and customer) with c's encrypting master key.
func (c *Codec) wrap(w lifecycle.WrappedDataKey, secret []byte) (lifecycle.WrappedDataKey, error) {
	master := c.encrypt
	w.MasterKeyID = master.ID
	nonce := make([]byte, master.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return lifecycle.WrappedDataKey{}, err
	}
	w.Wrapped = master.aead.Seal(nonce, nonce, secret, wrapAD(w))
	return w, nil
}

// Rewrap returns the data key w wrapped by c's encrypting master key instead of the one that
// wrapped it, so that an old master key can leave TAILOR_CODEC_KEYS (starter keys rewrap). The data
// key itself, and so every payload it encrypted, stays the same: caches of the old wrapping stay
// right. A key already wrapped by the encrypting key is returned as it is.
func (c *Codec) Rewrap(w lifecycle.WrappedDataKey) (lifecycle.WrappedDataKey, error) {
	if w.MasterKeyID == c.encrypt.ID {
		return w, nil
	}
	secret, err := c.unwrap(w)
	if err != nil {
		return lifecycle.WrappedDataKey{}, err
	}
	defer clear(secret)
	return c.wrap(w, secret)
}

// add unwraps w and caches it under its customer and its id.
func (d *dataKeys) add(w lifecycle.WrappedDataKey) (Key, error) {
	secret, err := d.master.unwrap(w)
	if err != nil {
		return Key{}, err
	}
	defer clear(secret)
	k, err := NewKey(w.ID, secret)
	if err != nil {
		return Key{}, err
	}
	if d.uncached {
		return k, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.byID) >= maxCachedDataKeys {
		d.evict()
	}
	entry := cachedKey{key: k, until: d.now().Add(DataKeyCacheTTL)}
	d.byCustomer[w.CustomerID] = entry
	d.byID[w.ID] = entry
	return k, nil
}

func (d *dataKeys) cached(m map[string]cachedKey, id string) (Key, bool) {
	if d.uncached {
		return Key{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := m[id]
	if !ok || !d.now().Before(e.until) {
		return Key{}, false
	}
	return e.key, true
}

// evict drops the expired entries, and all of them when none had expired. Called with mu held.
func (d *dataKeys) evict() {
	now := d.now()
	for _, m := range []map[string]cachedKey{d.byCustomer, d.byID} {
		for id, e := range m {
			if !now.Before(e.until) {
				delete(m, id)
			}
		}
	}
	if len(d.byID) >= maxCachedDataKeys {
		clear(d.byCustomer)
		clear(d.byID)
	}
}

// failureConverter is the SDK's default failure converter with EncodeCommonAttributes, made anew
// for each serialization context so that its data converter (and so the codec) has that context:
// the SDK's own DefaultFailureConverter does not pass the context on.
type failureConverter struct {
	dc  converter.DataConverter
	def converter.FailureConverter
	// master converts with the context-free codec (master keys only) when def cannot.
	master converter.FailureConverter
}

func newFailureConverter(dc converter.DataConverter) failureConverter {
	return failureConverter{dc: dc, def: defaultFailureConverter(dc)}
}

func defaultFailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}

// ErrorToFailure converts err under the context's codec. The SDK's converter panics when the
// codec fails, which a customer's data key can (PostgreSQL unreachable on a cache miss, or the
// customer forgotten meanwhile): rather than crash the worker, the failure is then encrypted with
// the master key, still never in clear.
func (f failureConverter) ErrorToFailure(err error) (failure *failurepb.Failure) {
	if f.master == nil {
		return f.def.ErrorToFailure(err)
	}
	defer func() {
		if r := recover(); r != nil {
			failure = f.master.ErrorToFailure(err)
		}
	}()
	return f.def.ErrorToFailure(err)
}

func (f failureConverter) FailureToError(failure *failurepb.Failure) error {
	return f.def.FailureToError(failure)
}

func (f failureConverter) WithSerializationContext(sc converter.SerializationContext) converter.FailureConverter {
	dc := converter.WithDataConverterSerializationContext(f.dc, sc)
	if dc == f.dc {
		return f
	}
	return failureConverter{dc: dc, def: defaultFailureConverter(dc), master: f.def}
}

var _ converter.FailureConverterWithSerializationContext = failureConverter{}
