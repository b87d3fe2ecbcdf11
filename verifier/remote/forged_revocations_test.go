package remote_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// TestForgedHeadFetchesNoRevocations: a forged head (an attacker's key)
// naming a large revocation list got it read into memory and written to
// the cache before the head was checked (found by review); the head is
// now checked before the revocation list and the packs are fetched.
func TestForgedHeadFetchesNoRevocations(t *testing.T) {
	ctx := context.Background()
	url := fileURL(t.TempDir())
	s := newSnapshot(4, 2)
	good := s.publish(t, url)
	state := t.TempDir()
	r := newReplica(t, url, s.b.Pin(), state)
	if err := r.f.Poll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	b, _ := deploy.Open(ctx, url)
	defer b.Close()
	n := 4000
	envs := make([][]byte, n)
	list := append([]byte("QBV2"), binary.BigEndian.AppendUint32(nil, uint32(n))...)
	for i := range envs {
		envs[i] = make([]byte, record.MaxEnvelope)
		envs[i][0] = byte(i)
		envs[i][1] = byte(i >> 8)
		list = binary.AppendUvarint(list, uint64(len(envs[i])))
		list = append(list, envs[i]...)
	}
	h := *good.Head
	h.Seq += 10
	h.Revocations = uint32(n)
	h.RevChain = trust.Chain(envs)[n]
	forged, err := h.Sign(trusttest.Key("attacker"))
	if err != nil {
		t.Fatal(err)
	}
	b.WriteAll(ctx, trust.RevocationsFile(h.RevChain), list, nil)
	b.WriteAll(ctx, trust.HeadFile, forged, nil)
	r.f.Poll(ctx, "test")
	if st, err := os.Stat(filepath.Join(state, "mirror", filepath.FromSlash(trust.RevocationsFile(h.RevChain)))); err == nil {
		t.Errorf("a forged head's %d-byte revocation list is in the cache", st.Size())
	}
}
