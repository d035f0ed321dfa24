package graph

import "time"

// asOfNow is the state a record shows: an active or expiring record whose
// expiresAt has passed is expired, whether or not the expiration job has
// written it yet (it runs every second; filters on state see the stored
// value until then).
func asOfNow[S ~string](state S, expiresAt *time.Time, expired S) S {
	if expiresAt != nil && !expiresAt.After(time.Now()) && (state == "active" || state == "expiring") {
		return expired
	}
	return state
}
