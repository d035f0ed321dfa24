package loader

import (
	"context"
	"encoding/binary"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/internal/orgpath"
	"github.com/idgraph/idgraph/internal/policy"
)

// A projection is the columns a batch selects: the id, the foreign keys of the
// relations the query selects below the rows, and the scalar fields it selects.
// Loading only those keeps wide rows (JSON metadata, raw vendor profiles) out of
// pages that do not show them. A batch is keyed by its projection, so siblings
// selecting different fields never share a row that lacks one.
type shape struct {
	columns    map[string]string    // GraphQL field -> column
	references map[string]reference // GraphQL field -> the to-one relation it follows
}

// A reference is a to-one relation: the row's column holding the target's id,
// and the target's GraphQL type ("" when the target's type varies, as with
// Node). Resolvers serve it through the target type's ByID loader.
type reference struct {
	column, target string
}

func newShape(columns []string, references map[string]reference) shape {
	s := shape{columns: make(map[string]string, len(columns)+len(references)), references: references}
	for _, c := range columns {
		s.columns[graphqlName(c)] = c
	}
	for field, r := range references {
		s.columns[field] = r.column
	}
	return s
}

// graphqlName is the field name entgql (with idgraph's Id spelling) gives a column.
func graphqlName(column string) string {
	var b strings.Builder
	upper := false
	for _, r := range column {
		if r == '_' {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Projection returns the columns (besides the id) that rows of typ need for the
// selections, sorted; nil means all columns (a type idgraph does not know).
func Projection(ctx context.Context, typ string, selections ...graphql.CollectedField) []string {
	s, ok := shapes[typ]
	if !ok {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	seen := map[string]bool{}
	var cols []string
	for _, sel := range selections {
		for _, f := range graphql.CollectFields(oc, sel.Selections, []string{typ, "Node"}) {
			if c, ok := s.columns[f.Name]; ok && c != "id" && !seen[c] {
				seen[c] = true
				cols = append(cols, c)
			}
			if derive := derivedFrom[typ][f.Name]; derive != nil {
				for _, c := range derive(oc, f) {
					if !seen[c] {
						seen[c] = true
						cols = append(cols, c)
					}
				}
			}
		}
	}
	slices.Sort(cols)
	if len(cols) == 0 {
		// ent reads every column when none is named; tenant_id is cheap and always there.
		cols = []string{"tenant_id"}
	}
	return cols
}

// derivedFrom names the columns of fields computed from several columns of
// the row, by type and field: the directory attributes read the six org
// columns, and so does their count; a state reads expires_at too (a record
// past it reads as expired).
var derivedFrom = map[string]map[string]func(*graphql.OperationContext, graphql.CollectedField) []string{
	"Identity":         {"state": expiresAt},
	"PolicyAssignment": {"state": expiresAt},
	"User": {
		"state":           expiresAt,
		"managementChain": func(*graphql.OperationContext, graphql.CollectedField) []string { return []string{orgpath.Column} },
		"attributes":      func(*graphql.OperationContext, graphql.CollectedField) []string { return policy.FixedAttributes },
		"counts": func(oc *graphql.OperationContext, f graphql.CollectedField) []string {
			for _, c := range graphql.CollectFields(oc, f.Selections, nil) {
				if c.Name == "directoryAttributes" {
					return policy.FixedAttributes
				}
			}
			return nil
		},
	},
}

func expiresAt(*graphql.OperationContext, graphql.CollectedField) []string {
	return []string{"expires_at"}
}

// nodeSelections returns the selections that apply to a connection's nodes:
// connection { nodes { … } edges { node { … } } }.
func nodeSelections(ctx context.Context, conn graphql.CollectedField) []graphql.CollectedField {
	oc := graphql.GetOperationContext(ctx)
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(oc, conn.Selections, nil) {
		switch f.Name {
		case "nodes":
			out = append(out, f)
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, nil) {
				if e.Name == "node" {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// ConnectionProjection is the projection of the nodes of the connection field being resolved.
func ConnectionProjection(ctx context.Context, typ string) []string {
	return connectionProjection(ctx, graphql.GetFieldContext(ctx).Field, typ)
}

// connectionProjection is the projection of the nodes of a connection field of the query.
func connectionProjection(ctx context.Context, field graphql.CollectedField, typ string) []string {
	return memo(ctx, memoKey{siteOf(field), "nodes", typ}, func() []string {
		return Projection(ctx, typ, nodeSelections(ctx, field)...)
	})
}

// FieldProjection is the projection of the object field being resolved.
func FieldProjection(ctx context.Context, typ string) []string {
	return fieldProjection(ctx, typ, graphql.GetFieldContext(ctx).Field)
}

// fieldProjection is the projection of an object field of the query.
func fieldProjection(ctx context.Context, typ string, field graphql.CollectedField) []string {
	return memo(ctx, memoKey{siteOf(field), "object", typ}, func() []string { return Projection(ctx, typ, field) })
}

// memo computes a value once per field of the query and request: every sibling
// resolving the same field (the manager of each of 100 users) has the same
// selections and arguments, so what is derived from them is the same too.
func memo[V any](ctx context.Context, key memoKey, compute func() V) V {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		return compute()
	}
	l.memoMu.Lock()
	v, ok := l.memo[key]
	l.memoMu.Unlock()
	if ok {
		return v.(V)
	}
	computed := compute()
	l.memoMu.Lock()
	l.memo[key] = computed
	l.memoMu.Unlock()
	return computed
}

// memoKey names what is memoised of a field: a kind of value, for a type (a
// polymorphic field such as node(id:) projects each type differently).
type memoKey struct {
	site      site
	kind, typ string
}

// site is where in the query a field is answered: its first occurrence in the
// document and, when GraphQL merged other occurrences of the same response key
// into it, the selections it merged. A fragment's field is one *ast.Field in
// every place the fragment is spread, but may merge differently in each: the
// manager { id } of a fragment spread both where manager { fullName } is
// selected too and where it is not.
type site struct {
	field  *ast.Field
	merged string
}

func siteOf(f graphql.CollectedField) site {
	s := site{field: f.Field}
	// Unmerged, a field's selections are its own; merging only appends.
	if f.Field == nil || len(f.Selections) == len(f.Field.SelectionSet) {
		return s
	}
	b := make([]byte, 0, 8*len(f.Selections))
	for _, sel := range f.Selections {
		b = binary.LittleEndian.AppendUint64(b, uint64(reflect.ValueOf(sel).Pointer()))
	}
	s.merged = string(b)
	return s
}
