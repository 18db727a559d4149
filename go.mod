module github.com/mxcrypto/mxcrypto

go 1.26.0

require (
	filippo.io/edwards25519 v1.1.1
	github.com/hack-pad/go-indexeddb v0.3.2
	github.com/hack-pad/hackpadfs v0.2.4
	github.com/syumai/workers v0.32.0
	gitlab.com/yawning/bsaes.git v0.0.0-20190805113838-0a714cd429ec
	golang.org/x/crypto v0.58.0
	honnef.co/go/js/dom/v2 v2.0.0-20250304181735-b5e52f05e89d
)

require (
	github.com/agnivade/wasmbrowsertest v0.11.0 // indirect
	github.com/chromedp/cdproto v0.0.0-20240801214329-3f85d328b335 // indirect
	github.com/chromedp/chromedp v0.10.0 // indirect
	github.com/chromedp/sysutil v1.0.0 // indirect
	github.com/go-interpreter/wagon v0.6.0 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	github.com/gobwas/ws v1.4.0 // indirect
	github.com/google/pprof v0.0.0-20240727154555-813a5fbdbec8 // indirect
	github.com/hack-pad/safejs v0.1.0 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/mailru/easyjson v0.7.7 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

tool (
	github.com/agnivade/wasmbrowsertest
	github.com/syumai/workers/cmd/workers-assets-gen
)
