package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
)

// TestEveryIDSentIsChecked: ids are checked in one place, @idOf, so every id a
// client sends to a root field or in a mutation input must carry it. node and
// nodes take any type, and filters compare ids rather than load them.
func TestEveryIDSentIsChecked(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	isID := func(ty *ast.Type) bool { return ty.Name() == "ID" && ty.Elem == nil }
	checked := 0
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
		for _, f := range root.Fields {
			if f.Name == "node" || f.Name == "nodes" {
				continue
			}
			for _, a := range f.Arguments {
				if isID(a.Type) {
					checked++
					if a.Directives.ForName("idOf") == nil {
						t.Errorf("%s.%s(%s:) is an id without @idOf", root.Name, f.Name, a.Name)
					}
				}
			}
		}
	}
	for _, f := range schema.Mutation.Fields {
		for _, a := range f.Arguments {
			input := schema.Types[a.Type.Name()]
			if input == nil || input.Kind != ast.InputObject {
				continue
			}
			for _, field := range input.Fields {
				if isID(field.Type) {
					checked++
					if field.Directives.ForName("idOf") == nil {
						t.Errorf("%s.%s is an id without @idOf", input.Name, field.Name)
					}
				}
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked %d ids; the schema sends more", checked)
	}
}

// TestAnIDOfAnotherTypeWritesNothing: a mutation given the id of another type
// is refused before it runs, naming the type it wanted.
func TestAnIDOfAnotherTypeWritesNothing(t *testing.T) {
	srv := graphtest.New(t, 20)
	var out struct {
		Identities struct{ Nodes []struct{ ID string } }
		Users      struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ identities(first: 1) { nodes { id } } users(first: 1) { nodes { id } } }`, nil).Decode(t, &out)
	identity, user := out.Identities.Nodes[0].ID, out.Users.Nodes[0].ID
	events := func() int {
		var c struct{ AuditEvents struct{ TotalCount int } }
		srv.Query(t, `{ auditEvents { totalCount } }`, nil).Decode(t, &c)
		return c.AuditEvents.TotalCount
	}
	before := events()
	for _, tc := range []struct{ query, want string }{
		{`mutation($id: ID!) { updateUser(input: {id: $id, title: "x"}) { user { id } } }`, "User"},
		{`mutation($id: ID!) { setManager(input: {id: "` + user + `", managerId: $id}) { user { id } } }`, "User"},
		{`mutation($id: ID!) { addMembership(input: {identityId: "` + identity + `", resourceId: $id}) { identity { id } } }`, "Resource"},
		{`mutation($id: ID!) { deletePolicyRecord(input: {id: $id}) { deletedId } }`, "PolicyRuleset or PolicyRule"},
	} {
		resp := srv.Query(t, tc.query, map[string]any{"id": identity})
		if got := strings.Join(resp.Codes(), ","); got != "BAD_USER_INPUT" {
			t.Errorf("%s: codes %s: %+v", tc.query, got, resp.Errors)
			continue
		}
		if !strings.Contains(resp.Errors[0].Message, tc.want) {
			t.Errorf("%s: %q does not name %s", tc.query, resp.Errors[0].Message, tc.want)
		}
	}
	if after := events(); after != before {
		t.Errorf("%d log entries before, %d after refused changes", before, after)
	}
}
