package graph_test

import (
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
)

// TestProjectionKeepsEveryAliasWhole: batches load only the columns a selection
// needs, so two aliases that select different fields of the same rows must each
// get their own fields, and nested relations still find their foreign keys.
func TestProjectionKeepsEveryAliasWhole(t *testing.T) {
	srv := graphtest.New(t, 200)
	type person struct {
		ID, Email, FullName, Department string
		Manager                         *struct{ ID, Email, FullName string }
	}
	var full struct{ Users struct{ Nodes []person } }
	srv.Query(t, `{ users(first: 30) { nodes { id email fullName department manager { id email fullName } } } }`, nil).Decode(t, &full)
	var split struct {
		A, B struct{ Nodes []person }
	}
	srv.Query(t, `{
		a: users(first: 30) { nodes { id email manager { email } } }
		b: users(first: 30) { edges { node { id fullName department manager { fullName } } } nodes { id } }
	}`, nil).Decode(t, &split)
	var b struct {
		B struct {
			Edges []struct{ Node person }
		}
	}
	srv.Query(t, `{ b: users(first: 30) { edges { node { id fullName department manager { fullName } } } } }`, nil).Decode(t, &b)
	for i, want := range full.Users.Nodes {
		a, bb := split.A.Nodes[i], b.B.Edges[i].Node
		if a.Email != want.Email || bb.FullName != want.FullName || bb.Department != want.Department || want.Email == "" {
			t.Fatalf("row %d: alias a %+v, alias b %+v, full %+v", i, a, bb, want)
		}
		if (want.Manager == nil) != (a.Manager == nil) || (want.Manager != nil &&
			(a.Manager.Email != want.Manager.Email || bb.Manager.FullName != want.Manager.FullName)) {
			t.Fatalf("row %d manager: a %+v, b %+v, full %+v", i, a.Manager, bb.Manager, want.Manager)
		}
	}
}

// TestCursorOnUnselectedOrderField pages by last name while selecting only ids:
// the cursor still needs the last name, so the projection must carry it.
func TestCursorOnUnselectedOrderField(t *testing.T) {
	srv := graphtest.New(t, 120)
	var ids []string
	var after any
	for {
		var page struct {
			Users struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []struct{ ID string }
			}
		}
		srv.Query(t, `query($after: Cursor) { users(first: 25, after: $after, orderBy: [{field: LAST_NAME}]) {
			pageInfo { hasNextPage endCursor } nodes { id } } }`, map[string]any{"after": after}).Decode(t, &page)
		for _, n := range page.Users.Nodes {
			ids = append(ids, n.ID)
		}
		if !page.Users.PageInfo.HasNextPage {
			break
		}
		after = page.Users.PageInfo.EndCursor
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s returned twice", id)
		}
		seen[id] = true
	}
	if len(ids) != srv.Seed.Users {
		t.Fatalf("paged %d users, seeded %d", len(ids), srv.Seed.Users)
	}
}
