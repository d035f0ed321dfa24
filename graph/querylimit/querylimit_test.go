package querylimit_test

import (
	"strconv"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/querylimit"
)

func TestMeasure(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		want  querylimit.Measure
	}{
		{"scalars are free", `{ viewer { permissions } }`, nil, querylimit.Measure{Depth: 2, Fields: 2, Cost: 1}},
		{"a page multiplies its nodes", `{ users(first: 10) { nodes { id manager { id } } } }`, nil,
			// users 1, nodes 10, manager 10
			querylimit.Measure{Depth: 4, Fields: 5, Cost: 21}},
		{"no first means the default page", `{ users { totalCount } }`, nil, querylimit.Measure{Depth: 2, Fields: 2, Cost: 1}},
		{"nested pages multiply", `{ users(first: 10) { nodes { directReports(first: 5) { nodes { id } } } } }`, nil,
			// users 1, nodes 10, directReports 10, nodes 50
			querylimit.Measure{Depth: 5, Fields: 5, Cost: 71}},
		{"page size from a variable", `query($n: Int) { users(first: $n) { nodes { id } } }`, map[string]any{"n": 7},
			querylimit.Measure{Depth: 3, Fields: 3, Cost: 8}},
		{"last counts like first", `{ users(last: 3) { edges { node { id } } } }`, nil,
			// users 1, edges 3, node 3
			querylimit.Measure{Depth: 4, Fields: 4, Cost: 7}},
		{"fragments count where spread", `{ a: users(first: 2) { nodes { ...F } } b: users(first: 3) { nodes { ...F } } }
			fragment F on User { manager { id } }`, nil,
			// a 1 + nodes 2 + manager 2, b 1 + nodes 3 + manager 3
			querylimit.Measure{Depth: 4, Fields: 8, Cost: 12}},
		{"nodes(ids:) multiplies by the ids", `{ nodes(ids: ["a", "b", "c"]) { ... on User { manager { id } } } }`, nil,
			querylimit.Measure{Depth: 3, Fields: 3, Cost: 4}},
		{"a sized list multiplies by its size", `{ users(first: 10) { nodes { managementChain { user { id } } } } }`, nil,
			// users 1, nodes 10, managementChain 10, user 10 x 16 (@listSize)
			querylimit.Measure{Depth: 5, Fields: 5, Cost: 181}},
		{"introspection is priced flat", `{ __schema { types { name fields { name } } } }`, nil,
			querylimit.Measure{Depth: 1, Fields: 1, Cost: 5000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tc.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			vars := map[string]any{}
			for k, v := range tc.vars {
				vars[k] = int64(v.(int))
			}
			got := querylimit.Of(doc.Operations[0], vars, 100, 0)
			if got.Depth != tc.want.Depth || got.Fields != tc.want.Fields || got.Cost != tc.want.Cost {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestMeasureStopsEarly: a fragment that doubles at every level would expand to
// 2^20 fields; the walk gives up just past the limit.
func TestMeasureStopsEarly(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	query := `{ viewer { tenant { ...F0 } } }`
	for i := range 20 {
		query += "\nfragment F" + strconv.Itoa(i) + " on Tenant { a: id " + spread(i+1) + " b: id " + spread(i+1) + " }"
	}
	query += "\nfragment F20 on Tenant { id }"
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	if got := querylimit.Of(doc.Operations[0], nil, 100, 500); got.Fields > 510 {
		t.Fatalf("walked %d fields", got.Fields)
	}
}

func spread(i int) string { return "...F" + strconv.Itoa(i) }
