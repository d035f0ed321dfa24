// Package model holds the GraphQL types that are not ent entities.
package model

import "github.com/idgraph/idgraph/ent"

// UserCounts is the parent of a user's count fields; each field is resolved
// by a count loader, so asking for one count never computes the others.
type UserCounts struct {
	User *ent.User
}

// IdentityCounts is the parent of an identity's count fields.
type IdentityCounts struct {
	Identity *ent.Identity
}
