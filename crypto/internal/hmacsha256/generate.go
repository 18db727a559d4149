package hmacsha256

// block.go is generated; `go generate ./...` rewrites it, and
// TestBlockIsGenerated fails when it differs from what the generator writes.
//go:generate go run gen_block.go -o block.go
