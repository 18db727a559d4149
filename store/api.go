package store

// One-operation shortcuts: each is a View or Update of its own.

// Get returns the value stored under k.
func (s *Store) Get(k Key) (value []byte, found bool, err error) {
	err = s.View(func(tx *Tx) error {
		value, found, err = tx.Get(k)
		return err
	})
	return value, found, err
}

// Put stores value under k.
func (s *Store) Put(k Key, value []byte) error {
	return s.Update(func(tx *Tx) error { return tx.Put(k, value) })
}

// Delete removes the record under k.
func (s *Store) Delete(k Key) error {
	return s.Update(func(tx *Tx) error { return tx.Delete(k) })
}

// List returns the records of kind k whose first id is a.
func (s *Store) List(k Kind, a string) (out []Entry, err error) {
	err = s.View(func(tx *Tx) error {
		out, err = tx.List(k, a)
		return err
	})
	return out, err
}

// GetInbound returns one inbound Megolm session.
func (s *Store) GetInbound(roomID, sessionID string) (ss InboundSession, found bool, err error) {
	err = s.ViewFor([]Key{InboundKey(roomID, sessionID)}, func(tx *Tx) error {
		ss, found, err = tx.GetInbound(roomID, sessionID)
		return err
	})
	return ss, found, err
}

// PutInbound stores inbound Megolm sessions in one commit; like
// Tx.PutInbound, it keeps their States without a copy.
func (s *Store) PutInbound(sessions ...InboundSession) error {
	return s.Update(func(tx *Tx) error { return tx.PutInbound(sessions...) })
}

// PendingBackup returns up to limit sessions not in the active backup.
func (s *Store) PendingBackup(limit int) (out []InboundSession, err error) {
	err = s.View(func(tx *Tx) error {
		out, err = tx.PendingBackup(limit)
		return err
	})
	return out, err
}

// MarkBackedUp records that sessions were uploaded to backup version.
func (s *Store) MarkBackedUp(version string, sessions ...Key) error {
	return s.Update(func(tx *Tx) error { return tx.MarkBackedUp(version, sessions...) })
}

// SetBackupVersion makes version the active backup version.
func (s *Store) SetBackupVersion(version string) error {
	return s.Update(func(tx *Tx) error { return tx.SetBackupVersion(version) })
}

// BackupVersion returns the active backup version.
func (s *Store) BackupVersion() (v string, err error) {
	err = s.View(func(tx *Tx) error {
		v = tx.BackupVersion()
		return nil
	})
	return v, err
}

// InboundCounts returns the session counts from the manifest.
func (s *Store) InboundCounts(version string) (c InboundCounts, err error) {
	err = s.View(func(tx *Tx) error {
		c = tx.InboundCounts(version)
		return nil
	})
	return c, err
}

// Generation returns the number of commits the store has had.
func (s *Store) Generation() (gen uint64, err error) {
	err = s.View(func(tx *Tx) error {
		gen = tx.base.gen
		return nil
	})
	return gen, err
}
