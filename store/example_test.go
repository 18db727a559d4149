package store_test

import (
	"fmt"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// A store in memory (IndexedDB in browsers, files in Node): values are sealed
// under the store key and every write is an atomic commit; opening it with
// another key fails before anything is read.
func Example() {
	fsys, err := mem.NewFS()
	if err != nil {
		panic(err)
	}
	key := make([]byte, 32)
	st, err := store.Open(fsys, "keys", store.Options{Key: key})
	if err != nil {
		panic(err)
	}
	if err := st.Put(store.SecretKey("m.megolm_backup.v1"), []byte("a secret")); err != nil {
		panic(err)
	}
	err = st.PutInbound(store.InboundSession{RoomID: "!r:example.org", SessionID: "s1", State: []byte("state"), FirstKnownIndex: 3})
	if err != nil {
		panic(err)
	}
	counts, _ := st.InboundCounts("")
	gen, _ := st.Generation()
	fmt.Println("inbound sessions:", counts.Total, "commits:", gen)
	st.Close()

	st, err = store.Open(fsys, "keys", store.Options{Key: key})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	value, found, err := st.Get(store.SecretKey("m.megolm_backup.v1"))
	fmt.Println(string(value), found, err)

	wrong := make([]byte, 32)
	wrong[0] = 1
	_, err = store.Open(fsys, "keys", store.Options{Key: wrong})
	fmt.Println(errcode.Of(err))
	// Output:
	// inbound sessions: 1 commits: 2
	// a secret true <nil>
	// WRONG_KEY
}
