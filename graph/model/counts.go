// Package model holds the GraphQL types that are not ent entities.
package model

// UserCounts is the parent of a user's count fields; each field is resolved
// by a count loader, so asking for one count never computes the others.
type UserCounts struct {
	UserID string
}

// IdentityCounts is the parent of an identity's count fields.
type IdentityCounts struct {
	IdentityID string
}
