package store

// Hold takes the store's lock for a run of operations: until release is
// called, this instance's operations neither take the lock again nor look
// for a newer generation, since no other instance can commit while the
// lock is held. A device call that does several transactions (a room event
// decrypt reads the session, then the sender's device and trust) or a batch
// of calls (a timeline) then pays for one lock (in a browser, one
// navigator.locks request) and one refresh instead of one per transaction.
// Each operation is still its own transaction, serialized with the
// instance's other operations, and commits before it returns: holding
// changes what is paid, not what is durable.
//
// Holds nest (the lock is released with the last one). release is
// idempotent. Do not hold across waits for the network or the user: other
// tabs and instances wait for the lock meanwhile.
func (s *Store) Hold() (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed()
	}
	if s.holds == 0 {
		unlock, err := s.locker.Lock(s.name)
		if err != nil {
			return nil, fsFailure(err, "taking the store lock")
		}
		if err := s.refresh(); err != nil {
			s.forget()
			unlock()
			return nil, err
		}
		s.heldUnlock = unlock
	}
	s.holds++
	done := false
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if done {
			return
		}
		done = true
		s.unhold()
	}, nil
}

// unhold drops one hold; the caller holds s.mu.
func (s *Store) unhold() {
	if s.holds == 0 {
		return
	}
	if s.holds--; s.holds == 0 && s.heldUnlock != nil {
		s.heldUnlock()
		s.heldUnlock = nil
	}
}

// held reports whether a Hold has the lock; the caller holds s.mu.
func (s *Store) held() bool { return s.holds > 0 }
