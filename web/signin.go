//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// showSignIn is the sign-in form: homeserver (default: the one npm start
// runs, behind the backup proxy), username, password.
func (a *app) showSignIn(msg string) {
	root := doc.GetElementByID("app")
	clearEl(root)
	hs := el("input", attrs{"type": "url", "name": "homeserver", "required": "", "autocomplete": "url"})
	setValue(hs, a.config.HomeserverURL)
	user := el("input", attrs{"type": "text", "name": "username", "required": "", "autocomplete": "username"})
	pass := el("input", attrs{"type": "password", "name": "password", "required": "", "autocomplete": "current-password"})
	button := el("button", attrs{"type": "submit"}, "Sign in")
	errLine := el("p", attrs{"id": "signin-error", "role": "alert"}, msg)
	form := el("form", attrs{"class": "signin", "aria-labelledby": "signin-title"},
		el("h2", attrs{"id": "signin-title"}, "Sign in"),
		labelled("hs", "Homeserver", hs),
		labelled("username", "Username", user),
		labelled("password", "Password", pass),
		button, errLine)
	root.AppendChild(form)
	user.Underlying().Call("focus")
	onEvent(form, "submit", func(_ dom.Event) {
		setDisabled(button, true)
		setText(errLine, "")
		announce("Signing in…")
		err := a.signIn(strings.TrimRight(strings.TrimSpace(value(hs)), "/"), strings.TrimSpace(value(user)), value(pass))
		if err != nil {
			setDisabled(button, false)
			setText(errLine, signInError(err))
			announce("Sign-in failed")
		}
	})
}

func signInError(err error) string {
	var e *mxError
	if m, ok := err.(*mxError); ok {
		e = m
	}
	if e != nil && e.Code == "HOMESERVER_ERROR" && strings.Contains(e.Message, "403") {
		return "Wrong username or password."
	}
	return "Could not sign in: " + err.Error()
}

// signIn logs in with a new device whose keys go to a new encrypted store.
func (a *app) signIn(hs, user, password string) error {
	id := toHex(randomBytes(8))
	s := &session{Homeserver: hs, Store: "page-" + id, DBName: "mxcrypto-page-" + id, StoreKeyHex: toHex(randomBytes(32))}
	release := tabLock("mxcrypto-page-"+s.Store, func() {})
	client, err := await(a.mx.Call("connect", s.connectOptions(user, password)))
	if err != nil {
		release()
		js.Global().Get("indexedDB").Call("deleteDatabase", s.DBName)
		return err
	}
	s.UserID, s.DeviceID, s.AccessToken = client.Get("userId").String(), client.Get("deviceId").String(), client.Get("accessToken").String()
	saveSession(s)
	a.session, a.client, a.release = s, client, release
	a.showMain()
	return nil
}

// resume reopens a saved session after a reload (the same device and keys).
func (a *app) resume(s *session) {
	root := doc.GetElementByID("app")
	a.session = s
	a.release = tabLock("mxcrypto-page-"+s.Store, func() {
		clearEl(root)
		root.AppendChild(el("p", attrs{"id": "tab-wait", "role": "status", "class": "wait"},
			"This account is open in another tab of this browser. Only one tab at a time runs it, so that no message or key is handled twice; this tab takes over as soon as the other one is closed."))
		announce("Waiting for the other tab")
	})
	setText(root, "Connecting as "+s.UserID+"…")
	client, err := await(a.mx.Call("connect", s.connectOptions("", "")))
	if err != nil {
		a.release()
		if codeOf(err) == "HOMESERVER_ERROR" && strings.Contains(err.Error(), "401") {
			a.wipe()
			a.showSignIn("Your session ended on the server; sign in again.")
			return
		}
		a.showSignIn("Could not reconnect: " + err.Error())
		return
	}
	a.client = client
	a.showMain()
}

// signOut logs the device out and wipes its key store.
func (a *app) signOut() {
	announce("Signing out…")
	_, _ = call(a.client, "request", "POST", "/_matrix/client/v3/logout", map[string]any{})
	_, _ = call(a.client, "close")
	a.wipe()
	a.release()
	a.client = js.Undefined()
	a.showSignIn("Signed out; this device's keys were deleted from the browser.")
}

func (a *app) wipe() {
	if a.session != nil {
		js.Global().Get("indexedDB").Call("deleteDatabase", a.session.DBName)
	}
	forgetSession()
	a.session = nil
}
