package device

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Key export files (docs/backup.md §7), the "MEGOLM SESSION DATA" files Element
// writes: a JSON array of exported sessions, AES-256-CTR encrypted and
// HMAC-SHA-256 authenticated under keys PBKDF2-SHA-512-derived from a
// passphrase.

const (
	exportHeader = "-----BEGIN MEGOLM SESSION DATA-----"
	exportFooter = "-----END MEGOLM SESSION DATA-----"
	// DefaultExportIterations: Element uses 500,000 PBKDF2 rounds.
	DefaultExportIterations = 500_000
	exportVersion           = 1
	exportLine              = 96 // characters per base64 line, as Element writes
	exportFixed             = 1 + 16 + 16 + 4
)

// KeyFileKeySize is the size of the key derived from a key file's
// passphrase: the AES-256-CTR key, then the HMAC-SHA-256 key.
const KeyFileKeySize = 64

// KeyFileParams are the PBKDF2 parameters of a key export file: derive
// KeyFileKeySize bytes with PBKDF2-HMAC-SHA-512(passphrase, Salt,
// Iterations). The JS loader derives them with WebCrypto, off the JS thread,
// and passes the key to ImportRoomKeysWithKey / ExportRoomKeysWithKey.
type KeyFileParams struct {
	Salt       []byte
	Iterations int
}

// NewKeyFileParams returns a fresh salt and the checked round count for an
// export; iterations 0 means DefaultExportIterations.
func NewKeyFileParams(iterations int) (*KeyFileParams, error) {
	if iterations == 0 {
		iterations = DefaultExportIterations
	}
	if err := passphrase.CheckParams(iterations, KeyFileKeySize*8); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	return &KeyFileParams{Salt: salt, Iterations: iterations}, nil
}

// ExportRoomKeys writes every room key held into a passphrase-protected
// key export file. iterations 0 means DefaultExportIterations. PBKDF2 runs
// here, in Go; see KeyFileParams for the way around it.
func (d *Device) ExportRoomKeys(pass string, iterations int) (string, error) {
	if pass == "" {
		return "", badInput("a passphrase is required to export keys")
	}
	p, err := NewKeyFileParams(iterations)
	if err != nil {
		return "", err
	}
	key, err := p.derive(pass)
	if err != nil {
		return "", err
	}
	defer clear(key)
	return d.ExportRoomKeysWithKey(key, p)
}

// ExportRoomKeysWithKey is ExportRoomKeys with the key already derived
// from the passphrase with p (see KeyFileParams).
func (d *Device) ExportRoomKeysWithKey(key []byte, p *KeyFileParams) (string, error) {
	if len(key) != KeyFileKeySize {
		return "", badInput("the key file key must be %d bytes, got %d", KeyFileKeySize, len(key))
	}
	if p == nil || len(p.Salt) != 16 {
		return "", badInput("the key file salt must be 16 bytes")
	}
	if err := passphrase.CheckParams(p.Iterations, KeyFileKeySize*8); err != nil {
		return "", err
	}
	list := []any{}
	err := d.st.View(func(tx *store.Tx) error {
		return tx.ScanInbound(func(ss store.InboundSession) error {
			in, err := decodeInbound(ss)
			if err != nil {
				return err
			}
			data, err := in.sessionData(true)
			if err != nil {
				return err
			}
			list = append(list, data)
			return nil
		})
	})
	if err != nil {
		return "", err
	}
	plain, err := encode(list)
	if err != nil {
		return "", err
	}
	defer clear(plain)
	return encryptExport(plain, key, p)
}

// derive runs PBKDF2 here, pausing now and then so that under wasm (where
// this is the JS thread's work) the event loop runs meanwhile: a file may
// ask for 10 million rounds, tens of seconds in Go under wasm.
func (p *KeyFileParams) derive(pass string) ([]byte, error) {
	return passphrase.DeriveKeyPaced(pass, string(p.Salt), p.Iterations, KeyFileKeySize*8, yieldToHost)
}

// yieldToHost blocks the goroutine briefly: under wasm the Go scheduler,
// with nothing to run, hands the thread back to the JS event loop.
func yieldToHost() { time.Sleep(time.Millisecond) }

func encryptExport(plain, key []byte, p *KeyFileParams) (string, error) {
	iv := make([]byte, 16)
	rand.Read(iv)
	iv[8] &= 0x7f // a 64-bit counter cannot wrap (WebCrypto's length: 64)
	ct, err := aes256.XORKeyStreamCTR(key[:32], iv, plain)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, exportFixed+len(ct)+32)
	buf = append(buf, exportVersion)
	buf = append(buf, p.Salt...)
	buf = append(buf, iv...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(p.Iterations))
	buf = append(buf, ct...)
	m := hmac.New(sha256.New, key[32:])
	m.Write(buf)
	buf = m.Sum(buf)

	text := b64.Encode(buf)
	text += strings.Repeat("=", (4-len(text)%4)%4) // Element's reader wants padding
	var sb strings.Builder
	sb.WriteString(exportHeader + "\n")
	for len(text) > exportLine {
		sb.WriteString(text[:exportLine] + "\n")
		text = text[exportLine:]
	}
	sb.WriteString(text + "\n" + exportFooter + "\n")
	return sb.String(), nil
}

// keyFile is a parsed, not yet authenticated, key export file.
type keyFile struct {
	raw    []byte
	params KeyFileParams
}

// parseKeyFile reads a key export file's framing and header.
func parseKeyFile(text string) (*keyFile, error) {
	start := strings.Index(text, exportHeader)
	end := -1
	if start >= 0 {
		// The footer is looked for after the header only.
		end = strings.Index(text[start+len(exportHeader):], exportFooter)
	}
	if end < 0 {
		return nil, badInput("not a key export file: the BEGIN/END MEGOLM SESSION DATA lines are missing")
	}
	inner := text[start+len(exportHeader):]
	body := strings.Join(strings.Fields(inner[:end]), "")
	raw, err := b64.Decode(body)
	if err != nil {
		return nil, errcode.Context(err, "key export file")
	}
	if len(raw) < exportFixed+32 {
		return nil, badInput("key export file is too short (%d bytes)", len(raw))
	}
	if raw[0] != exportVersion {
		return nil, errcode.New(errcode.UnsupportedAlgorithm, "key export file version %d is not supported (only %d)", raw[0], exportVersion)
	}
	iterations := binary.BigEndian.Uint32(raw[33:37])
	if iterations < 1 || iterations > passphrase.MaxIterations {
		return nil, badInput("key export file asks for %d PBKDF2 rounds (1 to %d accepted)", iterations, passphrase.MaxIterations)
	}
	return &keyFile{raw: raw, params: KeyFileParams{Salt: raw[1:17], Iterations: int(iterations)}}, nil
}

// ReadKeyFileParams returns the PBKDF2 parameters a key export file asks
// for, checked (BAD_INPUT, UNSUPPORTED_ALGORITHM as ImportRoomKeys).
func ReadKeyFileParams(text string) (*KeyFileParams, error) {
	f, err := parseKeyFile(text)
	if err != nil {
		return nil, err
	}
	return &KeyFileParams{Salt: append([]byte{}, f.params.Salt...), Iterations: f.params.Iterations}, nil
}

// decrypt returns the JSON inside the file. A wrong key (passphrase) or a
// damaged file is BAD_MAC.
func (f *keyFile) decrypt(key []byte) ([]byte, error) {
	if len(key) != KeyFileKeySize {
		return nil, badInput("the key file key must be %d bytes, got %d", KeyFileKeySize, len(key))
	}
	signed, tag := f.raw[:len(f.raw)-32], f.raw[len(f.raw)-32:]
	m := hmac.New(sha256.New, key[32:])
	m.Write(signed)
	if !hmac.Equal(m.Sum(nil), tag) {
		return nil, errcode.New(errcode.BadMAC, "wrong passphrase, or the key export file is damaged")
	}
	return aes256.XORKeyStreamCTR(key[:32], f.raw[17:33], signed[exportFixed:])
}

// ImportRoomKeys reads a key export file and stores its room keys, keeping
// better copies already held, in one transaction. Entries that cannot be
// used are counted in Failures by code. PBKDF2 runs here, in Go; see
// KeyFileParams for the way around it.
func (d *Device) ImportRoomKeys(text, pass string, onProgress Progress) (*RestoreResult, error) {
	f, err := parseKeyFile(text)
	if err != nil {
		return nil, err
	}
	key, err := f.params.derive(pass)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return d.importKeyFile(f, key, onProgress)
}

// ImportRoomKeysWithKey is ImportRoomKeys with the key already derived from
// the passphrase with the file's parameters (ReadKeyFileParams).
func (d *Device) ImportRoomKeysWithKey(text string, key []byte, onProgress Progress) (*RestoreResult, error) {
	f, err := parseKeyFile(text)
	if err != nil {
		return nil, err
	}
	return d.importKeyFile(f, key, onProgress)
}

func (d *Device) importKeyFile(f *keyFile, key []byte, onProgress Progress) (*RestoreResult, error) {
	plain, err := f.decrypt(key)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	v, err := jsonvalue.Parse(plain)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "the decrypted key export is not JSON")
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errcode.New(errcode.BadMessage, "the decrypted key export is not a JSON array")
	}
	res := &RestoreResult{Total: len(list), Failures: map[errcode.Code]int{}}
	keys := make([]store.InboundSession, 0, len(list))
	for i, item := range list {
		o, err := jsonvalue.AsObject(item, "exported session")
		var in *inbound
		if err == nil {
			in, err = parseSessionData(o, "", "")
		}
		if err != nil {
			res.Failures[errcode.Of(err)]++
		} else {
			keys = append(keys, in.record(false))
		}
		if onProgress != nil && ((i+1)%decryptChunk == 0 || i+1 == len(list)) {
			onProgress("decrypt", i+1, len(list))
		}
	}
	if err := d.storeKeys(keys, res, "", nil, onProgress); err != nil {
		return nil, err
	}
	return res, nil
}
