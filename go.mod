module github.com/mxcrypto/mxcrypto

go 1.26.0

require (
	filippo.io/edwards25519 v1.1.0
	gitlab.com/yawning/bsaes.git v0.0.0-20190805113838-0a714cd429ec
	golang.org/x/crypto v0.58.0
)

require golang.org/x/sys v0.49.0 // indirect
