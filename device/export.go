package device

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/aes256"
	"github.com/mxcrypto/mxcrypto/crypto/b64"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/jsonvalue"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
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

// ExportRoomKeys writes every room key held into a passphrase-protected
// key export file. iterations 0 means DefaultExportIterations.
func (d *Device) ExportRoomKeys(pass string, iterations int) (string, error) {
	if pass == "" {
		return "", badInput("a passphrase is required to export keys")
	}
	if iterations == 0 {
		iterations = DefaultExportIterations
	}
	if err := passphrase.CheckParams(iterations, 512); err != nil {
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
	return encryptExport(plain, pass, iterations)
}

func encryptExport(plain []byte, pass string, iterations int) (string, error) {
	salt := make([]byte, 16)
	iv := make([]byte, 16)
	rand.Read(salt)
	rand.Read(iv)
	iv[8] &= 0x7f // a 64-bit counter cannot wrap (WebCrypto's length: 64)
	aesKey, macKey, err := exportKeys(pass, salt, iterations)
	if err != nil {
		return "", err
	}
	ct, err := aes256.XORKeyStreamCTR(aesKey, iv, plain)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, exportFixed+len(ct)+32)
	buf = append(buf, exportVersion)
	buf = append(buf, salt...)
	buf = append(buf, iv...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(iterations))
	buf = append(buf, ct...)
	m := hmac.New(sha256.New, macKey)
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

func exportKeys(pass string, salt []byte, iterations int) (aesKey, macKey []byte, err error) {
	k, err := passphrase.DeriveKey(pass, string(salt), iterations, 512)
	if err != nil {
		return nil, nil, err
	}
	return k[:32], k[32:], nil
}

// decryptExport returns the JSON inside a key export file. A wrong
// passphrase (or a damaged file) is BAD_MAC.
func decryptExport(text, pass string) ([]byte, error) {
	start := strings.Index(text, exportHeader)
	end := strings.Index(text, exportFooter)
	if start < 0 || end < start {
		return nil, badInput("not a key export file: the BEGIN/END MEGOLM SESSION DATA lines are missing")
	}
	body := strings.Join(strings.Fields(text[start+len(exportHeader):end]), "")
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
	salt, iv := raw[1:17], raw[17:33]
	iterations := binary.BigEndian.Uint32(raw[33:37])
	if iterations < 1 || iterations > passphrase.MaxIterations {
		return nil, badInput("key export file asks for %d PBKDF2 rounds (1 to %d accepted)", iterations, passphrase.MaxIterations)
	}
	aesKey, macKey, err := exportKeys(pass, salt, int(iterations))
	if err != nil {
		return nil, err
	}
	signed, tag := raw[:len(raw)-32], raw[len(raw)-32:]
	m := hmac.New(sha256.New, macKey)
	m.Write(signed)
	if !hmac.Equal(m.Sum(nil), tag) {
		return nil, errcode.New(errcode.BadMAC, "wrong passphrase, or the key export file is damaged")
	}
	return aes256.XORKeyStreamCTR(aesKey, iv, signed[exportFixed:])
}

// ImportRoomKeys reads a key export file and stores its room keys, keeping
// better copies already held, in one transaction. Entries that cannot be
// used are counted in Failures by code.
func (d *Device) ImportRoomKeys(text, pass string, onProgress Progress) (*RestoreResult, error) {
	plain, err := decryptExport(text, pass)
	if err != nil {
		return nil, err
	}
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
