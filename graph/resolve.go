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
	return l.LoadID(ctx, id)
}

// registered makes a root page's nodes one sibling group, so each field below
// it costs one statement for the whole page.
func registered[C, T any](ctx context.Context, conn *C, err error, nodes func(*C) []*T) (*C, error) {
	if err != nil {
		return nil, err
	}
	loader.Register(ctx, nodes(conn))
	return conn, nil
}

// optionalNode loads the node an optional polymorphic reference of obj points at.
func optionalNode[P any](ctx context.Context, obj *P, ref func(*P) *string) (ent.Noder, error) {
	k, ok := loader.OptionalKeysOf(ctx, obj, ref)
	if !ok {
		return nil, nil
	}
	return loader.For(ctx).Node(ctx, k)
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
func resourceCount(ctx context.Context, u *ent.User, kind resource.Kind) (int, error) {
	counts, err := loader.For(ctx).ResourceCountsByUserID.Load(ctx, loader.KeysOf(ctx, u, userID))
	return counts[kind], err
}

// Keys of the parents of loader-backed fields.
func userID(u *ent.User) string                   { return u.ID }
func identityID(i *ent.Identity) string           { return i.ID }
func integrationID(i *ent.Integration) string     { return i.ID }
func resourceID(r *ent.Resource) string           { return r.ID }
func policyRulesetID(r *ent.PolicyRuleset) string { return r.ID }
func policyRuleID(r *ent.PolicyRule) string       { return r.ID }
