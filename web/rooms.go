//go:build js && wasm

package main

import (
	"sort"
	"sync"
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// roomsView: the joined encrypted rooms and the open room's timeline.
type roomsView struct {
	a        *app
	list     dom.Element // ul of room buttons
	title    dom.Element
	timeline dom.Element // ol, role=log

	mu      sync.Mutex
	rooms   map[string]*room
	checked map[string]bool // rooms whose encryption was asked
	current string
}

type room struct {
	id, name  string
	button    dom.Element
	entries   map[string]*entry
	order     []*entry
	history   bool // /messages read once
	encrypted bool
}

func newRoomsView(a *app) *roomsView {
	return &roomsView{
		a:        a,
		list:     el("ul", attrs{"id": "room-list"}),
		title:    el("h2", attrs{"id": "room-title"}, "No room open"),
		timeline: el("ol", attrs{"id": "timeline", "role": "log", "aria-live": "polite", "aria-label": "Messages", "tabindex": "0"}),
		rooms:    map[string]*room{},
	}
}

// refresh looks at the rooms the client saw in /sync. After a reload the
// sync resumes from its token, so a room without news is not among them:
// start() lists the joined rooms from the server once.
func (v *roomsView) refresh() {
	for _, r := range list(v.a.client.Get("rooms").Call("values")) {
		v.consider(r.Get("roomId").String())
	}
}

// start adds the joined encrypted rooms the server lists.
func (v *roomsView) start() {
	res, err := call(v.a.client, "request", "GET", "/_matrix/client/v3/joined_rooms")
	if err != nil {
		announce("Could not list your rooms: " + err.Error())
		return
	}
	for _, id := range list(res.Get("joined_rooms")) {
		v.consider(id.String())
	}
}

// consider adds a room if it is encrypted (asked once per room: the
// client's own flag is only known once /sync carried the room's state), and
// opens it when no room is open yet.
func (v *roomsView) consider(id string) {
	v.mu.Lock()
	if v.checked == nil {
		v.checked = map[string]bool{}
	}
	_, known := v.rooms[id]
	seen := v.checked[id]
	v.checked[id] = true
	v.mu.Unlock()
	if !known && !seen {
		if _, err := call(v.a.client, "request", "GET", "/_matrix/client/v3/rooms/"+encodeURIComponent(id)+"/state/m.room.encryption/"); err != nil {
			return // not encrypted (404), or not readable
		}
		v.mu.Lock()
		_, known = v.rooms[id]
		if !known {
			v.addRoom(id)
		}
		v.mu.Unlock()
		if !known {
			go v.loadName(id)
		}
	}
	v.mu.Lock()
	_, known = v.rooms[id]
	open := known && v.current == ""
	v.mu.Unlock()
	if open {
		v.open(id)
	}
}

// addRoom: v.mu held.
func (v *roomsView) addRoom(id string) *room {
	r := &room{id: id, name: id, entries: map[string]*entry{}, encrypted: true}
	r.button = el("button", attrs{"type": "button", "class": "room-button", "data-room": id}, id)
	onEvent(r.button, "click", func(dom.Event) { v.open(id) })
	v.list.AppendChild(el("li", nil, r.button))
	v.rooms[id] = r
	return r
}

func (v *roomsView) loadName(id string) {
	res, err := call(v.a.client, "request", "GET", "/_matrix/client/v3/rooms/"+encodeURIComponent(id)+"/state/m.room.name/")
	if err != nil || str(res.Get("name")) == "" {
		return
	}
	v.mu.Lock()
	r := v.rooms[id]
	r.name = res.Get("name").String()
	setText(r.button, r.name)
	cur := v.current == id
	v.mu.Unlock()
	if cur {
		setText(v.title, r.name)
	}
}

// open shows a room's timeline and fills it with its recent history (the
// live events only cover what arrives after this page started).
func (v *roomsView) open(id string) {
	v.mu.Lock()
	r := v.rooms[id]
	if r == nil {
		v.mu.Unlock()
		return
	}
	if cur := v.rooms[v.current]; cur != nil {
		cur.button.RemoveAttribute("aria-current")
	}
	v.current = id
	r.button.SetAttribute("aria-current", "true")
	setText(v.title, r.name)
	clearEl(v.timeline)
	for _, e := range r.order {
		v.timeline.AppendChild(e.li)
	}
	load := !r.history
	r.history = true
	v.mu.Unlock()
	v.a.compose.enable(true)
	if load {
		v.loadHistory(id)
	}
}

func (v *roomsView) loadHistory(id string) {
	res, err := call(v.a.client, "request", "GET", "/_matrix/client/v3/rooms/"+encodeURIComponent(id)+"/messages?dir=b&limit=50")
	if err != nil {
		announce("Could not load the room's history: " + err.Error())
		return
	}
	machine := v.a.client.Get("machine")
	for _, ev := range list(res.Get("chunk")) {
		if str(ev.Get("type")) != "m.room.encrypted" && str(ev.Get("type")) != "m.room.message" {
			continue
		}
		e := eventFromRaw(id, ev)
		if e.encrypted {
			d, err := call(machine, "decryptRoomEvent", id, ev)
			e.setDecrypted(d, err)
		}
		v.upsert(e, "")
	}
}

// onEvent: a room event from the client (live, or retried once its key came).
func (v *roomsView) onEvent(ev js.Value) {
	t := str(ev.Get("type"))
	if t != "m.room.message" && t != "m.room.encrypted" {
		return
	}
	e := eventFromClient(ev)
	fixed := ""
	if ev.Get("retried").Truthy() && e.errCode == "" {
		fixed = "key arrived"
		if _, ok := v.a.fromBackup.Load(str(e.raw.Get("content").Get("session_id"))); ok || v.a.restoring.Load() {
			fixed = "restored from backup"
		}
	}
	v.upsert(e, fixed)
}

// upsert adds an event or updates the one with its id (a fix replaces an
// error; a later error never replaces a decrypted event).
func (v *roomsView) upsert(e *entry, fixedBy string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.rooms[e.roomID]
	if r == nil {
		r = v.addRoom(e.roomID)
		go v.loadName(e.roomID)
	}
	if old := r.entries[e.eventID]; old != nil {
		if old.errCode != "" && e.errCode == "" {
			if fixedBy == "" {
				fixedBy = "key arrived"
			}
			old.fix(e, fixedBy)
		}
		return
	}
	e.render()
	r.entries[e.eventID] = e
	i := sort.Search(len(r.order), func(i int) bool { return r.order[i].ts > e.ts })
	r.order = append(r.order, nil)
	copy(r.order[i+1:], r.order[i:])
	r.order[i] = e
	if v.current == e.roomID {
		if i+1 < len(r.order) {
			v.timeline.InsertBefore(e.li, r.order[i+1].li)
		} else {
			v.timeline.AppendChild(e.li)
		}
	}
}

// retryFailed decrypts again every event that failed (after a restore).
func (v *roomsView) retryFailed(fixedBy string) {
	v.mu.Lock()
	var failed []*entry
	for _, r := range v.rooms {
		for _, e := range r.order {
			if e.errCode != "" {
				failed = append(failed, e)
			}
		}
	}
	v.mu.Unlock()
	machine := v.a.client.Get("machine")
	for _, e := range failed {
		d, err := call(machine, "decryptRoomEvent", e.roomID, e.raw)
		if err != nil {
			continue
		}
		n := &entry{roomID: e.roomID, eventID: e.eventID, sender: e.sender, ts: e.ts, raw: e.raw, encrypted: true}
		n.setDecrypted(d, nil)
		v.upsert(n, fixedBy)
	}
}
