//go:build js && wasm

package main

import (
	"encoding/json"
	"syscall/js"
)

// session is what survives a reload: the login and where its keys are.
// The key store is encrypted under storeKey; keeping that key in
// localStorage beside the IndexedDB store protects against nothing on this
// origin, but it keeps the encrypted store useless on its own (a copied
// profile backup, an IndexedDB dump) and lets sign-out destroy both.
type session struct {
	Homeserver  string `json:"homeserver"`
	UserID      string `json:"userId"`
	DeviceID    string `json:"deviceId"`
	AccessToken string `json:"accessToken"`
	Store       string `json:"store"`
	DBName      string `json:"dbName"`
	StoreKeyHex string `json:"storeKey"`
}

const sessionKey = "mxcrypto-page-session"

func storage() js.Value { return js.Global().Get("localStorage") }

func loadSession() *session {
	v := storage().Call("getItem", sessionKey)
	if v.Type() != js.TypeString {
		return nil
	}
	var s session
	if json.Unmarshal([]byte(v.String()), &s) != nil || s.AccessToken == "" || len(s.StoreKeyHex) != 64 {
		return nil
	}
	return &s
}

func saveSession(s *session) {
	b, _ := json.Marshal(s)
	storage().Call("setItem", sessionKey, string(b))
}

func forgetSession() { storage().Call("removeItem", sessionKey) }

// connectOptions are mx.connect's options for this session (a password
// login when password is set, else the saved token).
func (s *session) connectOptions(user, password string) map[string]any {
	o := map[string]any{
		"homeserverUrl":     s.Homeserver,
		"store":             s.Store,
		"backend":           "indexeddb",
		"dbName":            s.DBName,
		"storeKey":          fromHex(s.StoreKeyHex),
		"deviceDisplayName": "mxcrypto web page",
		"syncTimeoutMs":     20000,
	}
	if password != "" {
		o["user"] = user
		o["password"] = password
	} else {
		o["accessToken"] = s.AccessToken
	}
	return o
}
