package trust

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// The snapshot's layout: every object but the head is immutable and named
// by what the head pins, so that a publisher never overwrites an object a
// reader of the old head may still fetch, and the head, written last,
// switches readers from one whole snapshot to the next.
//
//	roots/000001.root …          root set versions 1 up to the head's
//	trust/<trust list hash>.list the trust list, named by its SHA-256
//	revocations/<chain>.list     the revocation list, named by its chained hash
//	records/<name>.pack          the packs, named by their hash (first 16 bytes)
//	head                         the only object ever replaced
//
// Paths are slash-separated (object keys in a store; a folder's files
// under [filepath.FromSlash]).
const (
	HeadFile       = "head"
	RootsDir       = "roots"
	ListsDir       = "trust"
	RevocationsDir = "revocations"
	RecordsDir     = "records"
)

// RootFile is the path of root set version v.
func RootFile(v uint32) string { return fmt.Sprintf("%s/%06d.root", RootsDir, v) }

// ListFile is the path of the trust list whose SHA-256 is hash.
func ListFile(hash [32]byte) string { return ListsDir + "/" + hex.EncodeToString(hash[:]) + ".list" }

// RevocationsFile is the path of the revocation list whose chained hash
// ([Chain]) is chain.
func RevocationsFile(chain [32]byte) string {
	return RevocationsDir + "/" + hex.EncodeToString(chain[:]) + ".list"
}

// PackFile is the path of the pack named name (as [Pack.Name]).
func PackFile(name string) string { return RecordsDir + "/" + name }

// Objects returns the path of every object h names, the head itself
// excepted: root sets 1 to h's root version, the trust list, the
// revocation list and the packs, in that order. It is what a reader
// fetches and what a publisher must not delete while h may be read.
func Objects(h *Head) []string {
	out := make([]string, 0, int(h.RootVersion)+2+len(h.Packs))
	for v := uint32(1); v <= h.RootVersion && v <= maxRootVersions; v++ {
		out = append(out, RootFile(v))
	}
	out = append(out, ListFile(h.ListHash), RevocationsFile(h.RevChain))
	for _, p := range h.Packs {
		out = append(out, PackFile(p.Name))
	}
	return out
}

// maxRootVersions bounds the root chain a head may name.
const maxRootVersions = 1024

// ParseHead decodes a signed head without checking its signature: only
// to learn which objects it names (a reader fetching them, a publisher
// keeping them). [Load] checks the head itself.
func ParseHead(b []byte) (*Head, error) {
	s, err := parseSigned(magicHead, prefixHead, b)
	if err != nil {
		return nil, err
	}
	h, err := decodeHead(s.payload)
	if err != nil {
		return nil, err
	}
	if len(s.sigs) == 1 {
		h.KID = s.sigs[0].kid
	}
	return h, nil
}

// Managed reports whether path is a snapshot object a publisher may
// prune: a trust list, revocation list or pack by its layout name, or a
// file of the fixed-name layout before it ("trust.list",
// "revocations.list"). Root sets and the head are never pruned, and
// nothing else in a folder or bucket is touched.
func Managed(path string) bool {
	dir, name, ok := strings.Cut(path, "/")
	if !ok {
		return path == "trust.list" || path == "revocations.list"
	}
	switch dir {
	case ListsDir, RevocationsDir:
		base, ok := strings.CutSuffix(name, ".list")
		return ok && len(base) == 64 && isLowerHex(base)
	case RecordsDir:
		return validPackName(name)
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckName reports whether data can be the object at path by its name
// alone: a trust list whose SHA-256 is the name's, a revocation list whose
// chained hash is the name's, a pack whose hash begins with the name. Root
// sets (named by version) and paths outside the layout pass. It lets a
// mirror refuse a bad object before it enters its cache, where, named by
// its content, it would never be fetched again; [Load] checks everything
// again.
func CheckName(path string, data []byte) error {
	dir, name, _ := strings.Cut(path, "/")
	if !Managed(path) || !strings.Contains(path, "/") {
		return nil
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".list"), ".pack")
	var got string
	switch dir {
	case ListsDir:
		h := Hash(data)
		got = hex.EncodeToString(h[:])
	case RevocationsDir:
		if len(data) < 8 {
			return fmt.Errorf("%w: %s is not a revocation list", ErrMismatch, path)
		}
		envs, err := parseRevocations(data, binary.BigEndian.Uint32(data[4:8]))
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMismatch, path, err)
		}
		c := Chain(envs)[len(envs)]
		got = hex.EncodeToString(c[:])
	case RecordsDir:
		h := Hash(data)
		got = hex.EncodeToString(h[:16])
	}
	if got != base {
		return fmt.Errorf("%w: %s holds other bytes than its name says", ErrMismatch, path)
	}
	return nil
}

// MaxSize is the largest object at path that h may name: what a reader
// fetches at most before [Load] checks it.
func MaxSize(h *Head, path string) int64 {
	dir, name, _ := strings.Cut(path, "/")
	switch dir {
	case RevocationsDir:
		return 8 + int64(min(h.Revocations, maxRevs))*int64(3+record.MaxEnvelope)
	case RecordsDir:
		for _, p := range h.Packs {
			if p.Name == name {
				return packHeader + int64(p.Records)*ObjectSize
			}
		}
		return 0
	}
	return maxSigned
}

// MaxHead is the largest head a reader fetches.
const MaxHead = maxSigned
