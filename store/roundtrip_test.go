package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hack-pad/hackpadfs"
	osfs "github.com/hack-pad/hackpadfs/os"
)

// TestRoundTripEveryKind stores one or more records of each kind, reopens
// the store and reads them back, both from the journal and after a flush.
func TestRoundTripEveryKind(t *testing.T) {
	eachBackend(t, func(t *testing.T, newFS func(testing.TB) hackpadfs.FS) {
		for _, flush := range []bool{false, true} {
			t.Run(fmt.Sprintf("flushed=%v", flush), func(t *testing.T) {
				if flush {
					smallJournal(t, 2)
				}
				fsys := newFS(t)
				s := mustOpen(t, fsys, "keys")
				values := map[Key][]byte{
					AccountKey():                    []byte("account"),
					OlmSessionKey("peerA", "s1"):    []byte("olm a1"),
					OlmSessionKey("peerA", "s2"):    []byte("olm a2"),
					OlmSessionKey("peerB", "s1"):    []byte("olm b1"),
					OutboundKey("!room:x"):          []byte("outbound"),
					FallbackKeyKey("AAAAAQ"):        []byte("fallback 1"),
					FallbackKeyKey("AAAAAg"):        {},
					BackupKey():                     []byte("backup state"),
					SecretKey("m.megolm_backup.v1"): []byte("secret"),
					ValueKey("sync token"):          []byte("s123"),
				}
				for k, v := range values {
					must(t, s.Put(k, v))
				}
				must(t, s.PutInbound(
					InboundSession{RoomID: "!room:x", SessionID: "m1", FirstKnownIndex: 7, State: []byte("m1 state")},
					InboundSession{RoomID: "!room:x", SessionID: "m2", State: []byte("m2 state"), BackedUp: true},
				))
				s.Close()

				s = mustOpen(t, fsys, "keys")
				for k, want := range values {
					got, found, err := s.Get(k)
					must(t, err)
					if !found || !bytes.Equal(got, want) {
						t.Errorf("%v: got %q %v, want %q", k, got, found, want)
					}
				}
				ss, found, err := s.GetInbound("!room:x", "m1")
				must(t, err)
				if !found || ss.FirstKnownIndex != 7 || string(ss.State) != "m1 state" || ss.BackedUp {
					t.Errorf("m1: %+v %v", ss, found)
				}
				ss, _, err = s.GetInbound("!room:x", "m2")
				must(t, err)
				if !ss.BackedUp || string(ss.State) != "m2 state" {
					t.Errorf("m2: %+v", ss)
				}
				list, err := s.List(KindOlmSession, "peerA")
				must(t, err)
				if len(list) != 2 || list[0].Key.B != "s1" || list[1].Key.B != "s2" || string(list[1].Value) != "olm a2" {
					t.Errorf("olm sessions of peerA: %+v", list)
				}

				must(t, s.Delete(OlmSessionKey("peerA", "s1")))
				must(t, s.Delete(InboundKey("!room:x", "m1")))
				must(t, s.Put(AccountKey(), []byte("account 2")))
				s.Close()
				s = mustOpen(t, fsys, "keys")
				if _, found, _ := s.Get(OlmSessionKey("peerA", "s1")); found {
					t.Error("deleted Olm session is back")
				}
				if _, found, _ := s.GetInbound("!room:x", "m1"); found {
					t.Error("deleted inbound session is back")
				}
				if v, _, _ := s.Get(AccountKey()); string(v) != "account 2" {
					t.Errorf("account: %q", v)
				}
				c, err := s.InboundCounts("")
				must(t, err)
				if c.Total != 1 {
					t.Errorf("counts %+v", c)
				}
				must(t, s.Verify())
			})
		}
	})
}

// TestRandomOpsMatchModel runs random writes, with reopens and a tiny
// journal and shard target (so segments split), against a map.
func TestRandomOpsMatchModel(t *testing.T) {
	eachHeavyBackend(t, func(t *testing.T, newFS func(testing.TB) hackpadfs.FS) {
		smallJournal(t, 7)
		smallShards(t, 4)
		fsys := newFS(t)
		s := mustOpen(t, fsys, "m")
		model := map[Key]string{}
		rng := rand.New(rand.NewPCG(1, 2))
		ops := 1500
		if _, ok := fsys.(*osfs.FS); ok {
			ops = 400 // the os backend syncs every commit
		}
		for i := 0; i < ops; i++ {
			k := []Key{ValueKey(fmt.Sprint(rng.IntN(60))), OlmSessionKey(fmt.Sprint("p", rng.IntN(5)), fmt.Sprint(rng.IntN(20))), SecretKey(fmt.Sprint(rng.IntN(10)))}[rng.IntN(3)]
			switch rng.IntN(10) {
			case 0, 1, 2:
				must(t, s.Delete(k))
				delete(model, k)
			case 3:
				// A batch in one transaction.
				must(t, s.Update(func(tx *Tx) error {
					for j := 0; j < 30; j++ {
						k := ValueKey(fmt.Sprint(rng.IntN(60)))
						v := fmt.Sprint("batch", i, j)
						model[k] = v
						if err := tx.Put(k, []byte(v)); err != nil {
							return err
						}
					}
					return nil
				}))
			default:
				v := fmt.Sprint("v", i)
				must(t, s.Put(k, []byte(v)))
				model[k] = v
			}
			if i%300 == 299 {
				s.Close()
				s = mustOpen(t, fsys, "m")
			}
		}
		for k, want := range model {
			got, found, err := s.Get(k)
			must(t, err)
			if !found || string(got) != want {
				t.Fatalf("%v: got %q %v, want %q", k, got, found, want)
			}
		}
		n := 0
		must(t, s.View(func(tx *Tx) error {
			for _, k := range []Kind{KindValue, KindOlmSession, KindSecret} {
				if err := tx.Scan(k, func(Entry) error { n++; return nil }); err != nil {
					return err
				}
			}
			return nil
		}))
		if n != len(model) {
			t.Fatalf("scan found %d records, model has %d", n, len(model))
		}
		must(t, s.Verify())
		if got := len(s.cur.kinds[KindValue].shards); got < 4 {
			t.Errorf("values did not split: %d shards", got)
		}
	})
}

// TestUpdateErrorWritesNothing: a failing Update leaves no trace.
func TestUpdateErrorWritesNothing(t *testing.T) {
	s := mustOpen(t, newMemFS(t), "s")
	gen, _ := s.Generation()
	err := s.Update(func(tx *Tx) error {
		must(t, tx.Put(ValueKey("a"), []byte("1")))
		return fmt.Errorf("changed my mind")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if _, found, _ := s.Get(ValueKey("a")); found {
		t.Fatal("write of a failed Update is visible")
	}
	if g, _ := s.Generation(); g != gen {
		t.Fatalf("generation moved from %d to %d", gen, g)
	}
}

// TestTxSeesOwnWrites checks reads inside an Update, and a Tx used late.
func TestTxSeesOwnWrites(t *testing.T) {
	s := mustOpen(t, newMemFS(t), "s")
	must(t, s.Put(ValueKey("a"), []byte("1")))
	var late *Tx
	must(t, s.Update(func(tx *Tx) error {
		late = tx
		must(t, tx.Put(ValueKey("a"), []byte("2")))
		must(t, tx.Delete(ValueKey("b")))
		v, _, err := tx.Get(ValueKey("a"))
		if string(v) != "2" {
			t.Errorf("own write not seen: %q", v)
		}
		return err
	}))
	_, _, err := late.Get(ValueKey("a"))
	wantCode(t, err, "BAD_INPUT")
	wantCode(t, s.View(func(tx *Tx) error { return tx.Put(ValueKey("a"), nil) }), "BAD_INPUT")
}

func TestBadInput(t *testing.T) {
	fsys := newMemFS(t)
	for _, name := range []string{"", ".", "/abs", "a/../b"} {
		_, err := Open(fsys, name, Options{Key: testKey(1)})
		wantCode(t, err, "BAD_INPUT")
	}
	_, err := Open(fsys, "s", Options{Key: []byte("short")})
	wantCode(t, err, "BAD_INPUT")
	_, err = Open(fsys, "s", Options{Key: testKey(1), Passphrase: "x"})
	wantCode(t, err, "BAD_INPUT")
	s := mustOpen(t, fsys, "s")
	for _, k := range []Key{{}, {Kind: kindPending, A: "a", B: "b"}, {Kind: 99}, OlmSessionKey("", "s"), ValueKey(""),
		{Kind: KindAccount, A: "x"}, ValueKey(string(make([]byte, maxKeyPart+1)))} {
		wantCode(t, s.Put(k, nil), "BAD_INPUT")
		_, _, err := s.Get(k)
		wantCode(t, err, "BAD_INPUT")
	}
	wantCode(t, s.Put(InboundKey("r", "s"), nil), "BAD_INPUT")
	wantCode(t, s.MarkBackedUp("1", ValueKey("x")), "BAD_INPUT")
}

// TestSmallestJournal: a journal of the shortest entries (tombstones of the
// one-record kinds) reads back.
func TestSmallestJournal(t *testing.T) {
	fsys := newMemFS(t)
	s := mustOpen(t, fsys, "s")
	must(t, s.Put(AccountKey(), []byte("a")))
	must(t, s.Put(BackupKey(), []byte("b")))
	smallJournal(t, 1)
	must(t, s.Put(ValueKey("flush"), nil))
	journalMaxEntries = 1024
	must(t, s.Delete(AccountKey()))
	must(t, s.Delete(BackupKey()))
	s.Close()
	s = mustOpen(t, fsys, "s")
	if _, found, err := s.Get(AccountKey()); found || err != nil {
		t.Fatalf("account: %v %v", found, err)
	}
	must(t, s.Verify())
}
