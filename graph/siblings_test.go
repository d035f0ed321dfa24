package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
)

// TestSiblingPagesShareAStatement: pages of users beside each other on one
// object (a user's direct reports and secondary accounts) are read in one
// statement, and every field answers exactly what it answers when asked
// alone: the same rows in the same order, the same totals, whatever columns
// each selects, inside a page of users and on a single user.
func TestSiblingPagesShareAStatement(t *testing.T) {
	srv := graphtest.New(t, 300)
	// Each field alone, then all together under one object.
	fields := []string{
		`directReports(first: 3) { totalCount nodes { id fullName } }`,
		`secondaryUsers { totalCount nodes { id fullName state } }`,
		`few: directReports(first: 1) { totalCount nodes { id } }`,                 // a page of one counts apart
		`again: secondaryUsers { totalCount nodes { id fullName state } }`,         // the same page twice
		`active: directReports(first: 3, where: {state: active}) { nodes { id } }`, // a filter: read on its own
		`fromVariable: secondaryUsers(first: $n) { nodes { id email } }`,
		`... on User { viaFragment: directReports(first: 2) { nodes { id title } } }`,
	}
	const page = `query%s { users(first: 40, where: {or: [{hasDirectReports: true}, {hasSecondaryUsers: true}]}) { nodes { id %s } } }`
	const one = `query($id: ID!%s) { user(id: $id) { id %s } }`
	vars := map[string]any{"n": 2}
	// n is declared only where it is used.
	declared := func(f, with string) string {
		if strings.Contains(f, "$n") {
			return with
		}
		return ""
	}

	var alone []map[string]any
	for _, f := range fields {
		v := map[string]any{}
		if strings.Contains(f, "$n") {
			v = vars
		}
		alone = append(alone, answer(t, srv, fmt.Sprintf(page, declared(f, "($n: Int)"), f), v))
	}
	var sent []string
	srv.DB.Statements.Trace = func(q string, _ []any) { sent = append(sent, q) }
	together := srv.Query(t, fmt.Sprintf(page, "($n: Int)", strings.Join(fields, "\n")), vars)
	srv.DB.Statements.Trace = nil
	if len(together.Errors) > 0 {
		t.Fatalf("errors: %+v", together.Errors)
	}
	var all map[string]any
	if err := json.Unmarshal(together.Data, &all); err != nil {
		t.Fatal(err)
	}
	users := nodesOf(t, all, "users")
	if len(users) < 10 {
		t.Fatalf("the page has %d users; the test needs managers and secondary accounts", len(users))
	}
	for i, f := range fields {
		theirs := nodesOf(t, alone[i], "users")
		if len(theirs) != len(users) {
			t.Fatalf("%s: %d users alone, %d together", f, len(theirs), len(users))
		}
		for j, u := range theirs {
			for key, want := range u {
				if got := users[j][key]; !jsonEqual(got, want) {
					t.Errorf("%s, user %d, %s: together %v, alone %v", f, j, key, got, want)
				}
			}
		}
	}
	// The root page; one statement for the pages of directReports(first: 3),
	// secondaryUsers (asked twice, read once), directReports(first: 1),
	// secondaryUsers(first: $n) and directReports(first: 2); the filtered page.
	unions := 0
	for _, q := range sent {
		if strings.Contains(q, "UNION ALL") && strings.Contains(q, "sibling_page") {
			unions++
			if n := strings.Count(q, "UNION ALL"); n != 4 {
				t.Errorf("the pages read together are %d, want 5:\n%s", n+1, q)
			}
		}
	}
	if unions != 1 || together.Statements != 3 {
		t.Errorf("%d statements (%d reading pages together), want 3 (1):\n%s", together.Statements, unions, strings.Join(sent, "\n"))
	}

	// On one user: the same answers as each field alone, in fewer statements.
	id := profileUserID(t, srv)
	separately := int64(0)
	var oneAlone []map[string]any
	for _, f := range fields {
		v := map[string]any{"id": id}
		if strings.Contains(f, "$n") {
			v["n"] = vars["n"]
		}
		resp := srv.Query(t, fmt.Sprintf(one, declared(f, ", $n: Int"), f), v)
		separately += resp.Statements - 1 // each also reads the user
		var out map[string]any
		if err := json.Unmarshal(resp.Data, &out); err != nil {
			t.Fatal(err)
		}
		oneAlone = append(oneAlone, out)
	}
	vars["id"] = id
	resp := srv.Query(t, fmt.Sprintf(one, ", $n: Int", strings.Join(fields, "\n")), vars)
	var got map[string]any
	if err := json.Unmarshal(resp.Data, &got); err != nil {
		t.Fatal(err)
	}
	for i, f := range fields {
		for key, want := range oneAlone[i]["user"].(map[string]any) {
			if have := got["user"].(map[string]any)[key]; !jsonEqual(have, want) {
				t.Errorf("one user, %s, %s: together %v, alone %v", f, key, have, want)
			}
		}
	}
	// Six fields' pages in one statement: five statements fewer.
	if want := 1 + separately - 5; resp.Statements != want {
		t.Errorf("one user: %d statements, want %d", resp.Statements, want)
	}
}

// answer runs query and returns its data.
func answer(t *testing.T, srv *graphtest.Server, query string, vars map[string]any) map[string]any {
	t.Helper()
	resp := srv.Query(t, query, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", query, resp.Errors)
	}
	var out map[string]any
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// nodesOf is data[root].nodes.
func nodesOf(t *testing.T, data map[string]any, root string) []map[string]any {
	t.Helper()
	conn, _ := data[root].(map[string]any)
	list, _ := conn["nodes"].([]any)
	out := make([]map[string]any, len(list))
	for i, n := range list {
		out[i], _ = n.(map[string]any)
	}
	return out
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
