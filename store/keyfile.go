package store

import (
	"crypto/rand"
	"errors"

	"github.com/hack-pad/hackpadfs"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/crypto/sealed"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// KEY holds what is needed to check a store key before anything else is
// read: "MXSK" version(u16) kdf(u8) [iterations(uvarint) salt(string)]
// followed by the 16-byte store id sealed under the store key, with the
// clear part as label. A wrong key fails here, as WRONG_KEY, and never
// yields garbage. The store id binds MANIFEST and the segments to this
// store.
const (
	keyMagic   = "MXSK"
	keyVersion = 1
	kdfRaw     = 0 // the caller's 32-byte key
	kdfPBKDF2  = 1 // PBKDF2-SHA-512 of a passphrase
	idSize     = 16
	maxSaltLen = 256
)

type keyHeader struct {
	kdf        byte
	iterations int
	salt       string
}

func encodeKeyHeader(h keyHeader) []byte {
	e := &enc{B: fileHeader(keyMagic, keyVersion)}
	e.U8(h.kdf)
	if h.kdf == kdfPBKDF2 {
		e.Uvarint(uint64(h.iterations))
		e.String(h.salt)
	}
	return e.B
}

// parseKeyFile returns the header, its bytes (the label) and the sealed id.
func parseKeyFile(raw []byte) (keyHeader, []byte, []byte, error) {
	var h keyHeader
	v, err := headerVersion(raw, keyMagic, "KEY")
	if err != nil {
		return h, nil, nil, err
	}
	if v != keyVersion {
		return h, nil, nil, errcode.New(StoreVersion, "the store's KEY file has format version %d; this mxcrypto reads version %d", v, keyVersion)
	}
	d := newDec(raw[headerSize:], "KEY")
	h.kdf = d.U8()
	switch {
	case d.Err() != nil:
	case h.kdf == kdfPBKDF2:
		h.iterations = int(d.UvarintMax(passphrase.MaxIterations, "iterations"))
		h.salt = d.StringMax(maxSaltLen, "salt")
		if d.Err() == nil && h.iterations < 1 {
			d.Fail("no iterations")
		}
	case h.kdf != kdfRaw:
		d.Fail("unknown key derivation %d", h.kdf)
	}
	if d.Err() != nil {
		return h, nil, nil, d.err()
	}
	n := len(raw) - d.Len()
	return h, raw[:n], d.Rest(), nil
}

// storeKey picks or derives the key that KEY's header asks for.
func storeKey(h keyHeader, opts *Options) ([]byte, error) {
	switch {
	case h.kdf == kdfPBKDF2 && opts.Passphrase == "":
		return nil, errcode.New(errcode.WrongKey, "this store is protected by a passphrase, not a raw key")
	case h.kdf == kdfRaw && opts.Passphrase != "":
		return nil, errcode.New(errcode.WrongKey, "this store is protected by a raw key, not a passphrase")
	case h.kdf == kdfPBKDF2:
		return passphrase.DeriveKey(opts.Passphrase, h.salt, h.iterations, 8*sealed.KeySize)
	}
	return append([]byte{}, opts.Key...), nil
}

// openKeyFile checks the key against KEY, creating KEY for a new store.
// It returns the store key and id, and whether the store is new.
func (s *Store) openKeyFile(opts *Options) (key, id []byte, created bool, err error) {
	raw, err := s.read(keyFile)
	if errors.Is(err, errNotExist) {
		if err := hackpadfs.MkdirAll(s.fsys, s.name, 0o700); err != nil {
			return nil, nil, false, fsFailure(err, "creating the store directory")
		}
		key, id, err = s.createKeyFile(opts)
		return key, id, err == nil, err
	}
	if err != nil {
		return nil, nil, false, err
	}
	h, label, sealedID, err := parseKeyFile(raw)
	if err != nil {
		return nil, nil, false, err
	}
	key, err = storeKey(h, opts)
	if err != nil {
		return nil, nil, false, err
	}
	id, err = sealed.Open(key, "mxstore.key\x00"+string(label), sealedID)
	if errcode.Of(err) == errcode.WrongKey {
		damagedKEY := s.keyOpensMark(key)
		clear(key)
		if damagedKEY {
			return nil, nil, false, damaged("KEY does not open with the store key, which opens the store's high-water mark")
		}
		return nil, nil, false, errcode.New(errcode.WrongKey, "wrong store key")
	}
	if err != nil || len(id) != idSize {
		clear(key)
		return nil, nil, false, damaged("KEY does not hold a store id")
	}
	return key, id, false, nil
}

func (s *Store) createKeyFile(opts *Options) (key, id []byte, err error) {
	// A MANIFEST without KEY is a damaged store, not a new one.
	if found, err := s.hasSlots(); found || err != nil {
		if err == nil {
			err = damaged("KEY is missing")
		}
		return nil, nil, err
	}
	h := keyHeader{kdf: kdfRaw}
	if opts.Passphrase != "" {
		h = keyHeader{kdf: kdfPBKDF2, iterations: opts.Iterations, salt: passphrase.NewSalt(32)}
		if h.iterations == 0 {
			h.iterations = passphrase.DefaultIterations
		}
	}
	if key, err = storeKey(h, opts); err != nil {
		return nil, nil, err
	}
	id = make([]byte, idSize)
	rand.Read(id)
	label := encodeKeyHeader(h)
	ct, err := sealed.Seal(key, "mxstore.key\x00"+string(label), id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.replace(keyFile, tmpName(0), append(label, ct...)); err != nil {
		return nil, nil, err
	}
	return key, id, nil
}

// keyOpensMark tells a damaged KEY from a wrong key: the high-water mark
// (its store id in clear) is sealed under the same key.
func (s *Store) keyOpensMark(key []byte) bool {
	raw, err := s.read(s.markFile())
	if err != nil || len(raw) != markSize {
		return false
	}
	c, err := sealed.NewCipher(key)
	if err != nil {
		return false
	}
	defer c.Wipe()
	state, _, _ := openMark(c, raw[headerSize:headerSize+idSize], raw)
	return state == markOK
}
