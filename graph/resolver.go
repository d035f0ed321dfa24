package graph

import (
	"github.com/idgraph/idgraph/ent"
)

// Resolver is the root resolver; it is the one place where resolvers get their dependencies.
type Resolver struct {
	client *ent.Client
}

// NewResolver returns the root resolver over client.
func NewResolver(client *ent.Client) *Resolver {
	return &Resolver{client: client}
}
