package vectors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Data-driven tests pass vacuously on an empty table, so the size of each
// table is pinned here: a truncated or emptied file fails.
func TestTableSizes(t *testing.T) {
	if n := len(X25519(t).Keys); n != 2 {
		t.Errorf("x25519.json: %d keys", n)
	}
	b := Backup(t)
	if len(b.SessionData) != 5 || len(b.RecoveryKeys) != 1 || len(b.KeyBase64) != 1 || b.KeyExport.File == "" || b.PKEncryption.Message.MAC == "" {
		t.Errorf("backup.json: %d session_data, %d recovery keys", len(b.SessionData), len(b.RecoveryKeys))
	}
	if n := len(MustBase64().RFC4648.Cases); n != 7 {
		t.Errorf("base64.json: %d cases", n)
	}
	c := MustCanonicalJSON()
	if len(c.SpecAppendix.Cases) != 9 || len(c.Mautrix.Cases) != 6 {
		t.Errorf("canonicaljson.json: %d + %d cases", len(c.SpecAppendix.Cases), len(c.Mautrix.Cases))
	}
	s := MustSigning()
	if len(s.SpecAppendix.Cases) != 2 || len(s.JSSDK.Signed) != 5 || len(s.JSSDK.Keys) != 4 {
		t.Errorf("signing.json: %d + %d signed objects", len(s.SpecAppendix.Cases), len(s.JSSDK.Signed))
	}
	m := MustMegolm()
	if len(m.Ratchet.Steps) != 3 || m.GroupSession.Message == "" || m.MessageHeader.Length != 88 || m.LibolmPickles.Inbound == "" {
		t.Errorf("megolm.json: %d ratchet steps", len(m.Ratchet.Steps))
	}
	if key, id := m.ExportedSessionData(); key == "" || id == "" {
		t.Error("megolm.json: exported_session names no session in backup.json")
	}
	o := MustOlm()
	if len(o.WireLibolm.Encoded) != 35 || len(o.ReceivedSession.Garbage) != 4 || o.AccountV4.OneTimeKeys != 42 ||
		len(o.AccountV4.OneTimeKeyPublics) != 4 || o.SessionPickles.State.RootKey == nil || o.RealMessages.PreKeyFields.BaseKey == nil {
		t.Error("olm.json: a table is missing or short")
	}
	ss := MustSSSS()
	if len(ss.RustIntegration.Secrets) != 3 || len(ss.Rust.BadRecoveryKeys) != 4 || ss.Mautrix.Key1.KeyInfo == nil ||
		ss.JSSDKAESBackup.Encrypted.Ciphertext == "" || ss.Utils.Secret.Plaintext == "" {
		t.Error("ssss.json: a table is missing or short")
	}
	if v := RFC5869(t); v.Length != len(v.OKM) || len(v.PRK) != 32 {
		t.Errorf("hkdf.json: length %d, okm %d bytes", v.Length, len(v.OKM))
	}
}

// Every vector names where it was published: each top-level entry of every
// file (other than "about") holds a "source", or is a table whose entries
// each do.
func TestEverySourceIsNamed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(Dir(t), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector files: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if _, ok := top["about"]; !ok {
			t.Errorf("%s: no \"about\"", filepath.Base(file))
		}
		for name, v := range top {
			if name == "about" {
				continue
			}
			if !hasSource(v) {
				t.Errorf("%s: %s names no source", filepath.Base(file), name)
			}
		}
	}
}

func hasSource(v json.RawMessage) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil {
		if _, ok := obj["source"]; ok {
			return true
		}
		if len(obj) == 0 {
			return false
		}
		for _, child := range obj {
			if !hasSource(child) {
				return false
			}
		}
		return true
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil && len(list) > 0 {
		for _, child := range list {
			if !hasSource(child) {
				return false
			}
		}
		return true
	}
	return false
}
