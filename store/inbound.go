package store

// InboundSession is an inbound Megolm session as the store keeps it.
type InboundSession struct {
	RoomID, SessionID string
	// FirstKnownIndex is kept beside the state so the better of two copies
	// can be chosen without decoding either.
	FirstKnownIndex uint32
	// State is the session's serialized state (e.g. its MarshalState).
	State []byte
	// BackedUp says the session is in the active backup version.
	BackedUp bool
}

// InboundCounts are kept in the manifest, so they cost no scan.
type InboundCounts struct {
	Total    uint64
	BackedUp uint64 // in the backup version asked about
}

// PutInbound stores sessions, marking them as in the active backup or
// waiting for it (a better copy replacing a backed-up one must be uploaded
// again: pass BackedUp false). A large batch is written a segment at a time.
//
// The store keeps each State as given, without a copy (a restore hands it
// 100,000 of them): the caller must not change them afterwards.
func (tx *Tx) PutInbound(sessions ...InboundSession) error {
	if err := tx.usable(true); err != nil {
		return err
	}
	for _, ss := range sessions {
		k := InboundKey(ss.RoomID, ss.SessionID)
		if err := k.check(); err != nil {
			return err
		}
		if len(ss.State) > maxValue {
			return badInput("session state of %d bytes is over %d", len(ss.State), maxValue)
		}
	}
	for _, ss := range sessions {
		k := InboundKey(ss.RoomID, ss.SessionID)
		tx.stage(newRecord(k, ss.State, ss.FirstKnownIndex))
		if ss.BackedUp {
			tx.unpend(k)
		} else {
			tx.stage(newRecord(pendingKey(k), nil, 0))
		}
	}
	return nil
}

// GetInbound returns one inbound session.
func (tx *Tx) GetInbound(roomID, sessionID string) (InboundSession, bool, error) {
	k := InboundKey(roomID, sessionID)
	if err := tx.usable(false); err != nil {
		return InboundSession{}, false, err
	}
	if err := k.check(); err != nil {
		return InboundSession{}, false, err
	}
	return tx.inbound(k)
}

func (tx *Tx) inbound(k Key) (InboundSession, bool, error) {
	r, err := tx.get(k)
	if r == nil || err != nil {
		return InboundSession{}, false, err
	}
	p, err := tx.get(pendingKey(k))
	if err != nil {
		return InboundSession{}, false, err
	}
	return InboundSession{RoomID: k.A, SessionID: k.B, FirstKnownIndex: r.index, State: clone(r.value), BackedUp: p == nil}, true, nil
}

// ScanInbound calls fn for every inbound session (an export): O(all).
func (tx *Tx) ScanInbound(fn func(InboundSession) error) error {
	if err := tx.usable(false); err != nil {
		return err
	}
	return tx.scan(KindInbound, -1, func(r *record) error {
		p, err := tx.get(pendingKey(r.key))
		if err != nil {
			return err
		}
		return fn(InboundSession{RoomID: r.key.A, SessionID: r.key.B, FirstKnownIndex: r.index, State: clone(r.value), BackedUp: p == nil})
	})
}

// BackupVersion is the active backup version ("" for none).
func (tx *Tx) BackupVersion() string {
	if tx.backup != nil {
		return *tx.backup
	}
	return tx.base.backupVersion
}

// SetBackupVersion makes version the active backup. When it changes, every
// session must be uploaded again, so all become pending: O(all), once per
// new backup.
func (tx *Tx) SetBackupVersion(version string) error {
	if err := tx.usable(true); err != nil {
		return err
	}
	if len(version) > maxVersionLen {
		return badInput("backup version of %d bytes is over %d", len(version), maxVersionLen)
	}
	if version == tx.BackupVersion() {
		return nil
	}
	tx.backup = &version
	return tx.scan(KindInbound, -1, func(r *record) error {
		tx.stage(newRecord(pendingKey(r.key), nil, 0))
		return nil
	})
}

// MarkBackedUp records that sessions were uploaded to backup version. A
// version that is no longer the active one changes nothing: the upload
// went to a backup that was replaced meanwhile.
func (tx *Tx) MarkBackedUp(version string, sessions ...Key) error {
	if err := tx.usable(true); err != nil {
		return err
	}
	for _, k := range sessions {
		if err := k.check(); err != nil {
			return err
		}
		if k.Kind != KindInbound {
			return badInput("%s is not an inbound group session", k.Kind)
		}
	}
	if version == "" || version != tx.BackupVersion() {
		return nil
	}
	for _, k := range sessions {
		tx.unpend(k)
	}
	return nil
}

// unpend takes a session out of the pending set. A restore into a store
// with nothing pending skips it: a tombstone per session would double the
// work of the bulk write.
func (tx *Tx) unpend(k Key) {
	p := tombstone(pendingKey(k))
	if _, staged := tx.changes[p.ek]; staged || tx.base.kinds[kindPending].count != 0 {
		tx.stage(p)
	}
}

// PendingBackup returns up to limit sessions not yet in the active backup.
// It reads the pending index only: O(limit + one index segment), whatever
// the number of sessions. Sessions come a segment at a time, so marking a
// batch rewrites few segments.
func (tx *Tx) PendingBackup(limit int) ([]InboundSession, error) {
	if err := tx.usable(false); err != nil {
		return nil, err
	}
	var keys []Key
	over := tx.overlay(kindPending)
	for _, r := range sortedRecords(over) {
		if len(keys) >= limit {
			break
		}
		if !r.del {
			keys = append(keys, inboundOf(r.key))
		}
	}
	for sh := range tx.base.kinds[kindPending].shards {
		if len(keys) >= limit {
			break
		}
		recs, err := tx.s.shardRecords(tx.base, kindPending, sh)
		if err != nil {
			return nil, err
		}
		sortRecords(recs)
		for _, r := range recs {
			if len(keys) >= limit {
				break
			}
			if _, ok := over[r.ek]; !ok {
				keys = append(keys, inboundOf(r.key))
			}
		}
	}
	out := make([]InboundSession, 0, len(keys))
	for _, k := range keys {
		ss, ok, err := tx.inbound(k)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, damaged("the pending-backup index names a missing session")
		}
		out = append(out, ss)
	}
	return out, nil
}

// InboundCounts returns the number of sessions and how many are in backup
// version, as of the start of the transaction.
func (tx *Tx) InboundCounts(version string) InboundCounts {
	c := InboundCounts{Total: tx.base.kinds[KindInbound].count}
	pending := tx.base.kinds[kindPending].count
	if version != "" && version == tx.base.backupVersion && pending <= c.Total {
		c.BackedUp = c.Total - pending
	}
	return c
}
