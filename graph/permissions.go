package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Permissions are checked in three places that share requirePermission: the
// view permission of the node type every object field returns
// (checkViewPermission), the @hasPermission directive on fields that need
// more (counts across domains, raw profiles), and nodeTypePermission for
// Node-typed fields (node, nodes, AuditEvent.record), whose type is known only
// from the id.

// hasPermission implements @hasPermission: the field resolves only when the
// viewer holds the permission.
func hasPermission(ctx context.Context, _ any, next graphql.Resolver, permission string) (any, error) {
	if err := requirePermission(ctx, permission); err != nil {
		return nil, err
	}
	return next(ctx)
}

func requirePermission(ctx context.Context, permission string) error {
	if viewer.FromContext(ctx).Can(permission) {
		return nil
	}
	return &apierror.Error{
		Code:       apierror.CodeForbidden,
		Message:    "this API token lacks the " + permission + " permission",
		Extensions: map[string]any{"permission": permission},
	}
}

// nodeTypeOf is the node type a field returning typeName returns: the type of
// the nodes of a connection or edge, else typeName itself.
func nodeTypeOf(typeName string) string {
	for _, suffix := range []string{"Connection", "Edge"} {
		if t, ok := strings.CutSuffix(typeName, suffix); ok {
			return t
		}
	}
	return typeName
}

// checkViewPermission runs before every field: a field that returns objects
// of a node type (an object, a list, a connection) needs that type's view
// permission, wherever it is, so a token that may only write users cannot read
// the directory through what its mutations return.
func checkViewPermission(ctx context.Context) error {
	if fc := graphql.GetFieldContext(ctx); fc.Field.Field != nil && len(fc.Field.Selections) > 0 {
		if p, ok := viewPermission[nodeTypeOf(fc.Field.Definition.Type.Name())]; ok {
			return requirePermission(ctx, p)
		}
	}
	return nil
}

// requireNodePermission checks the permission for the type an id names. Ids of
// types that are not nodes pass: loading them reports NOT_FOUND.
func requireNodePermission(ctx context.Context, id string) error {
	table, err := gid.Table(id)
	if err != nil {
		return nil // the loader reports the malformed id
	}
	if p, ok := nodeTypePermission[table]; ok {
		return requirePermission(ctx, p)
	}
	return nil
}

// filterPermissions is a gqlgen extension that checks, before an operation
// runs, that every edge filter in its where arguments (has<Edge>,
// has<Edge>With, at any depth) reaches only node types the token may read:
// a filter answers a yes-or-no question about the rows it reaches, so it needs
// the permission reading them would.
type filterPermissions struct{ schema *ast.Schema }

func (*filterPermissions) ExtensionName() string { return "FilterPermissions" }

func (f *filterPermissions) Validate(s graphql.ExecutableSchema) error {
	f.schema = s.Schema()
	return nil
}

func (f *filterPermissions) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	var err error
	seen := map[*ast.SelectionSet]bool{}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if err != nil {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				if s.Definition != nil {
					for _, arg := range s.Arguments {
						if def := s.Definition.Arguments.ForName(arg.Name); def != nil && err == nil {
							if v, verr := arg.Value.Value(oc.Variables); verr == nil {
								err = f.checkFilter(ctx, f.schema.Types[def.Type.Name()], v)
							}
						}
					}
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				// Each fragment is checked once: its arguments are the same wherever it is spread.
				if s.Definition != nil && !seen[&s.Definition.SelectionSet] {
					seen[&s.Definition.SelectionSet] = true
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(oc.Operation.SelectionSet)
	if err != nil {
		return wrap(err)
	}
	return nil
}

// checkFilter checks the edge filters of v, a value of the input type def.
func (f *filterPermissions) checkFilter(ctx context.Context, def *ast.Definition, v any) error {
	if def == nil || def.Kind != ast.InputObject {
		return nil
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := f.checkFilter(ctx, def, e); err != nil {
				return err
			}
		}
	case map[string]any:
		for key, value := range x {
			field := def.Fields.ForName(key)
			if field == nil {
				continue
			}
			if strings.HasPrefix(key, "has") {
				with := def.Fields.ForName(strings.TrimSuffix(key, "With") + "With")
				if with != nil {
					target := strings.TrimSuffix(with.Type.Name(), "WhereInput")
					if p, ok := viewPermission[target]; ok {
						if err := requirePermission(ctx, p); err != nil {
							return err
						}
					}
				}
			}
			if err := f.checkFilter(ctx, f.schema.Types[field.Type.Name()], value); err != nil {
				return err
			}
		}
	}
	return nil
}
