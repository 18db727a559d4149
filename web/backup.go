//go:build js && wasm

package main

import (
	"sort"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// backupPanel: secure backup set-up (the recovery key shown once, with
// copy and download), upload progress, and restore with progress.
type backupPanel struct {
	a    *app
	root dom.Element

	serverLine dom.Element
	setupPass  dom.Element
	setupBtn   dom.Element
	keyBox     dom.Element // the recovery key, shown once

	upload     dom.Element // progress element
	uploadText dom.Element

	restoreIn   dom.Element
	restoreBtn  dom.Element
	restoreBar  dom.Element
	restoreText dom.Element
	summary     dom.Element
}

func newBackupPanel(a *app) *backupPanel {
	p := &backupPanel{a: a}
	p.serverLine = el("p", attrs{"id": "backup-server"}, "Checking the server's backup…")
	p.setupPass = el("input", attrs{"type": "password", "autocomplete": "new-password", "aria-describedby": "setup-help"})
	p.setupBtn = el("button", attrs{"type": "submit"}, "Set up secure backup")
	setup := el("form", attrs{"id": "backup-setup", "aria-labelledby": "setup-title"},
		el("h3", attrs{"id": "setup-title"}, "Set up"),
		labelled("setup-passphrase", "Passphrase (optional)", p.setupPass),
		el("p", attrs{"id": "setup-help", "class": "help"}, "Leave empty to use only a recovery key. Either one restores your messages on a new device."),
		p.setupBtn)
	p.keyBox = el("div", attrs{"id": "recovery-key-box", "hidden": ""})
	onEvent(setup, "submit", func(dom.Event) { p.setup() })

	p.upload = el("progress", attrs{"id": "upload-progress", "max": "1", "value": "0", "aria-labelledby": "upload-text"})
	p.uploadText = el("p", attrs{"id": "upload-text", "aria-live": "polite"}, "")

	p.restoreIn = el("input", attrs{"type": "password", "autocomplete": "off", "aria-describedby": "restore-help"})
	p.restoreBtn = el("button", attrs{"type": "submit"}, "Restore")
	p.restoreBar = el("progress", attrs{"id": "restore-progress", "max": "1", "value": "0", "hidden": "", "aria-labelledby": "restore-text"})
	p.restoreText = el("p", attrs{"id": "restore-text", "role": "status", "aria-live": "polite"}, "")
	p.summary = el("div", attrs{"id": "restore-summary"})
	restore := el("form", attrs{"id": "backup-restore", "aria-labelledby": "restore-title"},
		el("h3", attrs{"id": "restore-title"}, "Restore"),
		labelled("restore-key", "Recovery key or passphrase", p.restoreIn),
		el("p", attrs{"id": "restore-help", "class": "help"}, "Restores the room keys of the server's backup into this device."),
		p.restoreBtn, p.restoreBar, p.restoreText, p.summary)
	onEvent(restore, "submit", func(dom.Event) { p.restore() })

	p.root = el("section", attrs{"class": "panel", "aria-labelledby": "backup-title", "id": "backup-panel"},
		el("h2", attrs{"id": "backup-title"}, "Secure backup"), p.serverLine, setup, p.keyBox, p.upload, p.uploadText, restore)
	return p
}

func (p *backupPanel) refresh() {
	r, err := call(p.a.client, "request", "GET", "/_matrix/client/v3/room_keys/version")
	// Upload progress means something only once there is a backup.
	for _, e := range []dom.Element{p.upload, p.uploadText} {
		if err == nil {
			e.RemoveAttribute("hidden")
		} else {
			e.SetAttribute("hidden", "")
		}
	}
	switch {
	case err == nil:
		setText(p.serverLine, "The server holds backup version "+str(r.Get("version"))+" ("+itoa(r.Get("count").Int())+" keys).")
	case strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "M_NOT_FOUND"):
		setText(p.serverLine, "No backup on the server yet.")
	default:
		setText(p.serverLine, "Could not read the server's backup: "+err.Error())
	}
	p.refreshProgress()
}

// refreshProgress shows how many of the store's room keys are uploaded.
func (p *backupPanel) refreshProgress() {
	if !p.a.client.Truthy() {
		return
	}
	c, err := call(p.a.client.Get("machine").Get("device"), "roomKeyCounts")
	if err != nil {
		return
	}
	total, done := c.Get("total").Int(), c.Get("backedUp").Int()
	p.upload.SetAttribute("max", itoa(max(total, 1)))
	p.upload.SetAttribute("value", itoa(done))
	setText(p.uploadText, itoa(done)+" of "+itoa(total)+" room keys backed up.")
}

func (p *backupPanel) setup() {
	setDisabled(p.setupBtn, true)
	defer setDisabled(p.setupBtn, false)
	announce("Setting up secure backup…")
	opts := map[string]any{}
	if pass := value(p.setupPass); pass != "" {
		opts["passphrase"] = pass
	}
	r, err := call(p.a.client.Get("backup"), "enable", opts)
	if err != nil {
		announce("Backup set-up failed: " + err.Error())
		return
	}
	setValue(p.setupPass, "")
	p.showKey(str(r.Get("recoveryKey")))
	announce("Secure backup is set up (version " + str(r.Get("version")) + "). Save your recovery key.")
	_, _ = call(p.a.client.Get("backup"), "flush")
	p.refresh()
	p.a.device.refresh()
}

// showKey shows the recovery key once, with copy and download.
func (p *backupPanel) showKey(key string) {
	clearEl(p.keyBox)
	copyBtn := el("button", attrs{"type": "button"}, "Copy")
	download := el("button", attrs{"type": "button"}, "Download")
	done := el("button", attrs{"type": "button"}, "I saved it")
	onEvent(copyBtn, "click", func(dom.Event) {
		if _, err := await(js.Global().Get("navigator").Get("clipboard").Call("writeText", key)); err != nil {
			announce("Could not copy: select the key and copy it yourself")
			return
		}
		announce("Recovery key copied")
	})
	onEvent(download, "click", func(dom.Event) {
		blob := js.Global().Get("Blob").New([]any{"mxcrypto recovery key for " + p.a.session.UserID + "\n" + key + "\n"}, map[string]any{"type": "text/plain"})
		url := js.Global().Get("URL").Call("createObjectURL", blob)
		a := el("a", attrs{"href": url.String(), "download": "recovery-key.txt"})
		a.Underlying().Call("click")
		js.Global().Get("URL").Call("revokeObjectURL", url)
	})
	onEvent(done, "click", func(dom.Event) {
		clearEl(p.keyBox)
		p.keyBox.SetAttribute("hidden", "")
	})
	p.keyBox.AppendChild(el("p", nil, "Your recovery key. It is shown only now: store it somewhere safe."))
	p.keyBox.AppendChild(el("output", attrs{"id": "recovery-key", "aria-label": "Recovery key"}, key))
	p.keyBox.AppendChild(el("div", attrs{"class": "row"}, copyBtn, download, done))
	p.keyBox.RemoveAttribute("hidden")
}

func (p *backupPanel) restore() {
	text := strings.TrimSpace(value(p.restoreIn))
	if text == "" {
		setText(p.restoreText, "Type your recovery key or passphrase.")
		return
	}
	setDisabled(p.restoreBtn, true)
	defer setDisabled(p.restoreBtn, false)
	clearEl(p.summary)
	p.restoreText.RemoveAttribute("data-error")
	p.restoreText.RemoveAttribute("data-seconds")
	p.restoreBar.RemoveAttribute("hidden")
	p.restoreBar.SetAttribute("value", "0")
	setText(p.restoreText, "Fetching the backup…")
	start := nowMs()
	lastAnnounced := 0.0
	progress := js.FuncOf(func(_ js.Value, a []js.Value) any {
		stage, done, total := str(arg(a, 0)), num(arg(a, 1)), num(arg(a, 2))
		p.restoreBar.SetAttribute("max", ftoa(max(total, 1), 0))
		p.restoreBar.SetAttribute("value", ftoa(done, 0))
		secs := (nowMs() - start) / 1000
		rate := 0.0
		if secs > 0 {
			rate = done / secs
		}
		left := "—"
		if rate > 0 && total > done {
			left = ftoa((total-done)/rate, 0) + " s"
		}
		name := map[string]string{"decrypt": "Decrypting", "store": "Storing"}[stage]
		if name == "" {
			name = stage
		}
		line := name + ": " + ftoa(done, 0) + " of " + ftoa(total, 0) + " keys · " + ftoa(rate, 0) + " keys/s · time left " + left
		// Screen readers get a line at most every 2 s (and the last one).
		if now := nowMs(); now-lastAnnounced > 2000 || done == total {
			lastAnnounced = now
			setText(p.restoreText, line)
		} else {
			p.restoreText.SetAttribute("data-line", line)
		}
		return nil
	})
	defer progress.Release()
	p.a.restoring.Store(true)
	r, err := call(p.a.client.Get("backup"), "restore", text, map[string]any{"onProgress": progress})
	p.a.restoring.Store(false)
	if err != nil {
		p.restoreBar.SetAttribute("hidden", "")
		switch codeOf(err) {
		case "BAD_MAC", "WRONG_KEY", "BAD_RECOVERY_KEY":
			setText(p.restoreText, "That is not the recovery key or passphrase of this account's backup. Nothing was changed; check it and try again.")
		default:
			setText(p.restoreText, "Restore failed: "+err.Error()+". Nothing was changed.")
		}
		p.restoreText.SetAttribute("data-error", codeOf(err))
		return
	}
	p.restoreText.RemoveAttribute("data-error")
	secs := (nowMs() - start) / 1000
	total, imported, skipped := r.Get("total").Int(), r.Get("imported").Int(), r.Get("skipped").Int()
	setValue(p.restoreIn, "")
	setText(p.restoreText, "Restored from backup version "+str(r.Get("version"))+" in "+ftoa(secs, 1)+" s.")
	p.restoreText.SetAttribute("data-seconds", ftoa(secs, 3))
	ul := el("ul", attrs{"aria-label": "Restore summary"},
		el("li", nil, itoa(total)+" keys in the backup"),
		el("li", attrs{"id": "restore-imported"}, itoa(imported)+" imported"),
		el("li", nil, itoa(skipped)+" already held (skipped)"))
	fails := r.Get("failures")
	codes := keys(fails)
	sort.Strings(codes)
	for _, c := range codes {
		ul.AppendChild(el("li", nil, itoa(fails.Get(c).Int())+" not restored: "+c))
	}
	p.summary.AppendChild(ul)
	announce("Restore done: " + itoa(imported) + " keys imported")
	p.a.rooms.retryFailed("restored from backup")
	p.refresh()
	p.a.device.refresh()
}
