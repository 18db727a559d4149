//go:build js && wasm

package main

import (
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// entry is one timeline line: a decrypted message with the sender's
// device, or why it could not be decrypted (and later when that was fixed).
type entry struct {
	roomID, eventID, sender string
	ts                      float64
	raw                     js.Value
	encrypted               bool

	body         string
	senderDevice string
	errCode      string
	errDetail    string
	fixedBy      string
	fixedAt      float64

	li dom.Element
}

func eventFromRaw(roomID string, ev js.Value) *entry {
	e := &entry{roomID: roomID, eventID: str(ev.Get("event_id")), sender: str(ev.Get("sender")), ts: num(ev.Get("origin_server_ts")), raw: ev}
	e.encrypted = str(ev.Get("type")) == "m.room.encrypted"
	if !e.encrypted {
		e.body = str(ev.Get("content").Get("body"))
	}
	return e
}

func eventFromClient(ev js.Value) *entry {
	raw := ev.Get("raw")
	e := eventFromRaw(str(ev.Get("roomId")), raw)
	e.encrypted = ev.Get("encrypted").Truthy()
	if errv := ev.Get("error"); isSet(errv) {
		e.errCode = str(errv.Get("code"))
		e.errDetail = str(errv.Get("withheldCode"))
		return e
	}
	e.body = str(ev.Get("content").Get("body"))
	e.senderDevice = deviceLabel(ev.Get("senderDevice"))
	return e
}

func deviceLabel(d js.Value) string {
	if !isSet(d) {
		return "device not known yet"
	}
	s := "device " + str(d.Get("deviceId"))
	if n := str(d.Get("displayName")); n != "" {
		s += " (" + n + ")"
	}
	return s
}

// setDecrypted fills e from Machine.decryptRoomEvent's answer or error.
func (e *entry) setDecrypted(d js.Value, err error) {
	if err != nil {
		e.errCode = codeOf(err)
		if m, ok := err.(*mxError); ok {
			e.errDetail = m.Withheld
		}
		if e.errCode == "" {
			e.errCode = "INTERNAL"
		}
		return
	}
	e.errCode = ""
	e.body = str(d.Get("content").Get("body"))
	e.senderDevice = deviceLabel(d.Get("senderDevice"))
}

// reason says in words why an event is not readable.
func reason(code, withheld string) string {
	switch code {
	case "UNKNOWN_SESSION":
		return "Waiting for the key: the sender's device has not sent it to this device yet (it may come later, or from the backup)."
	case "UNKNOWN_MESSAGE_INDEX":
		return "The key this device holds starts after this message (it was sent before this device got the key)."
	case "WITHHELD":
		switch withheld {
		case "m.no_olm":
			return "Not sent to this device: the sender could not set up a secure channel to it (m.no_olm)."
		case "m.unverified":
			return "Withheld: the sender only shares keys with verified devices (m.unverified)."
		case "m.blacklisted":
			return "Withheld: the sender blocked this device (m.blacklisted)."
		case "m.unavailable":
			return "Not available: the device asked had no copy of the key (m.unavailable)."
		}
		return "Withheld by the sender (" + withheld + ")."
	case "MISMATCHED_SENDER":
		return "Refused: the key came from a device that is not the sender's."
	case "REPLAYED_MESSAGE":
		return "Refused: this message was replayed under another event id."
	}
	return "Could not decrypt (" + code + ")."
}

func (e *entry) render() {
	e.li = el("li", attrs{"class": "event", "data-event": e.eventID})
	e.fill()
}

func (e *entry) fill() {
	clearEl(e.li)
	meta := e.sender + " · " + shortTime(e.ts)
	if e.errCode != "" {
		e.li.SetAttribute("class", "event undecryptable")
		e.li.SetAttribute("data-error", e.errCode)
		e.li.AppendChild(el("div", attrs{"class": "meta"}, meta))
		e.li.AppendChild(el("div", attrs{"class": "reason"}, "Not decrypted: "+reason(e.errCode, e.errDetail)))
		return
	}
	e.li.RemoveAttribute("data-error")
	class := "event"
	lock := ""
	if e.encrypted {
		class += " encrypted"
		lock = "encrypted · " + e.senderDevice
	} else {
		lock = "not encrypted"
	}
	e.li.SetAttribute("class", class)
	e.li.AppendChild(el("div", attrs{"class": "meta"}, meta+" · "+lock))
	e.li.AppendChild(el("div", attrs{"class": "body"}, e.body))
	if e.fixedBy != "" {
		e.li.AppendChild(el("div", attrs{"class": "fixed"}, "Fixed at "+shortTime(e.fixedAt)+": "+e.fixedBy))
	}
}

// fix turns an undecryptable entry into the decrypted one n.
func (e *entry) fix(n *entry, by string) {
	e.errCode, e.errDetail = "", ""
	e.body, e.senderDevice = n.body, n.senderDevice
	e.fixedBy, e.fixedAt = by, nowMs()
	e.fill()
}
