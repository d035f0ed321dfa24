package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/ent/intercept"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Tenant isolation lives here: every entity with a recordMixin reads and writes
// only the rows of the viewer's tenant. The subqueries of edge filters, which
// ent builds without interceptors, apply the same rules in ent/template
// (visibleTo), reading the viewer from the statement's context. A context with neither a
// viewer nor viewer.System is refused, so forgetting to authenticate fails closed.

// requires marks a GraphQL field as needing a token permission; graph/permissions.go
// implements the directive, and the field is made nullable so a refusal nulls
// only itself.
func requires(permission string) entgql.Directive {
	return entgql.NewDirective("hasPermission",
		&ast.Argument{Name: "permission", Value: &ast.Value{Raw: permission, Kind: ast.StringValue}})
}

// Interceptors scope every query (roots, loaders, counts, and traversals through
// edges) to the viewer's tenant, and leave soft-deleted records out. ent applies
// them when the query is prepared, before modifiers, so windowed batch pages are
// filtered inside the window.
func (recordMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			id, all, err := viewer.Tenant(ctx)
			if err != nil {
				return err
			}
			if !all {
				q.WhereP(sql.FieldEQ("tenant_id", id))
			}
			// Soft-deleted records leave every list, count and lookup.
			if !viewer.IsIncludingDeleted(ctx) {
				q.WhereP(sql.FieldIsNull("deleted_at"))
			}
			return nil
		}),
		// The statement carries the context, so that the subqueries of edge
		// filters (has<Edge>With) scope themselves to the same viewer: ent gives
		// them the context of the statement they filter, which its Select and
		// Scan paths otherwise leave empty. Modifiers run before predicates there.
		ent.TraverseFunc(func(ctx context.Context, q ent.Query) error {
			if m, ok := q.(interface{ ModifyRows(...func(*sql.Selector)) }); ok {
				m.ModifyRows(func(s *sql.Selector) { s.WithContext(ctx) })
			}
			return nil
		}),
	}
}

// Hooks stamp new rows with the viewer's tenant and confine updates and deletes
// to it, and count every update in the row's version.
func (recordMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		bumpVersion,
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				id, all, err := viewer.Tenant(ctx)
				if err != nil || all {
					if err != nil {
						return nil, err
					}
					return next.Mutate(ctx, m)
				}
				if m.Op().Is(ent.OpCreate) {
					if v, ok := m.Field("tenant_id"); ok && v != id {
						return nil, fmt.Errorf("tenancy: creating a %s in tenant %v from tenant %s", m.Type(), v, id)
					}
					if err := m.SetField("tenant_id", id); err != nil {
						return nil, err
					}
					return next.Mutate(ctx, m)
				}
				w, ok := m.(interface{ WhereP(...func(*sql.Selector)) })
				if !ok {
					return nil, fmt.Errorf("tenancy: %s mutation cannot be scoped", m.Type())
				}
				w.WhereP(sql.FieldEQ("tenant_id", id))
				return next.Mutate(ctx, m)
			})
		},
	}
}

// bumpVersion adds one to the version of every row an update touches, so a
// client holding an older version can be refused (optimistic concurrency).
func bumpVersion(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
			if err := m.AddField("version", 1); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}
