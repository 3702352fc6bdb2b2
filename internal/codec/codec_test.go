package codec_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/internal/codec"
)

func randomKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, codec.KeySize)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

func newCodec(t testing.TB, spec string) *codec.Codec {
	t.Helper()
	keys, err := codec.ParseKeys(spec)
	require.NoError(t, err)
	c, err := codec.New(keys...)
	require.NoError(t, err)
	return c
}

// payload is what the default converter makes of a customer's data.
func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestRoundTripHidesDataAndMetadata(t *testing.T) {
	c := newCodec(t, "k1:"+randomKey(t))
	in := []*commonpb.Payload{
		payload(t, map[string]string{"email": "david@example.com", "subject": "Grey is back"}),
		payload(t, nil),
		payload(t, []byte{1, 2, 3}),
	}
	enc, err := c.Encode(in)
	require.NoError(t, err)
	require.Len(t, enc, len(in))
	for i, p := range enc {
		require.Equal(t, codec.MetadataEncoding, string(p.Metadata[converter.MetadataEncoding]), "payload %d", i)
		require.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]), "payload %d", i)
		require.Len(t, p.Metadata, 2, "payload %d: only the encoding and the key id are in the clear", i)
		require.False(t, bytes.Contains(p.Data, []byte("david@example.com")), "payload %d holds the address in the clear", i)
		require.False(t, bytes.Contains(p.Data, []byte("json/plain")), "payload %d holds its original encoding in the clear", i)
	}
	dec, err := c.Decode(enc)
	require.NoError(t, err)
	for i := range in {
		require.Equal(t, in[i].Metadata, dec[i].Metadata, "payload %d", i)
		require.Equal(t, in[i].Data, dec[i].Data, "payload %d", i)
	}

	var got map[string]string
	dc := c.DataConverter()
	p, err := dc.ToPayload(map[string]string{"name": "David Sable"})
	require.NoError(t, err)
	require.NotContains(t, string(p.Data), "David")
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, "David Sable", got["name"])
}

func TestSameValueEncryptsDifferently(t *testing.T) {
	c := newCodec(t, "k1:"+randomKey(t))
	p := payload(t, "david@example.com")
	a, err := c.Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	b, err := c.Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.NotEqual(t, a[0].Data, b[0].Data, "a fresh nonce per payload")
}

func TestRotation(t *testing.T) {
	k1, k2 := "k1:"+randomKey(t), "k2:"+randomKey(t)
	old := newCodec(t, k1)
	encOld, err := old.Encode([]*commonpb.Payload{payload(t, "before rotation")})
	require.NoError(t, err)

	rotated := newCodec(t, k2+","+k1)
	require.Equal(t, "k2", rotated.EncryptingKeyID())
	require.Equal(t, []string{"k2", "k1"}, rotated.KeyIDs())
	dec, err := rotated.Decode(encOld)
	require.NoError(t, err, "payloads encrypted with the old key still decode")
	require.Equal(t, payload(t, "before rotation").Data, dec[0].Data)

	encNew, err := rotated.Encode([]*commonpb.Payload{payload(t, "after rotation")})
	require.NoError(t, err)
	require.Equal(t, "k2", string(encNew[0].Metadata[codec.MetadataKeyID]), "new payloads use the first key")

	_, err = old.Decode(encNew)
	require.ErrorContains(t, err, `"k2"`, "the old codec does not hold k2")
}

func TestDecodePassesPlainPayloadsThrough(t *testing.T) {
	c := newCodec(t, "k1:"+randomKey(t))
	plain := payload(t, "written before encryption")
	enc, err := c.Encode([]*commonpb.Payload{payload(t, "after")})
	require.NoError(t, err)
	dec, err := c.Decode([]*commonpb.Payload{plain, enc[0]})
	require.NoError(t, err)
	require.Same(t, plain, dec[0])
	require.Equal(t, payload(t, "after").Data, dec[1].Data)
}

func TestDecodeFailures(t *testing.T) {
	secret := randomKey(t)
	c := newCodec(t, "k1:"+secret)
	otherUnderSameID := newCodec(t, "k1:"+randomKey(t))
	encrypt := func() *commonpb.Payload {
		enc, err := c.Encode([]*commonpb.Payload{payload(t, "david@example.com")})
		require.NoError(t, err)
		return enc[0]
	}
	for _, tc := range []struct {
		name   string
		codec  *codec.Codec
		alter  func(p *commonpb.Payload)
		expect string
	}{
		{"tampered ciphertext", c, func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 }, "altered"},
		{"tampered nonce", c, func(p *commonpb.Payload) { p.Data[0] ^= 1 }, "altered"},
		{"truncated", c, func(p *commonpb.Payload) { p.Data = p.Data[:10] }, "too short"},
		{"unknown key id", c, func(p *commonpb.Payload) { p.Metadata[codec.MetadataKeyID] = []byte("k9") }, `key "k9", which is not among the configured keys (k1)`},
		{"no key id", c, func(p *commonpb.Payload) { delete(p.Metadata, codec.MetadataKeyID) }, "names no key"},
		{"wrong key under the same id", otherUnderSameID, func(*commonpb.Payload) {}, "not the one that encrypted it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := encrypt()
			tc.alter(p)
			_, err := tc.codec.Decode([]*commonpb.Payload{p})
			require.ErrorContains(t, err, tc.expect)
			require.NotContains(t, err.Error(), secret, "an error must never hold the key")
		})
	}
}

func TestRelabelledKeyIDFails(t *testing.T) {
	// The same secret under two ids: the id is authenticated, so swapping it is detected.
	secret := randomKey(t)
	c := newCodec(t, "a:"+secret+",b:"+secret)
	enc, err := c.Encode([]*commonpb.Payload{payload(t, "x")})
	require.NoError(t, err)
	enc[0].Metadata[codec.MetadataKeyID] = []byte("b")
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, "altered")
}

func TestParseKeys(t *testing.T) {
	good := randomKey(t)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for _, tc := range []struct {
		spec   string
		expect []string // each must be in the error; nil: valid
	}{
		{spec: "k1:" + good},
		{spec: " k1 : " + good + " , k2:" + randomKey(t) + " "},
		{spec: "", expect: []string{"no keys"}},
		{spec: "   ", expect: []string{"no keys"}},
		{spec: "k1:" + good + ",", expect: []string{"entry 2 is empty"}},
		{spec: good, expect: []string{"entry 1 is not id:base64"}},
		{spec: ":" + good, expect: []string{"key id is empty"}},
		{spec: "k 1:" + good, expect: []string{`key id "k 1" may hold only`}},
		{spec: "k1:not*base64!", expect: []string{`entry 1 (key "k1"): the key is not standard base64`}},
		{spec: "k1:" + short, expect: []string{`key "k1" is 16 bytes, it must be 32`}},
		{spec: "k1:" + good + ",k1:" + randomKey(t), expect: []string{`entry 2: key id "k1" is given twice`}},
		{spec: "k1:" + short + ",k2:%%%,k2:" + good, expect: []string{"entry 1", "entry 2", "entry 3"}},
	} {
		keys, err := codec.ParseKeys(tc.spec)
		if tc.expect == nil {
			require.NoError(t, err, "spec %q", tc.spec)
			require.NotEmpty(t, keys, "spec %q", tc.spec)
			continue
		}
		require.Error(t, err, "spec %q", tc.spec)
		for _, want := range tc.expect {
			require.Contains(t, err.Error(), want, "spec %q", tc.spec)
		}
		require.False(t, strings.Contains(err.Error(), good) || strings.Contains(err.Error(), short), "spec %q: the error holds key material: %v", tc.spec, err)
	}
}

func TestNewRejects(t *testing.T) {
	_, err := codec.New()
	require.ErrorContains(t, err, "no keys")
	k, err := codec.NewKey("k1", make([]byte, codec.KeySize))
	require.NoError(t, err)
	_, err = codec.New(k, k)
	require.ErrorContains(t, err, `"k1" is given twice`)
	_, err = codec.New(codec.Key{ID: "raw"})
	require.ErrorContains(t, err, "NewKey")
}
