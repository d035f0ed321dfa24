package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
)

// idOf implements @idOf, the one check of the ids a request sends as
// arguments and input fields: each must name a node of one of the types the
// schema gives, or the request gets BAD_USER_INPUT before anything runs. An
// absent optional id passes.
func idOf(ctx context.Context, _ any, next graphql.Resolver, types []string) (any, error) {
	v, err := next(ctx)
	if err != nil {
		return nil, err
	}
	var id string
	switch v := v.(type) {
	case string:
		id = v
	case *string:
		if v == nil {
			return v, nil
		}
		id = *v
	default:
		return nil, fmt.Errorf("@idOf on a %T", v)
	}
	for _, t := range types {
		if strings.HasPrefix(id, idPrefix[t]+"_") {
			if err := gid.Validate(id, idPrefix[t]); err != nil {
				return nil, apierror.BadInput(err)
			}
			return v, nil
		}
	}
	if _, err := gid.Table(id); err != nil {
		return nil, apierror.BadInput(err)
	}
	return nil, apierror.BadInput(fmt.Errorf("%w: %q is not the id of a %s", gid.ErrMalformed, apierror.Clip(id), strings.Join(types, " or ")))
}
