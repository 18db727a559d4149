module github.com/mxcrypto/mxcrypto

go 1.26.0

require (
	filippo.io/edwards25519 v1.1.0
	github.com/hack-pad/go-indexeddb v0.3.2
	github.com/hack-pad/hackpadfs v0.2.4
	gitlab.com/yawning/bsaes.git v0.0.0-20190805113838-0a714cd429ec
	golang.org/x/crypto v0.58.0
)

require (
	github.com/hack-pad/safejs v0.1.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
