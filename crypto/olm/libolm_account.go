package olm

import (
	"bytes"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// libolm Account pickles (docs/olm.md §7.3), for migrating existing devices.
//
//	u32 version (2, 3 or 4; 1 is refused)
//	Ed25519 public (32) || private (64, expanded form)
//	Curve25519 public (32) || private (32)
//	u32 count, one-time keys newest first: u32 id || bool published || public || private
//	v3: current and previous fallback key records, always both, no count
//	v4: u8 count (0..2), then current, then previous
//	u32 last key id handed out
//
// libolm records no times, so on import the fallback keys are dated now:
// a previous key counts as replaced now and stays for the full retention
// window.

const libolmAccountVersion = 4

// ImportLibolmAccount reads a libolm account pickle (versions 2 to 4) made
// with the given pickle key (any length; libolm allows an empty key). A MAC
// mismatch is WrongKey, a malformed pickle BadPickle.
func ImportLibolmAccount(key []byte, pickle string) (*Account, error) {
	return ImportLibolmAccountAt(key, pickle, time.Now())
}

// ImportLibolmAccountAt is ImportLibolmAccount with the clock reading to date
// the imported fallback keys by (libolm keeps no times): created, published
// and replaced are set to now.
func ImportLibolmAccountAt(key []byte, pickle string, now time.Time) (*Account, error) {
	raw, err := libolmpickle.Decrypt(key, pickle)
	if err != nil {
		return nil, errcode.Context(err, "libolm account")
	}
	return decodeLibolmAccount(raw, time.UnixMilli(now.UnixMilli()))
}

func decodeLibolmAccount(raw []byte, now time.Time) (*Account, error) {
	r := libolmpickle.NewReader(raw)
	version := r.U32()
	if r.Err() == nil {
		switch version {
		case 2, 3, 4:
		case 1:
			return nil, errcode.New(errcode.BadPickle, "libolm account pickle version 1 is not supported: it stores the Ed25519 key in a form libolm itself considers compromised; create a new device")
		default:
			return nil, errcode.New(errcode.BadPickle, "unknown libolm account pickle version %d (expected 2, 3 or 4)", version)
		}
	}
	edPublic := r.Bytes(ed25519x.PublicSize)
	edPrivate := r.Bytes(ed25519x.ExpandedSize)
	curvePublic := r.Bytes(KeySize)
	curvePrivate := r.Bytes(KeySize)

	a := &Account{}
	n := r.U32()
	if n > MaxOneTimeKeys {
		r.Fail("libolm account pickle has %d one-time keys (at most %d)", n, MaxOneTimeKeys)
	}
	for i := uint32(0); i < n && r.Err() == nil; i++ {
		k := readLibolmOneTimeKey(r)
		// libolm lists newest first; we keep oldest first.
		a.oneTimeKeys.keys = append([]oneTimeKey{k}, a.oneTimeKeys.keys...)
	}

	var fallback []oneTimeKey // current, previous
	switch version {
	case 3:
		// Both records are always present; "published" doubled as "present".
		cur, prev := readLibolmOneTimeKey(r), readLibolmOneTimeKey(r)
		if cur.published {
			fallback = append(fallback, cur)
			if prev.published {
				fallback = append(fallback, prev)
			}
		}
	case 4:
		count := r.U8()
		if count > 2 {
			r.Fail("libolm account pickle has %d fallback keys (at most 2)", count)
		}
		for i := uint8(0); i < count && r.Err() == nil; i++ {
			fallback = append(fallback, readLibolmOneTimeKey(r))
		}
	}
	a.lastKeyID = r.U32()
	if err := r.Finish(); err != nil {
		return nil, errcode.Context(err, "libolm account")
	}

	sk, err := ed25519x.FromExpanded(edPrivate)
	if err != nil || !bytes.Equal(sk.Public(), edPublic) {
		return nil, errcode.New(errcode.BadPickle, "libolm account: the Ed25519 private key does not match its public key")
	}
	a.signingKey = sk
	a.identityKey, err = curveKeyFromPrivate(curvePrivate)
	if err != nil || !bytes.Equal(a.identityKey.public[:], curvePublic) {
		return nil, errcode.New(errcode.BadPickle, "libolm account: the Curve25519 private key does not match its public key")
	}

	// Fallback keys, previous first so that current ends up current.
	for i := len(fallback) - 1; i >= 0; i-- {
		k := fallbackKey{id: fallback[i].id, key: fallback[i].key, created: now}
		if fallback[i].published {
			k.published = now
		}
		a.fallbackKeys.replaceCurrent(k, now)
	}
	// libolm stores the last id handed out; never reuse any id we hold.
	for _, k := range a.oneTimeKeys.keys {
		a.lastKeyID = max(a.lastKeyID, k.id)
	}
	for _, k := range fallback {
		a.lastKeyID = max(a.lastKeyID, k.id)
	}
	return a, nil
}

func readLibolmOneTimeKey(r *libolmpickle.Reader) oneTimeKey {
	k := oneTimeKey{id: r.U32(), published: r.Bool()}
	pub := r.Bytes(KeySize)
	k.key = curveKeyFromParts(r.Bytes(KeySize), pub)
	return k
}

// ExportLibolm writes the account as a libolm version-4 account pickle
// under the given pickle key. libolm holds at most the current and one
// previous fallback key; if more old fallback keys are retained, export
// fails (BadInput) rather than silently dropping keys that peers may still
// use. Fallback-key times and "used" marks are not representable and are
// lost.
func (a *Account) ExportLibolm(key []byte) (string, error) {
	raw, err := a.encodeLibolm()
	if err != nil {
		return "", err
	}
	return libolmpickle.Encrypt(key, raw)
}

func (a *Account) encodeLibolm() ([]byte, error) {
	f := &a.fallbackKeys
	if len(f.old) > 1 {
		return nil, errcode.New(errcode.BadInput, "cannot export to libolm: the account retains %d old fallback keys and a libolm pickle holds only one; export after they expire (or they would stop decrypting)", len(f.old))
	}
	var w libolmpickle.Writer
	w.U32(libolmAccountVersion)
	w.Bytes(a.signingKey.Public())
	w.Bytes(a.signingKey.Expanded())
	w.Bytes(a.identityKey.public[:])
	w.Bytes(a.identityKey.private[:])
	w.U32(uint32(len(a.oneTimeKeys.keys)))
	for i := len(a.oneTimeKeys.keys) - 1; i >= 0; i-- {
		k := &a.oneTimeKeys.keys[i]
		writeLibolmOneTimeKey(&w, k.id, k.published, &k.key)
	}
	var fallback []*fallbackKey
	if f.current != nil {
		fallback = append(fallback, f.current)
		if len(f.old) == 1 {
			fallback = append(fallback, &f.old[0])
		}
	}
	w.U8(uint8(len(fallback)))
	for _, k := range fallback {
		writeLibolmOneTimeKey(&w, k.id, !k.published.IsZero(), &k.key)
	}
	w.U32(a.lastKeyID)
	return w.Raw(), nil
}

func writeLibolmOneTimeKey(w *libolmpickle.Writer, id uint32, published bool, k *curveKey) {
	w.U32(id)
	w.Bool(published)
	w.Bytes(k.public[:])
	w.Bytes(k.private[:])
}
