//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"
)

// devicePanel: this device's ids and keys, what the server holds of its
// one-time keys, its fallback keys (current and retained) and the store's
// room key counts.
type devicePanel struct {
	a    *app
	root dom.Element
	body dom.Element

	mu      sync.Mutex
	pending bool
}

func newDevicePanel(a *app) *devicePanel {
	p := &devicePanel{a: a}
	refresh := el("button", attrs{"type": "button", "id": "device-refresh"}, "Refresh")
	onEvent(refresh, "click", func(dom.Event) { p.refresh() })
	p.body = el("div", attrs{"id": "device-body"}, "Loading…")
	p.root = el("section", attrs{"class": "panel", "aria-labelledby": "device-title", "id": "device-panel"},
		el("h2", attrs{"id": "device-title"}, "This device"), p.body, refresh)
	return p
}

// refreshSoon coalesces the refreshes that syncs ask for.
func (p *devicePanel) refreshSoon() {
	p.mu.Lock()
	if p.pending {
		p.mu.Unlock()
		return
	}
	p.pending = true
	p.mu.Unlock()
	time.Sleep(time.Second)
	p.mu.Lock()
	p.pending = false
	p.mu.Unlock()
	p.refresh()
}

func (p *devicePanel) refresh() {
	c := p.a.client
	if !c.Truthy() {
		return
	}
	device := c.Get("machine").Get("device")
	ik := c.Get("identityKeys")
	otk := "?"
	if r, err := call(c, "request", "POST", "/_matrix/client/v3/keys/upload", map[string]any{}); err == nil {
		n := 0
		for _, k := range keys(r.Get("one_time_key_counts")) {
			n += r.Get("one_time_key_counts").Get(k).Int()
		}
		otk = itoa(n)
	}
	counts, cerr := call(device, "roomKeyCounts")
	fb, ferr := call(device, "fallbackKeyStatus")

	dl := el("dl", attrs{"class": "facts"},
		el("dt", nil, "Device ID"), el("dd", attrs{"id": "device-id"}, str(c.Get("deviceId"))),
		el("dt", nil, "Identity key (Curve25519)"), el("dd", attrs{"class": "key"}, fingerprint(str(ik.Get("curve25519")))),
		el("dt", nil, "Signing key (Ed25519)"), el("dd", attrs{"class": "key", "id": "device-ed25519"}, fingerprint(str(ik.Get("ed25519")))),
		el("dt", nil, "One-time keys on the server"), el("dd", attrs{"id": "otk-count"}, otk))
	if cerr == nil {
		dl.AppendChild(el("dt", nil, "Room keys in the store"))
		dl.AppendChild(el("dd", attrs{"id": "store-total"}, itoa(counts.Get("total").Int())))
		dl.AppendChild(el("dt", nil, "Of which backed up"))
		dl.AppendChild(el("dd", attrs{"id": "store-backed-up"}, itoa(counts.Get("backedUp").Int())))
	}
	var table dom.Element
	if ferr != nil {
		table = el("p", nil, "Fallback keys: "+ferr.Error())
	} else {
		table = fallbackTable(list(fb))
	}
	clearEl(p.body)
	p.body.AppendChild(dl)
	p.body.AppendChild(table)
}

// fallbackTable: one row per fallback key the device holds.
func fallbackTable(keys []js.Value) dom.Element {
	t := el("table", attrs{"id": "fallback-keys"},
		el("caption", nil, "Fallback keys"),
		el("thead", nil, el("tr", nil,
			el("th", attrs{"scope": "col"}, "Key"), el("th", attrs{"scope": "col"}, "State"),
			el("th", attrs{"scope": "col"}, "Created"), el("th", attrs{"scope": "col"}, "Published"),
			el("th", attrs{"scope": "col"}, "Replaced"), el("th", attrs{"scope": "col"}, "Used"),
			el("th", attrs{"scope": "col"}, "Forgotten"))))
	body := el("tbody", nil)
	if len(keys) == 0 {
		body.AppendChild(el("tr", nil, el("td", attrs{"colspan": "7"}, "None yet")))
	}
	for _, k := range keys {
		state, forget := "retained", localTime(num(k.Get("forgetAt")))
		if k.Get("current").Truthy() {
			state, forget = "current", "not while current"
		} else if k.Get("keptUntilNextRotation").Truthy() {
			forget = "after " + forget + ", at the next rotation"
		} else {
			forget = "after " + forget
		}
		pk := str(k.Get("publicKey"))
		if len(pk) > 8 {
			pk = pk[:8] + "…"
		}
		body.AppendChild(el("tr", attrs{"class": state},
			el("td", attrs{"class": "key"}, pk), el("td", nil, state),
			el("td", nil, localTime(num(k.Get("created")))), el("td", nil, localTime(num(k.Get("published")))),
			el("td", nil, localTime(num(k.Get("replaced")))), el("td", nil, localTime(num(k.Get("used")))),
			el("td", nil, forget)))
	}
	t.AppendChild(body)
	return t
}
