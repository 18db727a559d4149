package store

import (
	"errors"

	"github.com/mxcrypto/mxcrypto/errcode"
	"slices"
	"sync"

	"github.com/hack-pad/hackpadfs"
	"github.com/mxcrypto/mxcrypto/crypto/sealed"
)

// Options say how to open a store. Give Key or Passphrase.
type Options struct {
	// Key is the 32-byte store key.
	Key []byte
	// Passphrase derives the key with PBKDF2-SHA-512; the salt and
	// iteration count are kept in the store's KEY file.
	Passphrase string
	// Iterations for a store created with a passphrase; 0 means
	// passphrase.DefaultIterations. Ignored when the store exists.
	Iterations int
	// Locker serializes instances; nil means ProcessLocker.
	Locker Locker
	// CacheBytes bounds the decoded segments kept in memory; 0 means 32 MiB.
	CacheBytes int
	// AllowRollback opens a store older than its high-water mark, or one
	// whose newest slot or mark is damaged, at the newest generation that
	// opens, instead of failing with STORE_ROLLED_BACK or STORE_CORRUPT.
	// Writes are then refused until Recover has run (see mark.go).
	AllowRollback bool
	// InProcess: every instance that can reach the store is in this
	// process (an in-memory file system, which must be a comparable value
	// such as a pointer). Operations then look for another instance's
	// commit by a number kept in memory instead of reading a manifest slot
	// (inprocess.go). Never set it on files another process or tab can
	// write.
	InProcess bool
}

// Store is an open key store. Its methods may be called from several
// goroutines; they run one at a time.
type Store struct {
	mu     sync.Mutex
	fsys   hackpadfs.FS
	name   string
	locker Locker
	key    *sealed.Cipher // the store key, wiped by Close
	id     []byte
	closed bool
	// onClose releases what the backend holds for the store (IndexedDB
	// connections); nil if nothing.
	onClose func()
	noSync  bool // the backend's files have no Sync
	swept   bool // orphans were looked for since open

	cur    *manifest // the generation last read or written; nil if unknown
	maxGen uint64    // highest generation seen; the store never goes back
	cache  segCache

	prefetched map[string][]byte // files read ahead while opening; nil: absent

	mark          markState // what the high-water mark said at open, or was last written
	markGen       uint64    // the mark, when mark is markOK
	allowRollback bool      // Options.AllowRollback; used while opening
	rolledBack    bool      // opened after a rollback; Recover has not run
	floor         uint64    // when rolledBack: the next generation must be past this

	inProcess  bool   // Options.InProcess
	holds      int    // open Holds (hold.go); while > 0 this instance has the lock
	heldUnlock func() // releases the lock the first Hold took
}

// Open opens the store called name in fsys, creating it if it does not
// exist. A wrong key is WRONG_KEY; a store written by a newer mxcrypto is
// STORE_VERSION; a failing filesystem is STORE_FAILURE.
func Open(fsys hackpadfs.FS, name string, opts Options) (*Store, error) {
	switch {
	case fsys == nil:
		return nil, badInput("no filesystem")
	case name == "." || !hackpadfs.ValidPath(name):
		return nil, badInput("store name %q is not a valid path", name)
	case opts.Passphrase != "" && opts.Key != nil:
		return nil, badInput("give a store key or a passphrase, not both")
	case opts.Passphrase == "" && len(opts.Key) != sealed.KeySize:
		return nil, badInput("store key must be %d bytes, got %d", sealed.KeySize, len(opts.Key))
	}
	if opts.Locker == nil {
		opts.Locker = ProcessLocker{}
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 32 << 20
	}
	s := &Store{fsys: fsys, name: name, locker: opts.Locker, allowRollback: opts.AllowRollback, inProcess: opts.InProcess}
	s.cache.limit = opts.CacheBytes
	unlock, err := s.locker.Lock(name)
	if err != nil {
		return nil, fsFailure(err, "taking the store lock")
	}
	defer unlock()
	if err := s.prefetch(keyFile, slotNames[0], slotNames[1], s.markFile()); err != nil {
		return nil, err
	}
	defer func() { s.prefetched = nil }()
	key, id, created, err := s.openKeyFile(&opts)
	if err != nil {
		return nil, err
	}
	s.key, err = sealed.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	s.id = id
	if !created {
		err = s.loadMark()
	}
	if err == nil {
		err = s.load()
	}
	if err != nil {
		s.key.Wipe()
		return nil, err
	}
	return s, nil
}

// Close releases the store's memory. Later calls return CLOSED. Nothing is
// left to flush: every method returns after its write is on disk.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.heldUnlock != nil {
		s.heldUnlock() // a Hold left open must not keep other instances out
		s.holds, s.heldUnlock = 0, nil
	}
	s.key.Wipe()
	s.key, s.id, s.cur = nil, nil, nil
	s.cache = segCache{}
	if s.onClose != nil {
		s.onClose()
	}
	return nil
}

// View runs fn in a read-only transaction on the latest generation.
func (s *Store) View(fn func(tx *Tx) error) error { return s.do(false, false, nil, fn) }

// Update runs fn in a transaction and commits its writes when fn returns
// nil; if fn fails nothing is written. Reads inside fn see the latest
// generation, so read-modify-write in one Update never loses another
// instance's write, and ratchets never go back. fn must not call the store.
func (s *Store) Update(fn func(tx *Tx) error) error { return s.do(true, false, nil, fn) }

// ViewFor is View for an fn that reads the records under keys: where the
// backend reads several files at the cost of one (IndexedDB), the segments
// holding them are read together with the check for a newer generation, so
// a lookup costs one IndexedDB transaction, not two.
func (s *Store) ViewFor(keys []Key, fn func(tx *Tx) error) error {
	return s.do(false, false, keys, fn)
}

// UpdateFor is Update with ViewFor's read-ahead.
func (s *Store) UpdateFor(keys []Key, fn func(tx *Tx) error) error {
	return s.do(true, false, keys, fn)
}

// do runs fn in a transaction. recover: the transaction is Recover's,
// committed even if fn wrote nothing while the store is rolled back.
func (s *Store) do(write, recover bool, keys []Key, fn func(tx *Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed()
	}
	if write && s.rolledBack && !recover {
		return rolledBack("the store was opened after a rollback: it takes no write before Recover")
	}
	// Under a Hold the lock is already ours, and no other instance can
	// have committed since this one last read or wrote the manifest: only
	// a failed write (forget) makes it look again.
	held := s.held()
	if !held {
		unlock, err := s.locker.Lock(s.name)
		if err != nil {
			return fsFailure(err, "taking the store lock")
		}
		defer unlock()
	}
	defer s.cache.trim()
	s.readAhead(keys)
	defer func() { s.prefetched = nil }()
	if !held || s.cur == nil {
		if err := s.refresh(); err != nil {
			s.forget()
			return err
		}
	}
	tx := &Tx{s: s, base: s.cur, write: write, changes: map[string]*record{}}
	err := fn(tx)
	tx.done = true
	if err != nil || (!tx.dirty() && !(recover && s.rolledBack)) {
		return err
	}
	return s.commit(tx)
}

// readAhead reads, in one go, the slot refresh will read and the segments
// (not cached) holding keys in the current generation. Segment files never
// change, so one read ahead is right even if refresh finds a newer
// generation; unused, it is dropped when the operation ends. A failure here
// only means the files are read one by one.
func (s *Store) readAhead(keys []Key) {
	if s.cur == nil || len(keys) == 0 {
		return
	}
	names := []string{slotFile(s.cur.gen + 1)}
	add := func(k Key) {
		shards := s.cur.kinds[k.Kind].shards
		if len(shards) == 0 {
			return
		}
		ref := shards[shardOf(k.hash(), len(shards))]
		if ref.file != "" && s.cache.m[ref.file] == nil && !slices.Contains(names, ref.file) {
			names = append(names, ref.file)
		}
	}
	for _, k := range keys {
		if k.check() != nil {
			continue
		}
		add(k)
		if k.Kind == KindInbound {
			add(pendingKey(k)) // read with it: GetInbound says whether it is backed up
		}
	}
	if len(names) > 1 && s.prefetch(names...) != nil {
		s.prefetched = nil
	}
}

// forget drops what this instance knows of the disk after a failed write
// (the slot may or may not have been written), so the next call re-reads it.
func (s *Store) forget() { s.cur = nil }

// refresh adopts the newest generation on disk. Another instance's next
// commit (cur.gen+1) can only be in the other slot, so when that still
// holds an older generation nothing changed: one read, nothing decrypted.
func (s *Store) refresh() error {
	if s.unchanged() {
		return nil
	}
	if s.cur != nil {
		raw, err := s.read(slotFile(s.cur.gen + 1))
		if err != nil && err != errNotExist {
			return err
		}
		if err == nil {
			if v, err := headerVersion(raw, manifestMagic, "MANIFEST"); err == nil && v != manifestVersion {
				return versionError(v)
			}
			if gen, _, _, ok := parseSlot(raw); ok && gen < s.cur.gen {
				return nil
			}
		}
	}
	return s.reload()
}

var errNoSlot = errors.New("no manifest slot opens")

// slotScan is what readSlots saw besides the manifest it adopted.
type slotScan struct {
	passedOver    bool   // a newer slot did not open: torn, or skipped damage
	skippedDamage bool   // it was damage, skipped (opening with AllowRollback)
	top           uint64 // the highest generation a slot claims in clear
}

// readSlots adopts the newest manifest of the two slots. A newer slot that
// does not open is passed over only if it is a torn write (see mark.go),
// or, while opening with AllowRollback, damage.
func (s *Store) readSlots(opening bool) (scan slotScan, err error) {
	var raws [2][]byte
	var gens [2]uint64
	for i := uint64(0); i < 2; i++ {
		raw, err := s.read(slotFile(i))
		if err == errNotExist {
			continue
		}
		if err != nil {
			return scan, err
		}
		if v, err := headerVersion(raw, manifestMagic, "MANIFEST"); err == nil && v != manifestVersion {
			return scan, versionError(v)
		}
		raws[i] = raw
		gens[i], _, _, _ = parseSlot(raw)
		scan.top = max(scan.top, gens[i])
	}
	// Only the newest slot that opens is decrypted: at 100,000 sessions a
	// manifest is tens of kilobytes, and the other slot is usually fine.
	order := []uint64{0, 1}
	if gens[1] > gens[0] {
		order = []uint64{1, 0}
	}
	var best *manifest
	for _, i := range order {
		if raws[i] == nil {
			continue
		}
		m, err := openSlot(s.key, s.id, raws[i], i)
		if err == nil && m == nil && !s.tornWrite(gens[i]) {
			err = damaged("%s claims generation %d and does not open with the store key", slotFile(i), gens[i])
		}
		if err != nil {
			if (opening || s.rolledBack) && s.allowRollback && errcode.Of(err) == StoreCorrupt {
				scan.skippedDamage, scan.passedOver = true, true
				continue
			}
			return scan, err
		}
		if m != nil {
			best = m
			break
		}
		scan.passedOver = true
	}
	if opening && best != nil && s.mark == markOK && best.gen < s.markGen && !scan.passedOver {
		// Below the mark: a rollback, unless the other slot is damage whose
		// clear generation was altered downwards (it was not tried).
		for i := uint64(0); i < 2; i++ {
			if raws[i] != nil && i != best.gen%2 {
				if m, err := openSlot(s.key, s.id, raws[i], i); err != nil || m == nil {
					scan.passedOver = true
				}
			}
		}
	}
	switch {
	case best == nil && scan.skippedDamage:
		return scan, damaged("no MANIFEST slot opens with the store key")
	case best == nil:
		return scan, errNoSlot
	case best.gen < s.maxGen:
		return scan, rolledBack("MANIFEST went back from generation %d to %d while the store was open", s.maxGen, best.gen)
	case s.cur != nil && best.gen == s.cur.gen:
		return scan, nil // generations are unique: the lock orders commits
	}
	s.cur, s.maxGen = best, best.gen
	s.cache.retain(best.files())
	return scan, nil
}

// tornWrite reports whether a slot of generation gen that does not open
// can be a write a crash tore: only where writes can tear, and only for a
// generation past the mark, whose commit never returned.
func (s *Store) tornWrite(gen uint64) bool {
	if s.atomicWrites() {
		return false
	}
	return s.mark != markOK || gen > s.markGen
}

// load reads the newest generation at open, after creating the manifest
// of a new store, and checks it against the high-water mark.
func (s *Store) load() error {
	scan, err := s.readSlots(true)
	if err == errNoSlot {
		err = s.create()
		if err == nil {
			scan, err = s.readSlots(true)
		}
		if err == errNoSlot {
			err = damaged("no MANIFEST slot opens with the store key")
		}
	}
	if err != nil {
		return err
	}
	return s.checkMark(scan)
}

// create writes the first manifest of a new store.
func (s *Store) create() error {
	// KEY is written first, so a crash can leave a new store with no
	// manifest, or with slot 0 torn by its first write; slot 1 comes with
	// the first commit. A store with slot 1 or segments has lost it.
	names, err := s.list()
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, _, _, ok := parseSegName(n); ok || n == slotNames[1] {
			return damaged("MANIFEST is missing or does not open")
		}
	}
	data, err := sealManifest(s.key, s.id, newManifest())
	if err != nil {
		return err
	}
	return s.writeSlotAndMark(0, data)
}

// checkMark compares the generation opened with the high-water mark (see
// mark.go): older, or a damaged mark or newest slot, is a rollback. Older
// after a newer slot was passed over is damage (STORE_CORRUPT): that slot
// claimed to be newer than the mark, or its generation was altered.
func (s *Store) checkMark(scan slotScan) error {
	gen := s.cur.gen
	switch {
	case scan.skippedDamage:
	case s.mark == markOK && gen >= s.markGen:
		return nil
	case s.mark == markNone:
		return s.writeMark(gen)
	}
	switch {
	case s.allowRollback:
	case scan.passedOver:
		return damaged("the newest MANIFEST slot does not open, and the other holds generation %d, older than the committed generation %d", gen, s.markGen)
	default:
		return rolledBack("the store is at generation %d, but generation %d was committed: an older copy of it was restored", gen, s.markGen)
	}
	s.rolledBack = true
	s.floor = max(s.markGen, scan.top, gen)
	return nil
}

// reload adopts the newest slot; there must be one that opens.
func (s *Store) reload() error {
	if _, err := s.readSlots(false); err != errNoSlot {
		return err
	}
	return damaged("no MANIFEST slot opens with the store key")
}

func (s *Store) hasSlots() (bool, error) {
	for _, n := range slotNames {
		_, err := hackpadfs.Stat(s.fsys, s.path(n))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, hackpadfs.ErrNotExist) {
			return false, fsFailure(err, "looking for %s", n)
		}
	}
	return false, nil
}

// collect removes files left by crashed or failed commits: segments and
// temporary files of a generation the manifest has reached but does not
// name. Newer ones may belong to a commit in progress elsewhere. Open
// does not do it: listing a directory costs an IndexedDB read per file,
// and orphans are never read anyway; an instance's first flush does.
func (s *Store) collect() {
	names, err := s.list()
	if err != nil {
		return
	}
	live := s.cur.files()
	for _, n := range names {
		if g, ok := fileGen(n); ok && g <= s.cur.gen && !live[n] {
			s.remove(n)
		}
	}
}
