// Package codec encrypts Temporal payloads with AES-256-GCM, so customer data (names, email
// addresses, preferences, subjects) is stored in workflow histories as ciphertext.
//
// Contract:
//   - Encode encrypts every payload with the first key. The whole original payload, metadata
//     included, is proto-marshalled and sealed; the result carries only the metadata
//     "encoding: binary/encrypted" and "encryption-key-id: <id>". The key id is authenticated
//     (GCM additional data), so relabelling a payload with another id fails to decrypt.
//   - Decode decrypts with whichever configured key the payload names, so keys can rotate: put
//     the new key first and keep the old ones as long as histories encrypted with them live.
//   - Decode passes payloads that are not encrypted through unchanged: histories written before
//     encryption was turned on stay readable.
//   - With WithDataKeys, the payloads of a customer's workflow (customer/<id>, told by the SDK's
//     serialization context) are encrypted with that customer's own data key instead, named
//     "dk-<hex>" in the same metadata; destroying the key (starter forget) makes them unreadable
//     with any master key (crypto-shredding: datakeys.go). Decode finds a data key by its id.
//   - No error ever contains key material, only key ids.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// MetadataEncoding is the encoding of an encrypted payload (metadata key "encoding").
	MetadataEncoding = "binary/encrypted"
	// MetadataKeyID names the metadata entry holding the id of the key that encrypted a payload.
	MetadataKeyID = "encryption-key-id"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// Key is one AES-256-GCM key and the id payloads name it by.
type Key struct {
	ID   string
	aead cipher.AEAD
}

// NewKey returns a key from 32 secret bytes. id is stored in every payload the key encrypts, in
// plaintext: letters, digits, '.', '_' and '-', at most 64 of them.
func NewKey(id string, secret []byte) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("key %q is %d bytes, it must be %d: make one with `openssl rand -base64 32`", id, len(secret), KeySize)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, fmt.Errorf("key %q: %w", id, err)
	}
	return Key{ID: id, aead: aead}, nil
}

func checkKeyID(id string) error {
	if id == "" {
		return errors.New("a key id is empty: name each key, e.g. 2026-01:<base64 key>")
	}
	if len(id) > 64 {
		return fmt.Errorf("key id %q is longer than 64 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("key id %q may hold only letters, digits, '.', '_' and '-'", id)
		}
	}
	return nil
}

// Codec is a converter.PayloadCodec encrypting with its first key and decrypting with any of
// them. It is safe for concurrent use. WithDataKeys makes one that encrypts each customer's
// payloads with the customer's own data key (datakeys.go).
type Codec struct {
	encrypt Key
	keys    map[string]Key
	ids     []string // in the order given, for messages
	// data and owner are set by WithDataKeys: the customers' data keys, and which customer a
	// workflow id belongs to.
	data  *dataKeys
	owner func(workflowID string) (customerID string, ok bool)
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec that encrypts with keys[0] and decrypts with all keys.
func New(keys ...Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("no keys: the codec needs at least one")
	}
	c := &Codec{encrypt: keys[0], keys: make(map[string]Key, len(keys))}
	for _, k := range keys {
		if k.aead == nil {
			return nil, fmt.Errorf("key %q was not made with NewKey or ParseKeys", k.ID)
		}
		if _, dup := c.keys[k.ID]; dup {
			return nil, fmt.Errorf("key id %q is given twice: each key needs its own id", k.ID)
		}
		c.keys[k.ID] = k
		c.ids = append(c.ids, k.ID)
	}
	return c, nil
}

// EncryptingKeyID is the id of the key new payloads are encrypted with.
func (c *Codec) EncryptingKeyID() string { return c.encrypt.ID }

// KeyIDs are the ids of every key, the encrypting one first.
func (c *Codec) KeyIDs() []string { return append([]string(nil), c.ids...) }

// DataConverter is the SDK's default data converter with this codec applied: give it to
// client.Options.DataConverter in every process that talks to the workflows.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// Encode encrypts each payload with the encrypting key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return encodeWith(c.encrypt, payloads)
}

// encodeWith encrypts each payload with k.
func encodeWith(k Key, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload %d: %w", i, err)
		}
		nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encode payload %d: nonce: %w", i, err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncoding),
				MetadataKeyID:              []byte(k.ID),
			},
			Data: k.aead.Seal(nonce, nonce, plain, []byte(k.ID)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads and returns the others as they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncoding {
			out[i] = p // written before encryption was on
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			return nil, fmt.Errorf("decode payload %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	raw, ok := p.GetMetadata()[MetadataKeyID]
	if !ok {
		return nil, fmt.Errorf("the payload is encrypted but names no key (metadata %q is missing)", MetadataKeyID)
	}
	id := string(raw)
	k, ok := c.keys[id]
	if !ok && c.data != nil && strings.HasPrefix(id, DataKeyPrefix) {
		var err error
		if k, err = c.data.withID(id); err != nil {
			return nil, err
		}
		ok = true
	}
	if !ok {
		return nil, fmt.Errorf("the payload is encrypted with key %q, which is not among the configured keys (%s): "+
			"keep every key that encrypted a history still in Temporal", id, strings.Join(c.ids, ", "))
	}
	data := p.GetData()
	if len(data) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, fmt.Errorf("the payload encrypted with key %q is %d bytes, too short to be ciphertext", id, len(data))
	}
	nonce, sealed := data[:k.aead.NonceSize()], data[k.aead.NonceSize():]
	plain, err := k.aead.Open(nil, nonce, sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("the payload encrypted with key %q does not decrypt: it was altered, or the key configured under this id is not the one that encrypted it", id)
	}
	var orig commonpb.Payload
	if err := proto.Unmarshal(plain, &orig); err != nil {
		return nil, fmt.Errorf("the payload encrypted with key %q decrypts to something that is not a payload: %w", id, err)
	}
	return &orig, nil
}
