package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/internal/apierror"
)

// checkPageSize enforces the page-size contract on every connection field, root
// or nested, before its resolver runs: first/last must be within 0..maxPage,
// only one of them may be given, cursors must belong to the connection, and a
// connection asked for with neither gets its first defaultPage rows rather than
// all. The same two numbers drive the cost model (querylimit.Limits).
func checkPageSize(ctx context.Context, defaultPage, maxPage int) error {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Args == nil {
		return nil
	}
	first, hasFirst := fc.Args["first"].(*int)
	last, hasLast := fc.Args["last"].(*int)
	if !hasFirst && !hasLast {
		return nil
	}
	for name, v := range map[string]*int{"first": first, "last": last} {
		if v != nil && (*v < 0 || *v > maxPage) {
			return apierror.BadInputf("%s must be between 0 and %d, got %d", name, maxPage, *v)
		}
	}
	if first != nil && last != nil {
		return apierror.BadInputf("pass first or last, not both")
	}
	for _, name := range []string{"after", "before"} {
		if c, ok := fc.Args[name].(*entgql.Cursor[string]); ok && c != nil {
			if err := checkCursor(name, c, fc.Args["orderBy"]); err != nil {
				return err
			}
		}
	}
	if first == nil && last == nil {
		size := defaultPage
		fc.Args["first"] = &size
	}
	return nil
}

// checkCursor refuses a cursor that no page of this connection, in this order,
// could have handed out: its values must be scalars, one per orderBy field.
// A forged one would otherwise reach the SQL builder and fail there.
func checkCursor(name string, c *entgql.Cursor[string], orderBy any) error {
	bad := apierror.BadInputf("%s is not a cursor of this connection in this order", name)
	if c.Value == nil {
		return nil
	}
	values, ok := c.Value.([]any)
	if !ok {
		return bad
	}
	if n := reflect.ValueOf(orderBy); n.Kind() == reflect.Slice && n.Len() != len(values) {
		return bad
	}
	for _, v := range values {
		switch v.(type) {
		case nil, string, bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, time.Time:
		default:
			return bad
		}
	}
	return nil
}

// schemaFor is the schema as a handler whose pages hold at most maxPage rows
// describes it: the schema files say "(at most 100)", the default, on every
// first and last; another limit gets a copy of the schema whose descriptions
// state it, so the playground's docs and the check agree.
func schemaFor(maxPage int) *ast.Schema {
	s := NewExecutableSchema(Config{}).Schema()
	const written = "(at most 100)"
	if maxPage == 100 {
		return s
	}
	stated := fmt.Sprintf("(at most %d)", maxPage)
	c := *s
	c.Types = make(map[string]*ast.Definition, len(s.Types))
	for name, def := range s.Types {
		d := *def
		d.Fields = make(ast.FieldList, len(def.Fields))
		for i, f := range def.Fields {
			fc := *f
			fc.Arguments = make(ast.ArgumentDefinitionList, len(f.Arguments))
			for j, a := range f.Arguments {
				ac := *a
				ac.Description = strings.ReplaceAll(a.Description, written, stated)
				fc.Arguments[j] = &ac
			}
			d.Fields[i] = &fc
		}
		c.Types[name] = &d
	}
	remap := func(m map[string][]*ast.Definition) map[string][]*ast.Definition {
		out := make(map[string][]*ast.Definition, len(m))
		for k, defs := range m {
			for _, d := range defs {
				out[k] = append(out[k], c.Types[d.Name])
			}
		}
		return out
	}
	c.PossibleTypes, c.Implements = remap(s.PossibleTypes), remap(s.Implements)
	for _, root := range []**ast.Definition{&c.Query, &c.Mutation, &c.Subscription} {
		if *root != nil {
			*root = c.Types[(*root).Name]
		}
	}
	return &c
}
