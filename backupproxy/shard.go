package backupproxy

import "crypto/sha256"

// ShardIndex picks the database of a user among n by rendezvous hashing of
// the user id with each database's name: stable across restarts and
// isolates, and adding a database moves only the users whose highest score
// becomes the new one (about 1/(n+1) of them), not nearly all as a modulo
// would.
func ShardIndex(userID string, names []string) int {
	best, bestScore := 0, uint64(0)
	for i, name := range names {
		h := sha256.New()
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(userID))
		var sum [sha256.Size]byte
		h.Sum(sum[:0])
		score := uint64(0)
		for _, b := range sum[:8] {
			score = score<<8 | uint64(b)
		}
		if i == 0 || score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
