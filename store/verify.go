package store

// Verify reads every record and checks the manifest's counts and the
// pending-backup index against them. It is O(all): for tests and repair
// tools, not for normal use.
func (s *Store) Verify() error {
	return s.View(func(tx *Tx) error {
		for k := Kind(1); k < numKinds; k++ {
			n := uint64(0)
			err := tx.scan(k, -1, func(r *record) error {
				n++
				if k != kindPending {
					return nil
				}
				in, err := tx.get(inboundOf(r.key))
				if err == nil && in == nil {
					return damaged("the pending-backup index names a missing session")
				}
				return err
			})
			if err != nil {
				return err
			}
			if n != tx.base.kinds[k].count {
				return damaged("%s: %d records, the manifest counts %d", k, n, tx.base.kinds[k].count)
			}
		}
		return nil
	})
}
