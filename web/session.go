//go:build js && wasm

package main

import "syscall/js"

// session is what survives a reload: the login and where its keys are.
// The key store is encrypted under storeKey; keeping that key in
// localStorage beside the IndexedDB store protects against nothing on this
// origin, but it keeps the encrypted store useless on its own (a copied
// profile backup, an IndexedDB dump) and lets sign-out destroy both.
type session struct {
	Homeserver, UserID, DeviceID, AccessToken, Store, DBName, StoreKeyHex string
}

// The page reads and writes JSON with the browser's JSON (encoding/json
// would add its reflection to the page's wasm).
func (s *session) fields() map[string]*string {
	return map[string]*string{"homeserver": &s.Homeserver, "userId": &s.UserID, "deviceId": &s.DeviceID,
		"accessToken": &s.AccessToken, "store": &s.Store, "dbName": &s.DBName, "storeKey": &s.StoreKeyHex}
}

const sessionKey = "mxcrypto-page-session"

func storage() js.Value { return js.Global().Get("localStorage") }

func loadSession() *session {
	v := storage().Call("getItem", sessionKey)
	if v.Type() != js.TypeString {
		return nil
	}
	obj := parseJSON(v.String())
	if obj.Type() != js.TypeObject {
		return nil
	}
	var s session
	for k, f := range s.fields() {
		*f = str(obj.Get(k))
	}
	if s.AccessToken == "" || len(s.StoreKeyHex) != 64 {
		return nil
	}
	return &s
}

func saveSession(s *session) {
	obj := map[string]any{}
	for k, f := range s.fields() {
		obj[k] = *f
	}
	storage().Call("setItem", sessionKey, js.Global().Get("JSON").Call("stringify", obj))
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
