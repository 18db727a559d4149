// Package device is the stateful face of mxcrypto that a Matrix client uses:
// one Olm account and its sessions, Megolm room sessions, key backup, secret
// storage and key export, all kept in a store.Store. It speaks Matrix JSON
// shapes (request bodies, event contents) as []byte and does no HTTP.
//
// Every method runs in one store transaction: it either commits all of its
// changes or, on error, none, so a failed call leaves the store as it was.
// State is read from the store inside each transaction rather than cached,
// so several Device values (tabs, workers) on one store stay consistent.
package device
