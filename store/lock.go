package store

import "sync"

// Locker serializes the operations of every instance that can reach a
// store. The default is one lock per store name in this process; in a
// browser the JS side can pass one that takes navigator.locks, so tabs
// serialize too.
type Locker interface {
	// Lock blocks until the caller holds the lock called name and returns
	// the function that releases it.
	Lock(name string) (unlock func(), err error)
}

// ProcessLocker is the default Locker: a mutex per name, shared by every
// store in this process.
type ProcessLocker struct{}

type namedLock struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

var processLocks struct {
	sync.Mutex
	m map[string]*namedLock
}

func (ProcessLocker) Lock(name string) (func(), error) {
	processLocks.Lock()
	if processLocks.m == nil {
		processLocks.m = map[string]*namedLock{}
	}
	l := processLocks.m[name]
	if l == nil {
		l = &namedLock{ch: make(chan struct{}, 1)}
		processLocks.m[name] = l
	}
	l.refs++
	processLocks.Unlock()

	l.ch <- struct{}{}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.ch
			processLocks.Lock()
			// Forget unused names, so closed stores leave nothing behind.
			if l.refs--; l.refs == 0 {
				delete(processLocks.m, name)
			}
			processLocks.Unlock()
		})
	}, nil
}
