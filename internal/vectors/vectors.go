// Package vectors reads the known-answer test vectors in testdata/vectors,
// the one place each vector is written (docs/vectors.md lists them and their
// sources). The Node tests read the same files (tests/helpers/vectors.mjs).
// For tests only: every function fails the test it is given on a missing or
// malformed file.
package vectors

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Dir returns testdata/vectors at the module root: the first directory
// upwards from the working directory (a package's directory under go test,
// natively and under js/wasm) that holds go.mod.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := findDir()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

var findDir = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "vectors"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("vectors: no go.mod above the working directory")
		}
		dir = parent
	}
})

// Load decodes testdata/vectors/<file> into v (a struct shaped like the
// file; unknown fields such as "source" are allowed and ignored).
func Load(tb testing.TB, file string, v any) {
	tb.Helper()
	if err := load(file, v); err != nil {
		tb.Fatal(err)
	}
}

// MustLoad is Load for package-level test variables: it panics, which fails
// the test binary before any test runs.
func MustLoad(file string, v any) {
	if err := load(file, v); err != nil {
		panic(err)
	}
}

func load(file string, v any) error {
	dir, err := findDir()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// file decodes a whole vector file into a T.
func file[T any](tb testing.TB, name string) T {
	tb.Helper()
	var f T
	Load(tb, name, &f)
	return f
}

// mustFile is file for package-level test variables.
func mustFile[T any](name string) T {
	var f T
	MustLoad(name, &f)
	return f
}

// entry decodes one top-level entry of a vector file into a T.
func entry[T any](tb testing.TB, name, key string) T {
	tb.Helper()
	var top map[string]json.RawMessage
	Load(tb, name, &top)
	var v T
	if err := json.Unmarshal(top[key], &v); err != nil {
		tb.Fatalf("%s %s: %v", name, key, err)
	}
	return v
}

// Hex is a byte string written as hex in a vector file.
type Hex []byte

func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

// B64 is a byte string written as standard base64 (padded or not).
type B64 []byte

func (p *B64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	*p = v
	return err
}

// KeyPair is an X25519 key pair of x25519.json.
type KeyPair struct {
	Private   Hex    `json:"private"`
	Public    Hex    `json:"public"`
	PublicB64 string `json:"public_b64"`
}

// X25519File is x25519.json.
type X25519File struct {
	Keys map[string]KeyPair `json:"keys"`
	// Shared is RFC 7748's shared secret of rfc7748_alice and rfc7748_bob.
	Shared Hex `json:"-"`
}

func (f *X25519File) UnmarshalJSON(b []byte) error {
	var raw struct {
		Keys   map[string]KeyPair `json:"keys"`
		Shared struct {
			Secret Hex `json:"secret"`
		} `json:"rfc7748_shared"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	f.Keys, f.Shared = raw.Keys, raw.Shared.Secret
	return nil
}

// X25519 returns x25519.json.
func X25519(tb testing.TB) X25519File {
	tb.Helper()
	return file[X25519File](tb, "x25519.json")
}

// MustX25519 is X25519 for package-level test variables.
func MustX25519() X25519File { return mustFile[X25519File]("x25519.json") }

// MustBackup is Backup for package-level test variables.
func MustBackup() BackupFile { return mustFile[BackupFile]("backup.json") }

// Key returns the named key pair of x25519.json, e.g. "rfc7748_alice".
func Key(tb testing.TB, name string) KeyPair {
	tb.Helper()
	k, ok := X25519(tb).Keys[name]
	if !ok {
		tb.Fatalf("x25519.json has no key %q", name)
	}
	return k
}

// SessionData is the session_data of a backed-up key.
type SessionData struct {
	Ciphertext string `json:"ciphertext"`
	Ephemeral  string `json:"ephemeral"`
	MAC        string `json:"mac"`
}

// BackupVector is one entry of backup.json's "session_data" table.
type BackupVector struct {
	Source string `json:"source"`
	// Key names the backup key in x25519.json, or KeyB64 gives it.
	Key         string          `json:"key"`
	KeyB64      B64             `json:"key_b64"`
	SessionData SessionData     `json:"session_data"`
	Plaintext   json.RawMessage `json:"plaintext"`
	RoomID      string          `json:"room_id"`
	SessionID   string          `json:"session_id"`
	// FirstMessageIndex is the index the vector's KeyBackupData gives.
	FirstMessageIndex int `json:"first_message_index"`
	// EventCiphertext is a room event's ciphertext made with the backed-up
	// session, and EventContent its decrypted content, when the source gives one.
	EventCiphertext string `json:"event_ciphertext"`
	EventContent    string `json:"event_content"`
}

// PrivateKey is the vector's backup key.
func (v BackupVector) PrivateKey(tb testing.TB) []byte {
	tb.Helper()
	if v.Key != "" {
		return Key(tb, v.Key).Private
	}
	return v.KeyB64
}

// EncodedKey is a key of x25519.json in a text form a vector gives.
type EncodedKey struct {
	Text   string `json:"text"`   // recovery key text
	Base64 string `json:"base64"` // base64 of the private key
	Key    string `json:"key"`    // its name in x25519.json
}

// PKMessage is a libolm PkEncryption message.
type PKMessage = SessionData

// BackupFile is backup.json.
type BackupFile struct {
	RecoveryKeys []EncodedKey `json:"recovery_keys"`
	KeyBase64    []EncodedKey `json:"key_base64"`
	PKEncryption struct {
		Recipient    string    `json:"recipient"`
		EphemeralKey string    `json:"ephemeral_key"`
		Plaintext    string    `json:"plaintext_text"`
		Message      PKMessage `json:"message"`
	} `json:"pk_encryption"`
	SessionData map[string]BackupVector `json:"session_data"`
	KeyExport   struct {
		Passphrase string `json:"passphrase"`
		File       string `json:"file_text"`
	} `json:"key_export"`
}

// Backup returns backup.json.
func Backup(tb testing.TB) BackupFile {
	tb.Helper()
	return file[BackupFile](tb, "backup.json")
}

// BackupVectorNamed returns one session_data vector of backup.json.
func BackupVectorNamed(tb testing.TB, name string) BackupVector {
	tb.Helper()
	v, ok := Backup(tb).SessionData[name]
	if !ok {
		tb.Fatalf("backup.json has no session_data %q", name)
	}
	return v
}

// JSSDKRecoveryKey is matrix-js-sdk's backup recovery key
// (docs/vectors.md §5.2), the text form of rfc7748_alice.
func JSSDKRecoveryKey(tb testing.TB) string {
	tb.Helper()
	for _, k := range Backup(tb).RecoveryKeys {
		if k.Key == "rfc7748_alice" {
			return k.Text
		}
	}
	tb.Fatal("backup.json: no recovery key for rfc7748_alice")
	return ""
}

// JSSDKBackup is matrix-js-sdk's CURVE25519_KEY_BACKUP_DATA session_data
// (docs/vectors.md §5.2), encrypted to JSSDKRecoveryKey.
func JSSDKBackup(tb testing.TB) SessionData {
	tb.Helper()
	return BackupVectorNamed(tb, "jssdk_backup_spec").SessionData
}

// HKDFVector is an HKDF-SHA-256 case of hkdf.json.
type HKDFVector struct {
	IKM    Hex `json:"ikm"`
	Salt   Hex `json:"salt"`
	Info   Hex `json:"info"`
	Length int `json:"length"`
	PRK    Hex `json:"prk"` // HMAC-SHA-256(salt, ikm)
	OKM    Hex `json:"okm"`
}

// RFC5869 returns RFC 5869's test case 1 (hkdf.json).
func RFC5869(tb testing.TB) HKDFVector {
	tb.Helper()
	return entry[HKDFVector](tb, "hkdf.json", "rfc5869_case1")
}

// Base64File is base64.json.
type Base64File struct {
	RFC4648 struct {
		Cases []struct {
			Text     string `json:"text"`
			Unpadded string `json:"unpadded"`
			Padded   string `json:"padded"`
		} `json:"cases"`
	} `json:"rfc4648"`
	VodozemacPadding struct {
		Padded   string `json:"padded"`
		Unpadded string `json:"unpadded"`
		Text     string `json:"text"`
	} `json:"vodozemac_padding"`
}

// MustBase64 returns base64.json, for package-level test variables.
func MustBase64() Base64File { return mustFile[Base64File]("base64.json") }

// CTRVector is an AES-256-CTR case of aes.json.
type CTRVector struct {
	Key, IV, Ciphertext Hex
	Plaintext           string `json:"plaintext_text"`
}

// AESCTR returns aes.json's CTR vector.
func AESCTR(tb testing.TB) CTRVector {
	tb.Helper()
	return entry[CTRVector](tb, "aes.json", "mautrix_ctr")
}

// PBKDF2Vector is a PBKDF2-HMAC-SHA-512 case of pbkdf2.json.
type PBKDF2Vector struct {
	Passphrase string `json:"passphrase_text"`
	Salt       Hex    `json:"salt"`
	Iterations int    `json:"iterations"`
	Bits       int    `json:"bits"`
	KeyB64     string `json:"key_b64"`
}

// PBKDF2 returns pbkdf2.json's vector.
func PBKDF2(tb testing.TB) PBKDF2Vector {
	tb.Helper()
	return entry[PBKDF2Vector](tb, "pbkdf2.json", "mautrix")
}

// SignedVector is one signed object of signing.json's "jssdk" table.
type SignedVector struct {
	Name   string          `json:"name"`
	Object json.RawMessage `json:"object"`
	KeyID  string          `json:"key_id"`
	Signer string          `json:"signer"` // a name in Keys
}

// SigningFile is signing.json.
type SigningFile struct {
	SpecAppendix struct {
		SeedB64 string `json:"seed_b64"`
		Entity  string `json:"entity"`
		KeyID   string `json:"key_id"`
		Cases   []struct {
			Object    json.RawMessage `json:"object"`
			Signature string          `json:"signature"`
		} `json:"cases"`
	} `json:"spec_appendix"`
	JSSDK struct {
		UserID string `json:"user_id"`
		Keys   map[string]struct {
			SeedText  string `json:"seed_text"`
			PublicB64 string `json:"public_b64"`
		} `json:"keys"`
		Signed []SignedVector `json:"signed"`
	} `json:"jssdk"`
}

// MustSigning returns signing.json, for package-level test variables.
func MustSigning() SigningFile { return mustFile[SigningFile]("signing.json") }

// CanonicalCase is one input → canonical output of canonicaljson.json.
type CanonicalCase struct {
	Input     string `json:"input"`
	Canonical string `json:"canonical"`
}

// CanonicalJSONFile is canonicaljson.json.
type CanonicalJSONFile struct {
	SpecAppendix struct {
		Cases []CanonicalCase `json:"cases"`
	} `json:"spec_appendix"`
	Mautrix struct {
		Cases []CanonicalCase `json:"cases"`
	} `json:"mautrix"`
}

// MustCanonicalJSON returns canonicaljson.json, for package-level test variables.
func MustCanonicalJSON() CanonicalJSONFile { return mustFile[CanonicalJSONFile]("canonicaljson.json") }

// MegolmFile is megolm.json.
type MegolmFile struct {
	Ratchet struct {
		Initial string `json:"initial_text"`
		Steps   []struct {
			AdvanceTo uint32 `json:"advance_to"`
			R3        Hex    `json:"r3"`
			Parts     []Hex  `json:"parts"`
		} `json:"steps"`
	} `json:"ratchet"`
	GroupSession struct {
		Random     string `json:"random_text"`
		SessionKey string `json:"session_key"`
		SessionID  string `json:"session_id"`
		Plaintext  string `json:"plaintext_text"`
		Message    string `json:"message"`
	} `json:"group_session"`
	OtherSigningKey struct {
		SessionKey string `json:"session_key"`
		Plaintext  string `json:"plaintext_text"`
		Message    string `json:"message"`
	} `json:"group_session_other_signing_key"`
	ExportedSession struct {
		Session         string `json:"session"` // a session_data name in backup.json
		EventCiphertext string `json:"event_ciphertext"`
		EventPlaintext  string `json:"event_plaintext_text"`
	} `json:"exported_session"`
	MessageHeader struct {
		Index      uint32 `json:"index"`
		Ciphertext string `json:"ciphertext_text"`
		Header     Hex    `json:"header"`
		MAC        string `json:"mac_text"`
		Length     int    `json:"length_with_mac_and_signature"`
	} `json:"message_header"`
	LibolmPickles struct {
		Key      string `json:"pickle_key_text"`
		Outbound string `json:"outbound"`
		Inbound  string `json:"inbound"`
	} `json:"libolm_pickles"`
}

// MustMegolm returns megolm.json, for package-level test variables.
func MustMegolm() MegolmFile { return mustFile[MegolmFile]("megolm.json") }

// ExportedSessionData returns the session key and id of the
// MEGOLM_SESSION_DATA object megolm.json's exported_session names (a
// plaintext in backup.json).
func (f MegolmFile) ExportedSessionData() (sessionKey, sessionID string) {
	v := MustBackup().SessionData[f.ExportedSession.Session]
	var s struct {
		SessionKey string `json:"session_key"`
		SessionID  string `json:"session_id"`
	}
	if err := json.Unmarshal(v.Plaintext, &s); err != nil {
		panic(err)
	}
	return s.SessionKey, s.SessionID
}

// OlmWire is an encoded Olm normal message and its fields (olm.json).
type OlmWire struct {
	RatchetKey string `json:"ratchet_key_text"`
	ChainIndex uint32 `json:"chain_index"`
	Ciphertext string `json:"ciphertext_text"`
	MAC        string `json:"mac_text"`
	Encoded    Hex    `json:"encoded"`
	Reordered  Hex    `json:"reordered"`
	Version4   Hex    `json:"version4"`
}

// OlmFields are the decoded fields of a real Olm message.
type OlmFields struct {
	OneTimeKey  Hex    `json:"one_time_key"`
	BaseKey     Hex    `json:"base_key"`
	IdentityKey Hex    `json:"identity_key"`
	RatchetKey  Hex    `json:"ratchet_key"`
	ChainIndex  uint32 `json:"chain_index"`
	MAC         Hex    `json:"mac"`
	Ciphertext  Hex    `json:"ciphertext"`
}

// LibolmPickle is a libolm pickle and its key.
type LibolmPickle struct {
	Key    string `json:"pickle_key_text"`
	Pickle string `json:"pickle"`
}

// OlmFile is olm.json.
type OlmFile struct {
	WireLibolm    OlmWire `json:"wire_libolm"`
	WireVodozemac OlmWire `json:"wire_vodozemac"`
	RealMessages  struct {
		PreKeyMessage string    `json:"pre_key_message"`
		PreKeyFields  OlmFields `json:"pre_key_fields"`
		Message       string    `json:"message"`
		MessageFields OlmFields `json:"message_fields"`
	} `json:"real_messages"`
	SessionPickles struct {
		Key      string `json:"pickle_key_text"`
		Version1 string `json:"version1"`
		Logging  string `json:"version_0x80000001"`
		State    struct {
			RootKey              Hex    `json:"root_key"`
			SenderRatchetPublic  Hex    `json:"sender_ratchet_public"`
			SenderRatchetPrivate Hex    `json:"sender_ratchet_private"`
			SenderChainIndex     uint32 `json:"sender_chain_index"`
			AliceIdentityKey     Hex    `json:"alice_identity_key"`
			AliceBaseKey         Hex    `json:"alice_base_key"`
			BobOneTimeKey        Hex    `json:"bob_one_time_key"`
		} `json:"state"`
	} `json:"libolm_session_pickles"`
	ReceivedSession struct {
		LibolmPickle
		Garbage []Hex `json:"garbage_messages"`
	} `json:"libolm_received_session"`
	EmptySession LibolmPickle `json:"mautrix_empty_session"`
	AccountV1    LibolmPickle `json:"libolm_account_v1"`
	AccountV3    struct {
		LibolmPickle
		FallbackKeyID string `json:"fallback_key_id"`
		FallbackKey   string `json:"fallback_key"`
		LastKeyID     uint32 `json:"last_key_id"`
	} `json:"libolm_account_v3"`
	AccountV4 struct {
		LibolmPickle
		Ed25519Public     Hex               `json:"ed25519_public"`
		Ed25519Expanded   Hex               `json:"ed25519_expanded"`
		Ed25519Seed       Hex               `json:"ed25519_seed"`
		Curve25519Public  Hex               `json:"curve25519_public"`
		Curve25519Private Hex               `json:"curve25519_private"`
		OneTimeKeys       int               `json:"one_time_keys"`
		OneTimeKeyPublics map[string]string `json:"one_time_key_publics"`
	} `json:"libolm_account_v4"`
}

// MustOlm returns olm.json, for package-level test variables.
func MustOlm() OlmFile { return mustFile[OlmFile]("olm.json") }

// Encrypted is an aes-hmac-sha2 encrypted secret.
type Encrypted struct {
	IV         string `json:"iv"`
	Ciphertext string `json:"ciphertext"`
	MAC        string `json:"mac"`
}

// SSSSKey is a secret storage key of ssss.json with its description.
type SSSSKey struct {
	KeyID           string          `json:"key_id"`
	KeyInfo         json.RawMessage `json:"key_info"`
	Passphrase      string          `json:"passphrase_text"`
	WrongPassphrase string          `json:"wrong_passphrase_text"`
	RecoveryKey     string          `json:"recovery_key"`
	Text            string          `json:"text"` // recovery key text (rust_sdk)
	LongIV          string          `json:"long_iv"`
}

// SSSSFile is ssss.json.
type SSSSFile struct {
	Mautrix struct {
		Key1, Key2   SSSSKey
		MasterSecret struct {
			Name      string    `json:"name"`
			Encrypted Encrypted `json:"encrypted"`
			Seed      Hex       `json:"seed"`
		} `json:"master_secret"`
	} `json:"mautrix_keys"`
	Utils struct {
		RecoveryKey string `json:"recovery_key"`
		KeyB64      string `json:"key_b64"`
		Secret      struct {
			RecoveryKey string    `json:"recovery_key"`
			Name        string    `json:"name"`
			Encrypted   Encrypted `json:"encrypted"`
			Plaintext   string    `json:"plaintext_text"`
		} `json:"secret"`
	} `json:"mautrix_utils"`
	Rust struct {
		PassphraseKey SSSSKey `json:"passphrase_key"`
		RecoveryKey   SSSSKey `json:"recovery_key"`
		Whitespace    struct {
			Text string `json:"text"`
			Key  Hex    `json:"key"`
		} `json:"whitespace"`
		BadRecoveryKeys []struct {
			Text  string `json:"text"`
			Error string `json:"error"`
		} `json:"bad_recovery_keys"`
		EncryptedFields struct {
			IV    Hex    `json:"iv"`
			MAC   Hex    `json:"mac"`
			BadIV string `json:"bad_iv"`
		} `json:"encrypted_fields"`
	} `json:"rust_sdk"`
	RustIntegration struct {
		Secrets []struct {
			Name      string    `json:"name"`
			Encrypted Encrypted `json:"encrypted"`
			Published string    `json:"published_public_key"`
		} `json:"secrets"`
		MasterSecret string `json:"master_secret_text"`
	} `json:"rust_sdk_integration"`
	JSSDKAESBackup struct {
		ZeroKeyCheck struct {
			IV  string `json:"iv"`
			MAC string `json:"mac"`
		} `json:"zero_key_check"`
		Key       string    `json:"key"` // in x25519.json
		Name      string    `json:"name"`
		Encrypted Encrypted `json:"encrypted"`
	} `json:"jssdk_aes_backup"`
}

// MustSSSS returns ssss.json, for package-level test variables.
func MustSSSS() SSSSFile { return mustFile[SSSSFile]("ssss.json") }
