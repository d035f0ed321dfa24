package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Permissions are checked in two places that share requirePermission: the
// @hasPermission directive on fields whose type is known from the schema, and
// nodeTypePermission for Node-typed fields (node, nodes, AuditEvent.record),
// whose type is known only from the id.

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

// nodeTypePermission is the permission that reading a node of each table needs.
var nodeTypePermission = map[string]string{
	user.Table:             viewer.DirectoryUserView,
	identity.Table:         viewer.DirectoryUserView,
	integration.Table:      viewer.DirectoryUserView,
	resource.Table:         viewer.DirectoryUserView,
	policyruleset.Table:    viewer.PolicyView,
	policyrule.Table:       viewer.PolicyView,
	policycondition.Table:  viewer.PolicyView,
	policyassignment.Table: viewer.PolicyView,
	auditevent.Table:       viewer.AuditView,
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
