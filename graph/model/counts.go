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

// PolicyGrant is one user's assignment of one rule in a reconciliation; its
// fields are resolved by the loaders of their types.
type PolicyGrant struct {
	UserID, RuleID string
	// AssignmentID is empty for an assignment a dry run would create.
	AssignmentID string
}

// ManagementLevel is one manager in a user's chain. Its user is loaded by id
// with every other level of the page's chains, in one statement.
type ManagementLevel struct {
	Depth  int
	UserID string
}

// Aggregate is the answer of every <Entity>Aggregate root field.
type Aggregate struct {
	TotalGroups int
	Groups      []*AggregateGroup
}

// AggregateGroup is one group of an aggregate: its keys and count, and the
// values of the aggregates the query selects, by the name the resolver of
// each field gives its arguments (see graph/aggregate.go).
type AggregateGroup struct {
	Keys   []*string
	Count  int
	Values map[string]*string
}
