// Package accelcheck holds no code, only the test that every primitive under
// crypto/internal gives the same bytes whether internal/accel has a host or
// not. It lives here, not beside internal/accel, because Go lets only
// packages under crypto/ import crypto/internal.
package accelcheck
