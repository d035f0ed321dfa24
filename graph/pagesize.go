package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/internal/apierror"
)

// MaxPageSize caps first and last on every connection.
const MaxPageSize = 100

// checkPageSize enforces the page-size contract on every connection field, root or
// nested, before its resolver runs: first/last must be within 0..MaxPageSize, and a
// connection asked for with neither gets the first MaxPageSize rows rather than all.
func checkPageSize(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Args == nil {
		return next(ctx)
	}
	first, hasFirst := fc.Args["first"].(*int)
	last, hasLast := fc.Args["last"].(*int)
	if !hasFirst && !hasLast {
		return next(ctx)
	}
	for name, v := range map[string]*int{"first": first, "last": last} {
		if v != nil && (*v < 0 || *v > MaxPageSize) {
			return nil, apierror.BadInputf("%s must be between 0 and %d, got %d", name, MaxPageSize, *v)
		}
	}
	if first != nil && last != nil {
		return nil, apierror.BadInputf("pass first or last, not both")
	}
	if first == nil && last == nil {
		size := MaxPageSize
		fc.Args["first"] = &size
	}
	return next(ctx)
}
