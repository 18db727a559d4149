//go:build js && wasm

package main

import (
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// Small element builders: the page is built from code, never from HTML
// strings, so text from the server is always text (no injection).

var doc = dom.GetWindow().Document()

// attrs sets attributes; children are elements or strings (text nodes).
type attrs map[string]string

func el(tag string, a attrs, children ...any) dom.Element {
	e := doc.CreateElement(tag)
	for k, v := range a {
		e.SetAttribute(k, v)
	}
	for _, c := range children {
		appendChild(e, c)
	}
	return e
}

func appendChild(parent dom.Element, c any) {
	switch c := c.(type) {
	case nil:
	case string:
		parent.AppendChild(doc.CreateTextNode(c))
	case dom.Node:
		parent.AppendChild(c)
	}
}

func clearEl(e dom.Element) {
	for e.FirstChild() != nil {
		e.RemoveChild(e.FirstChild())
	}
}

func setText(e dom.Element, s string) { e.SetTextContent(s) }

// onClick runs fn on a goroutine (it may await) when e is activated.
func onEvent(e dom.Element, typ string, fn func(dom.Event)) {
	e.AddEventListener(typ, false, func(ev dom.Event) {
		if typ == "submit" {
			ev.PreventDefault()
		}
		go fn(ev)
	})
}

func value(e dom.Element) string { return e.Underlying().Get("value").String() }

func setValue(e dom.Element, s string) { e.Underlying().Set("value", s) }

func setDisabled(e dom.Element, disabled bool) { e.Underlying().Set("disabled", disabled) }

// labelled is a label and its input, tied by id (every control is labelled).
func labelled(id, label string, input dom.Element) dom.Element {
	input.SetAttribute("id", id)
	return el("div", attrs{"class": "field"}, el("label", attrs{"for": id}, label), input)
}

// localTime formats a JS time in ms in the reader's locale and time zone.
func localTime(ms float64) string {
	if ms == 0 {
		return "—"
	}
	d := js.Global().Get("Date").New(ms)
	if d.Call("toDateString").String() == js.Global().Get("Date").New().Call("toDateString").String() {
		return d.Call("toLocaleTimeString").String() // today: the time is enough
	}
	return d.Call("toLocaleString", js.Undefined(), map[string]any{"dateStyle": "short", "timeStyle": "short"}).String()
}

func shortTime(ms float64) string {
	return js.Global().Get("Date").New(ms).Call("toLocaleTimeString").String()
}

func nowMs() float64 { return js.Global().Get("Date").Call("now").Float() }

// announce puts a message in the page's polite live region (screen readers
// read it) and in the status line.
func announce(msg string) {
	if e := doc.GetElementByID("status"); e != nil {
		setText(e, msg)
	}
}

// fingerprint writes a base64 key in groups of four, as people compare them.
func fingerprint(key string) string {
	out := make([]byte, 0, len(key)+len(key)/4)
	for i := 0; i < len(key); i++ {
		if i > 0 && i%4 == 0 {
			out = append(out, ' ')
		}
		out = append(out, key[i])
	}
	return string(out)
}
