package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
)

// byID loads a node of one type for a single-node root such as user(id:). An id of
// another type is a BAD_USER_INPUT error rather than NOT_FOUND: the caller's mistake
// is in the query, not in the data.
func byID[T any](ctx context.Context, prefix, id string, l *loader.ByID[T]) (*T, error) {
	if err := gid.Validate(id, prefix); err != nil {
		return nil, apierror.BadInput(err)
	}
	return l.Load(ctx, id)()
}

// optionalNode loads the node an optional polymorphic reference points at.
func optionalNode(ctx context.Context, id *string) (ent.Noder, error) {
	if id == nil {
		return nil, nil
	}
	return loader.For(ctx).Node(ctx, *id)
}

// nodesWithErrors answers nodes(ids:): one entry per id, null with an error at its
// index for each id that cannot be resolved.
func nodesWithErrors(ctx context.Context, ids []string) ([]ent.Noder, error) {
	nodes, errs := loader.For(ctx).Nodes(ctx, ids)
	for i, err := range errs {
		if err != nil {
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i)), err)
		}
	}
	return nodes, nil
}

// withKind narrows a resource filter to one kind.
func withKind(where *ent.ResourceWhereInput, kind *resource.Kind) *ent.ResourceWhereInput {
	if kind == nil {
		return where
	}
	byKind := &ent.ResourceWhereInput{Kind: kind}
	if where == nil {
		return byKind
	}
	return &ent.ResourceWhereInput{And: []*ent.ResourceWhereInput{where, byKind}}
}

// resourceCount is one per-kind count of the resources a user reaches.
func resourceCount(ctx context.Context, userID string, kind resource.Kind) (int, error) {
	counts, err := loader.For(ctx).ResourceCountsByUserID.Load(ctx, userID)()
	return counts[kind], err
}
