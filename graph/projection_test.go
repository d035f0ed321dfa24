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

// TestFragmentFieldsMergeWhereSpread: a fragment's field is one node of the
// document wherever the fragment is spread, but GraphQL merges it with what
// each place selects beside it. Here the fragment's manager { id } is merged
// with manager { fullName email } on the user and stands alone on its reports:
// each place must load the columns it selects, whichever resolves first.
func TestFragmentFieldsMergeWhereSpread(t *testing.T) {
	srv := graphtest.New(t, 200)
	type boss struct{ ID, FullName, Email string }
	var want struct {
		Users struct {
			Nodes []struct {
				Manager       *boss
				DirectReports struct{ Nodes []struct{ Manager *boss } }
			}
		}
	}
	srv.Query(t, `{ users(first: 20, where: {hasManager: true, hasDirectReports: true}) { nodes {
		manager { id fullName email } directReports(first: 3) { nodes { manager { id } } } } } }`, nil).Decode(t, &want)
	for _, order := range []string{
		`nodes { ...P manager { fullName email } directReports(first: 3) { nodes { ...P } } }`,
		`nodes { directReports(first: 3) { nodes { ...P } } ...P manager { fullName email } }`,
		`nodes { ...P manager { ...P fullName email } directReports(first: 3) { nodes { ...P } } }`,
	} {
		var got struct {
			Users struct {
				Nodes []struct {
					Manager       *boss
					DirectReports struct{ Nodes []struct{ Manager *boss } }
				}
			}
		}
		srv.Query(t, `{ users(first: 20, where: {hasManager: true, hasDirectReports: true}) { `+order+` } }
			fragment P on User { manager { id } }`, nil).Decode(t, &got)
		if len(got.Users.Nodes) == 0 || len(got.Users.Nodes) != len(want.Users.Nodes) {
			t.Fatalf("%d users, want %d", len(got.Users.Nodes), len(want.Users.Nodes))
		}
		for i, w := range want.Users.Nodes {
			g := got.Users.Nodes[i]
			if g.Manager == nil || *g.Manager != *w.Manager || w.Manager.FullName == "" || w.Manager.Email == "" {
				t.Fatalf("%s: user %d's manager %+v, want %+v", order, i, g.Manager, w.Manager)
			}
			for j, r := range w.DirectReports.Nodes {
				if g.DirectReports.Nodes[j].Manager.ID != r.Manager.ID {
					t.Fatalf("%s: report %d of user %d: manager %+v", order, j, i, g.DirectReports.Nodes[j].Manager)
				}
			}
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

func TestNestedLastAndNodeFragments(t *testing.T) {
	srv := graphtest.New(t, 200)
	var page struct {
		Users struct {
			Nodes []struct {
				ID        string
				All, Tail struct{ Nodes []struct{ ID string } }
				TailInfo  struct {
					PageInfo struct{ HasPreviousPage bool }
				}
			}
		}
	}
	srv.Query(t, `{ users(first: 20, where: {hasDirectReports: true}) { nodes { id
		all: directReports(first: 100, orderBy: [{field: FULL_NAME}]) { nodes { id } }
		tail: directReports(last: 2, orderBy: [{field: FULL_NAME}]) { nodes { id } }
		tailInfo: directReports(last: 2, orderBy: [{field: FULL_NAME}]) { pageInfo { hasPreviousPage } } } } }`, nil).Decode(t, &page)
	if len(page.Users.Nodes) == 0 {
		t.Fatal("no managers")
	}
	for _, u := range page.Users.Nodes {
		all, tail := u.All.Nodes, u.Tail.Nodes
		if len(all) < 3 || len(tail) != 2 || tail[0] != all[len(all)-2] || tail[1] != all[len(all)-1] {
			t.Fatalf("user %s: last 2 %v of %v", u.ID, tail, all)
		}
		if !u.TailInfo.PageInfo.HasPreviousPage {
			t.Fatalf("user %s: last 2 of %d has no previous page", u.ID, len(all))
		}
	}

	id := page.Users.Nodes[0].ID
	var node struct {
		Node struct {
			ID, FullName, Email string
			Manager             *struct{ ID string }
		}
	}
	srv.Query(t, `query($id: ID!) { node(id: $id) { id ... on User { fullName email manager { id } } } }`,
		map[string]any{"id": id}).Decode(t, &node)
	if node.Node.ID != id || node.Node.FullName == "" || node.Node.Email == "" {
		t.Fatalf("node with fragment: %+v", node.Node)
	}
}
