package codec_test

import (
	"fmt"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tailorhq/tailor/internal/codec"
	"github.com/tailorhq/tailor/internal/store/storetest"
)

// BenchmarkRoundTrip encodes and decodes one payload the size of a customer's carried state
// (about 1.5 KB of JSON), with the master key as before data keys, and with a customer's data key
// found in the cache, which is every payload but the first of a customer in DataKeyCacheTTL, and
// without the cache (the key looked up and unwrapped for each encode and decode, in memory and in
// PostgreSQL at TEST_DATABASE_URL). docs/BENCHMARKS.md has the figures.
func BenchmarkRoundTrip(b *testing.B) {
	state := map[string]any{}
	for i := range 20 {
		state[fmt.Sprintf("field%02d", i)] = fmt.Sprintf("value of field %d with some customer text, colours and sizes", i)
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(state)
	if err != nil {
		b.Fatal(err)
	}
	in := []*commonpb.Payload{p}
	spec := "m1:" + randomKey(b)
	master := newCodec(b, spec)
	customers := newCodec(b, spec).WithDataKeys(newMemKeys(), customerOf)
	st, _ := storetest.New(b)
	inPostgres := newCodec(b, spec).WithDataKeys(st, customerOf)
	for _, bc := range []struct {
		name   string
		codec  *codec.Codec
		cached bool
	}{
		{"master-key", master, true},
		{"data-key-cached", customers, true},
		// Without the cache every encode and every decode would look the key up and unwrap it.
		{"data-key-uncached-in-memory", customers, false},
		{"data-key-uncached-postgres", inPostgres, false},
	} {
		pc := bc.codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: "customer/zoe"})
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(p.Data)))
			b.ReportAllocs()
			for b.Loop() {
				if !bc.cached {
					bc.codec.DropDataKey("zoe")
				}
				enc, err := pc.Encode(in)
				if err != nil {
					b.Fatal(err)
				}
				if !bc.cached {
					bc.codec.DropDataKey("zoe")
				}
				if _, err := pc.Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
