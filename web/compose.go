//go:build js && wasm

package main

import (
	"strings"

	"honnef.co/go/js/dom/v2"
)

// composer: the message box of the open room (Enter sends; the message is
// encrypted, the room key going to members' devices first).
type composer struct {
	a      *app
	form   dom.Element
	input  dom.Element
	button dom.Element
}

func newComposer(a *app) *composer {
	c := &composer{a: a}
	c.input = el("input", attrs{"type": "text", "autocomplete": "off", "placeholder": "Write an encrypted message"})
	c.button = el("button", attrs{"type": "submit"}, "Send")
	c.form = el("form", attrs{"class": "compose", "aria-label": "Send a message"},
		el("label", attrs{"for": "compose-input", "class": "visually-hidden"}, "Message"), c.input, c.button)
	c.input.SetAttribute("id", "compose-input")
	c.enable(false)
	onEvent(c.form, "submit", func(dom.Event) { c.send() })
	return c
}

func (c *composer) enable(on bool) {
	setDisabled(c.input, !on)
	setDisabled(c.button, !on)
}

func (c *composer) send() {
	text := strings.TrimSpace(value(c.input))
	c.a.rooms.mu.Lock()
	roomID := c.a.rooms.current
	c.a.rooms.mu.Unlock()
	if text == "" || roomID == "" {
		return
	}
	setDisabled(c.button, true)
	announce("Encrypting and sending…")
	_, err := call(c.a.client, "sendMessage", roomID, map[string]any{"msgtype": "m.text", "body": text})
	setDisabled(c.button, false)
	if err != nil {
		announce("Not sent: " + err.Error())
		return
	}
	setValue(c.input, "")
	c.input.Underlying().Call("focus")
	announce("Sent")
}
