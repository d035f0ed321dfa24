package graph

import (
	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/directory"
)

// Resolver is the root resolver; it is the one place where resolvers get their dependencies.
type Resolver struct {
	client    *ent.Client
	directory *directory.Service
}

// NewResolver returns the root resolver over client.
func NewResolver(client *ent.Client) *Resolver {
	return &Resolver{client: client, directory: directory.New(client)}
}
