package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSlice marshals a list's elements one after another. The generated
// executor calls it where gqlgen would call graphql.MarshalSliceConcurrently,
// which starts a goroutine per element (graph/gqlgenc makes the switch): the
// loaders batch by sibling group, so the goroutines bought nothing, and their
// stack growth alone cost an eighth of a users page's CPU. The element context,
// panic recovery and cancellation behave as in gqlgen's version.
func marshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	// One allocation for every element's field context and index, where taking
	// &i and a new FieldContext per element cost two (a users page has hundreds).
	fields := make([]graphql.FieldContext, length)
	indexes := make([]int, length)
	for i := range length {
		indexes[i] = i
		fields[i].Index = &indexes[i]
		childCtx := graphql.WithFieldContext(ctx, &fields[i])
		if err := ctx.Err(); err != nil {
			graphql.AddError(childCtx, err)
			for j := i; j < length; j++ {
				ret[j] = graphql.Null
			}
			break
		}
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}
