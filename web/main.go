//go:build js && wasm

package main

import (
	"sync"
	"sync/atomic"
	"syscall/js"
)

// app is the page's state: the mxcrypto API, the signed-in client and the
// parts of the page that follow it.
type app struct {
	mx      js.Value
	config  config
	session *session
	client  js.Value
	release func() // the tab lock

	// fromBackup: session ids whose key a restore or a backup fetch brought;
	// restoring: a restore is running (its keys fix events too).
	fromBackup sync.Map
	restoring  atomic.Bool

	rooms   *roomsView
	device  *devicePanel
	backup  *backupPanel
	compose *composer
}

// config is /config.json, written by scripts/serve.mjs.
type config struct {
	HomeserverURL string
}

func main() {
	a := &app{}
	root := doc.GetElementByID("app")
	setText(root, "Loading mxcrypto…")
	go func() {
		if r, err := await(js.Global().Call("fetch", "config.json")); err == nil && r.Get("ok").Bool() {
			if c, err := call(r, "json"); err == nil && c.Type() == js.TypeObject {
				a.config.HomeserverURL = str(c.Get("homeserverUrl"))
			}
		}
		mx, err := await(js.Global().Call("mxcryptoInit"))
		if err != nil {
			setText(root, "mxcrypto did not load: "+err.Error())
			return
		}
		a.mx = mx
		if s := loadSession(); s != nil {
			a.resume(s)
			return
		}
		a.showSignIn("")
	}()
	select {}
}
