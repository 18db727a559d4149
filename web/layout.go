//go:build js && wasm

package main

import (
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"
)

// showMain lays out the signed-in page and wires the client's events to
// its parts.
func (a *app) showMain() {
	root := doc.GetElementByID("app")
	clearEl(root)
	signOut := el("button", attrs{"type": "button", "id": "sign-out"}, "Sign out")
	onEvent(signOut, "click", func(dom.Event) { a.signOut() })
	header := el("header", attrs{"class": "top"},
		el("h1", nil, "mxcrypto"),
		el("span", attrs{"id": "whoami"}, a.session.UserID+" · device "+a.session.DeviceID),
		signOut)

	a.rooms = newRoomsView(a)
	a.compose = newComposer(a)
	a.device = newDevicePanel(a)
	a.backup = newBackupPanel(a)
	main := el("main", attrs{"class": "layout"},
		el("nav", attrs{"class": "rooms", "aria-labelledby": "rooms-title"}, el("h2", attrs{"id": "rooms-title"}, "Rooms"), a.rooms.list),
		el("section", attrs{"class": "room", "aria-labelledby": "room-title"}, a.rooms.title, a.rooms.timeline, a.compose.form),
		el("aside", attrs{"class": "side"}, a.device.root, a.backup.root))
	root.AppendChild(header)
	root.AppendChild(main)

	on(a.client, "event", a.rooms.onEvent)
	on(a.client, "sync", func(js.Value) { a.rooms.refresh(); a.device.refreshSoon() })
	on(a.client, "invite", func(v js.Value) {
		// The demo invites its users; joining is what a person would do first.
		if _, err := call(a.client, "join", v.Get("roomId")); err == nil {
			announce("Joined a room you were invited to")
		}
	})
	// Which room keys came from the backup, recorded before the client
	// retries their events (it emits this first; handlers run later).
	a.client.Call("on", "roomKeyReceived", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if v := arg(args, 0); str(v.Get("source")) == "backup" {
			a.fromBackup.Store(str(v.Get("sessionId")), true)
		}
		return nil
	}))
	on(a.client, "error", func(v js.Value) { announce("Sync: " + jsErr(v).Error()) })
	go a.rooms.start()
	a.device.refresh()
	a.backup.refresh()
	announce("Signed in as " + a.session.UserID)
	go func() {
		for a.client.Truthy() {
			time.Sleep(5 * time.Second)
			a.device.refresh()
			a.backup.refreshProgress()
		}
	}()
}
