package schema

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/ent/intercept"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Tenant isolation lives here and nowhere else: every entity with a recordMixin
// reads and writes only the rows of the viewer's tenant. A context with neither a
// viewer nor viewer.System is refused, so forgetting to authenticate fails closed.

// requires marks a GraphQL field as needing a token permission; graph/permissions.go
// implements the directive, and the field is made nullable so a refusal nulls
// only itself.
func requires(permission string) entgql.Directive {
	return entgql.NewDirective("hasPermission",
		&ast.Argument{Name: "permission", Value: &ast.Value{Raw: permission, Kind: ast.StringValue}})
}

// ErrNoViewer is returned for data access from a context that has no viewer.
var ErrNoViewer = errors.New("tenancy: no viewer in context")

func tenantOf(ctx context.Context) (id string, all bool, err error) {
	if viewer.IsSystem(ctx) {
		return "", true, nil
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.TenantID == "" {
		return "", false, ErrNoViewer
	}
	return v.TenantID, false, nil
}

// Interceptors scope every query (roots, loaders, counts, and traversals through
// edges) to the viewer's tenant, and leave soft-deleted records out. ent applies
// them when the query is prepared, before modifiers, so windowed batch pages are
// filtered inside the window.
func (recordMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			id, all, err := tenantOf(ctx)
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
	}
}

// Hooks stamp new rows with the viewer's tenant and confine updates and deletes
// to it, and count every update in the row's version.
func (recordMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		bumpVersion,
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				id, all, err := tenantOf(ctx)
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
