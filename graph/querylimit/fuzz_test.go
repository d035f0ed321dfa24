package querylimit_test

import (
	"encoding/json"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/querylimit"
)

// FuzzMeasure: measuring any valid operation with any variables ends, without
// panicking, with a cost and counts that are never negative.
func FuzzMeasure(f *testing.F) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	f.Add(`{ users(first: 10) { nodes { id manager { id } } } }`, `{}`)
	f.Add(`query($n: Int, $w: UserWhereInput) { users(first: $n, where: $w) { totalCount } }`, `{"n": -5, "w": {"or": [{"and": [{}]}]}}`)
	f.Add(`{ a: users { nodes { ...F } } } fragment F on User { directReports(last: 100) { nodes { ...G } } } fragment G on User { id }`, `null`)
	f.Add(`{ nodes(ids: ["a", "b"]) { id } __schema { types { name } } }`, `{"x": [[[[]]]]}`)
	limits := querylimit.Defaults
	f.Fuzz(func(t *testing.T, query, variables string) {
		var vars map[string]any
		_ = json.Unmarshal([]byte(variables), &vars)
		if err := limits.Variables(vars); err != nil && err.Extensions["code"] == nil {
			t.Fatalf("a refusal without a code: %v", err)
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
		if errs != nil || len(doc.Operations) == 0 {
			return
		}
		for _, op := range doc.Operations {
			m := querylimit.Of(op, vars, limits.DefaultPage, limits.MaxFields)
			if m.Cost < 0 || m.Fields < 0 || m.Depth < 0 || m.Statements < 0 || m.Input.Objects < 0 {
				t.Fatalf("negative measure %+v", m)
			}
		}
	})
}
