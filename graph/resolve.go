package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/viewer"
)

// byID loads a node of one type for a single-node root such as user(id:); an id
// of another type never gets here (@idOf).
func byID[T any](ctx context.Context, id string, l *loader.ByID[T]) (*T, error) {
	return l.LoadID(ctx, id)
}

// byIDOrExternalID answers user(id: | externalId:) and identity(...): exactly
// one is given. An external id is read to the record's id in the caller's
// tenant (one indexed statement), then the record loads as by id.
func byIDOrExternalID[T any](ctx context.Context, typ string, id, externalID *string, l *loader.ByID[T],
	lookup func(externalID string) (string, error)) (*T, error) {
	switch {
	case (id == nil) == (externalID == nil):
		return nil, apierror.BadInputf("give one of id and externalId")
	case id != nil:
		return l.LoadID(ctx, *id)
	}
	found, err := lookup(*externalID)
	if ent.IsNotFound(err) {
		return nil, apierror.NotFound(typ, *externalID)
	}
	if err != nil {
		return nil, err
	}
	return l.LoadID(ctx, found)
}

// node answers node(id:) for a type the viewer may read.
func node(ctx context.Context, id string) (ent.Noder, error) {
	if err := requireNodePermission(ctx, id); err != nil {
		return nil, err
	}
	return loader.For(ctx).Node(ctx, loader.RootKeys(id))
}

// optionalNode loads the node an optional polymorphic reference of obj points at.
func optionalNode[P any](ctx context.Context, obj *P, ref func(*P) *string) (ent.Noder, error) {
	k, ok := loader.OptionalKeysOf(ctx, obj, ref)
	if !ok {
		return nil, nil
	}
	if err := requireNodePermission(ctx, k.Key); err != nil {
		return nil, err
	}
	return loader.For(ctx).Node(ctx, k)
}

// nodesWithErrors answers nodes(ids:): one entry per id, null with an error at its
// index for each id that cannot be resolved or that the viewer may not read.
func nodesWithErrors(ctx context.Context, ids []string) ([]ent.Noder, error) {
	nodes, errs := make([]ent.Noder, len(ids)), make([]error, len(ids))
	var permitted []string
	var at []int
	for i, id := range ids {
		if errs[i] = requireNodePermission(ctx, id); errs[i] == nil {
			permitted = append(permitted, id)
			at = append(at, i)
		}
	}
	loaded, loadErrs := loader.For(ctx).Nodes(ctx, permitted)
	for j, i := range at {
		nodes[i], errs[i] = loaded[j], loadErrs[j]
	}
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
	counts, err := loader.For(ctx).ResourceCountsByUserID().Load(ctx, loader.KeysOf(ctx, u, userID))
	return counts[kind], err
}

// Keys of the parents of loader-backed fields.
func userID(u *ent.User) string                   { return u.ID }
func identityID(i *ent.Identity) string           { return i.ID }
func integrationID(i *ent.Integration) string     { return i.ID }
func resourceID(r *ent.Resource) string           { return r.ID }
func policyRulesetID(r *ent.PolicyRuleset) string { return r.ID }
func policyRuleID(r *ent.PolicyRule) string       { return r.ID }

// optionalCount returns a count for a nullable counts field: those are the ones
// a permission guards, which gqlgen resolves as *int.
func optionalCount(n int, err error) (*int, error) {
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// currentViewer describes the token the request runs as; it costs no SQL.
func currentViewer(ctx context.Context) (*model.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, &apierror.Error{Code: apierror.CodeUnauthenticated, Message: "no API token"}
	}
	return &model.Viewer{
		Tenant:      &ent.Tenant{ID: v.TenantID, Slug: v.TenantSlug, Name: v.TenantName, CreatedAt: v.TenantCreatedAt},
		Permissions: v.Permissions,
	}, nil
}

// maxUserGroups bounds userGroups: a title per person is not a BI question.
const maxUserGroups = 1000

var userGroupColumns = map[model.UserGroupField]string{
	model.UserGroupFieldDepartment: user.FieldDepartment, model.UserGroupFieldDivision: user.FieldDivision,
	model.UserGroupFieldCompany: user.FieldCompany, model.UserGroupFieldOffice: user.FieldOffice,
	model.UserGroupFieldCostCenter: user.FieldCostCenter, model.UserGroupFieldTitle: user.FieldTitle,
	model.UserGroupFieldState: user.FieldState, model.UserGroupFieldType: user.FieldType,
}

// userGroups counts users per value of one field in a single grouped statement.
func userGroups(ctx context.Context, client *ent.Client, by model.UserGroupField, where *ent.UserWhereInput, limit *int) ([]*model.UserGroup, error) {
	n := maxUserGroups
	if limit != nil {
		if *limit < 0 || *limit > maxUserGroups {
			return nil, apierror.BadInputf("limit must be between 0 and %d, got %d", maxUserGroups, *limit)
		}
		n = *limit
	}
	q, err := where.Filter(client.User.Query())
	if err != nil {
		return nil, apierror.BadInput(err)
	}
	column := userGroupColumns[by]
	var rows []struct {
		Value string `sql:"value"`
		Count int    `sql:"count"`
	}
	err = q.Modify(func(s *sql.Selector) {
		s.Select(sql.As(s.C(column), "value"), sql.As(sql.Count("*"), "count")).
			GroupBy(s.C(column)).
			OrderBy(sql.Desc("count"), sql.Asc("value")).
			Limit(n)
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	groups := make([]*model.UserGroup, len(rows))
	for i, r := range rows {
		groups[i] = &model.UserGroup{Value: r.Value, Count: r.Count}
	}
	return groups, nil
}
