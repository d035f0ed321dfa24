package graph_test

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
)

type userRow struct {
	ID, FullName, Email, State, Department string
	LastAuthenticatedAt                    *time.Time
	Manager                                *struct{ Department string }
	Identities                             struct{ TotalCount int }
}

type usersPage struct {
	Users struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Nodes []userRow
	}
}

const userFields = `totalCount pageInfo { hasNextPage endCursor } nodes { id fullName email state department lastAuthenticatedAt manager { department } identities { totalCount } }`

// allUsers pages through users(where:) with cursors and returns every row.
func allUsers(t *testing.T, srv *graphtest.Server, where map[string]any, orderBy []map[string]any) (rows []userRow, total int) {
	t.Helper()
	var after any
	for {
		var page usersPage
		srv.Query(t, `query($where: UserWhereInput, $orderBy: [UserOrder!], $after: Cursor) {
			users(first: 37, after: $after, where: $where, orderBy: $orderBy) { `+userFields+` } }`,
			map[string]any{"where": where, "orderBy": orderBy, "after": after}).Decode(t, &page)
		rows = append(rows, page.Users.Nodes...)
		total = page.Users.TotalCount
		if !page.Users.PageInfo.HasNextPage {
			return rows, total
		}
		after = page.Users.PageInfo.EndCursor
	}
}

func TestWhereFilters(t *testing.T) {
	srv := graphtest.New(t, 300)
	everyone, total := allUsers(t, srv, nil, nil)
	if len(everyone) != total || total != srv.Seed.Users {
		t.Fatalf("paged %d rows, totalCount %d, seeded %d", len(everyone), total, srv.Seed.Users)
	}
	seen := map[string]bool{}
	for _, u := range everyone {
		if seen[u.ID] {
			t.Fatalf("cursor paging returned %s twice", u.ID)
		}
		seen[u.ID] = true
	}
	cases := []struct {
		name  string
		where map[string]any
		match func(userRow) bool
	}{
		{"enum equality", map[string]any{"state": "active"}, func(u userRow) bool { return u.State == "active" }},
		{"enum in", map[string]any{"stateIn": []string{"staged", "suspended"}}, func(u userRow) bool { return u.State == "staged" || u.State == "suspended" }},
		{"string contains", map[string]any{"fullNameContains": "an"}, func(u userRow) bool { return strings.Contains(u.FullName, "an") }},
		{"string prefix", map[string]any{"emailHasPrefix": "a"}, func(u userRow) bool { return strings.HasPrefix(u.Email, "a") }},
		{"contains treats % as text", map[string]any{"fullNameContains": "%"}, func(u userRow) bool { return strings.Contains(u.FullName, "%") }},
		{"edge predicate", map[string]any{"hasManagerWith": []map[string]any{{"department": "Engineering"}}},
			func(u userRow) bool { return u.Manager != nil && u.Manager.Department == "Engineering" }},
		{"time range", map[string]any{"lastAuthenticatedAtGTE": "2024-10-01T00:00:00Z", "lastAuthenticatedAtLT": "2024-11-01T00:00:00Z"},
			func(u userRow) bool {
				from, to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
				return u.LastAuthenticatedAt != nil && !u.LastAuthenticatedAt.Before(from) && u.LastAuthenticatedAt.Before(to)
			}},
		{"no manager", map[string]any{"hasManager": false}, func(u userRow) bool { return u.Manager == nil }},
		{"edge existence", map[string]any{"hasIdentities": false}, func(u userRow) bool { return u.Identities.TotalCount == 0 }},
		{"or", map[string]any{"or": []map[string]any{{"department": "Sales"}, {"department": "Legal"}}},
			func(u userRow) bool { return u.Department == "Sales" || u.Department == "Legal" }},
		{"not and", map[string]any{"not": map[string]any{"and": []map[string]any{{"department": "Sales"}, {"state": "active"}}}},
			func(u userRow) bool { return !(u.Department == "Sales" && u.State == "active") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total := allUsers(t, srv, tc.where, nil)
			want := 0
			for _, u := range everyone {
				if tc.match(u) {
					want++
				}
			}
			if len(got) != want || total != want {
				t.Fatalf("got %d rows (totalCount %d), want %d", len(got), total, want)
			}
			for _, u := range got {
				if !tc.match(u) {
					t.Fatalf("row does not match: %+v", u)
				}
			}
			if want == 0 && tc.name != "contains treats % as text" {
				t.Fatalf("filter matched nothing: the case proves nothing")
			}
		})
	}
}

func TestOrderByWithTieBreakOnID(t *testing.T) {
	srv := graphtest.New(t, 200)
	got, _ := allUsers(t, srv, nil, []map[string]any{{"field": "DEPARTMENT", "direction": "DESC"}})
	sorted := sort.SliceIsSorted(got, func(i, j int) bool {
		if got[i].Department != got[j].Department {
			return got[i].Department > got[j].Department
		}
		return got[i].ID < got[j].ID
	})
	if !sorted || len(got) != srv.Seed.Users {
		t.Fatalf("not ordered by department desc, then id (%d rows)", len(got))
	}
}

// TestUserResourcesByKind compares User.resources(kind:) with the resources found
// by walking the user's identities and their memberships.
func TestUserResourcesByKind(t *testing.T) {
	srv := graphtest.New(t, 150)
	var out struct {
		Users struct {
			Nodes []struct {
				Resources struct {
					TotalCount int
					Nodes      []struct{ ID, Kind string }
				}
				Counts     struct{ OktaGroups, SlackPublicChannels int }
				Identities struct {
					Nodes []struct {
						Memberships struct{ Nodes []struct{ ID, Kind string } }
					}
				}
			}
		}
	}
	srv.Query(t, `{ users(first: 40) { nodes {
		resources(kind: okta_group, first: 100) { totalCount nodes { id kind } }
		counts { oktaGroups slackPublicChannels }
		identities(first: 5) { nodes { memberships(first: 100) { nodes { id kind } } } } } } }`, nil).Decode(t, &out)
	reached := 0
	for _, u := range out.Users.Nodes {
		walk := map[string]bool{}
		slack := map[string]bool{}
		for _, i := range u.Identities.Nodes {
			for _, r := range i.Memberships.Nodes {
				switch r.Kind {
				case "okta_group":
					walk[r.ID] = true
				case "slack_public_channel":
					slack[r.ID] = true
				}
			}
		}
		if u.Resources.TotalCount != len(walk) || len(u.Resources.Nodes) != len(walk) || u.Counts.OktaGroups != len(walk) {
			t.Fatalf("resources(kind: okta_group) %d rows, totalCount %d, count %d; walking identities finds %d",
				len(u.Resources.Nodes), u.Resources.TotalCount, u.Counts.OktaGroups, len(walk))
		}
		for _, r := range u.Resources.Nodes {
			if !walk[r.ID] || r.Kind != "okta_group" {
				t.Fatalf("unexpected resource %+v", r)
			}
		}
		if u.Counts.SlackPublicChannels != len(slack) {
			t.Fatalf("slackPublicChannels %d, walking finds %d", u.Counts.SlackPublicChannels, len(slack))
		}
		reached += len(walk)
	}
	if reached == 0 {
		t.Fatal("no user reaches any okta group: the test proves nothing")
	}
}

// TestUserGroups: BI-style counts per department come from one grouped statement,
// add up to the filtered total, and stay in the tenant.
func TestUserGroups(t *testing.T) {
	srv := graphtest.New(t, 300)
	srv.SeedTenant(t, "acme", 50)
	var out struct {
		UserGroups []struct {
			Value string
			Count int
		}
		Users struct{ TotalCount int }
	}
	resp := srv.Query(t, `{ userGroups(by: DEPARTMENT, where: {state: active}) { value count } users(where: {state: active}) { totalCount } }`, nil)
	resp.Decode(t, &out)
	sum := 0
	for i, g := range out.UserGroups {
		sum += g.Count
		if i > 0 && g.Count > out.UserGroups[i-1].Count {
			t.Fatalf("not largest first: %+v", out.UserGroups)
		}
	}
	if len(out.UserGroups) < 3 || sum != out.Users.TotalCount {
		t.Fatalf("groups %+v add up to %d, active users %d", out.UserGroups, sum, out.Users.TotalCount)
	}
	if resp.Statements != 2 {
		t.Errorf("%d statements for the groups and the total, want 2", resp.Statements)
	}
	var top struct{ UserGroups []struct{ Value string } }
	srv.Query(t, `{ userGroups(by: STATE, limit: 2) { value } }`, nil).Decode(t, &top)
	if len(top.UserGroups) != 2 {
		t.Fatalf("limit 2: %+v", top.UserGroups)
	}
	if resp := srv.Query(t, `{ userGroups(by: TITLE, limit: 5000) { value } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("limit 5000: %+v", resp.Errors)
	}
}

// TestEveryUserOrderingWalks pages through every user in each ordering, in
// both directions, with the id as the tie-break: each user comes once, in order.
func TestEveryUserOrderingWalks(t *testing.T) {
	srv := graphtest.New(t, 150)
	fields := map[string]string{"FIRST_NAME": "firstName", "USERNAME": "username", "TYPE": "type",
		"DIVISION": "division", "COMPANY": "company", "OFFICE": "office", "COST_CENTER": "costCenter"}
	for field, name := range fields {
		for _, dir := range []string{"ASC", "DESC"} {
			var rows []struct{ ID, Value string }
			var after any
			for {
				var page struct {
					Users struct {
						Nodes    []map[string]string
						PageInfo struct {
							HasNextPage bool
							EndCursor   string
						}
					}
				}
				srv.Query(t, `query($after: Cursor, $by: [UserOrder!]) { users(first: 23, after: $after, orderBy: $by) {
					nodes { id value: `+name+` } pageInfo { hasNextPage endCursor } } }`,
					map[string]any{"after": after, "by": []map[string]any{{"field": field, "direction": dir}}}).Decode(t, &page)
				for _, n := range page.Users.Nodes {
					rows = append(rows, struct{ ID, Value string }{n["id"], n["value"]})
				}
				if !page.Users.PageInfo.HasNextPage {
					break
				}
				after = page.Users.PageInfo.EndCursor
			}
			if len(rows) != srv.Seed.Users {
				t.Errorf("%s %s: %d rows, seeded %d", field, dir, len(rows), srv.Seed.Users)
			}
			for i := 1; i < len(rows); i++ {
				a, b := rows[i-1], rows[i]
				inOrder := a.Value < b.Value || (a.Value == b.Value && a.ID < b.ID)
				if dir == "DESC" {
					inOrder = a.Value > b.Value || (a.Value == b.Value && a.ID < b.ID)
				}
				if !inOrder {
					t.Errorf("%s %s: %v before %v", field, dir, a, b)
					break
				}
			}
		}
	}
}

// TestUsersOrderByTheirCounts walks every user ordered by its count of direct
// reports and of identities, both ways, in pages with cursors: each order is
// by the count the user's counts show, ties by id, nobody lost or repeated;
// and a nested page orders the same way.
func TestUsersOrderByTheirCounts(t *testing.T) {
	srv := graphtest.New(t, 150)
	for field, count := range map[string]string{"DIRECT_REPORTS_COUNT": "directReports", "IDENTITIES_COUNT": "identities"} {
		for _, dir := range []string{"ASC", "DESC"} {
			type row struct {
				ID     string
				Counts map[string]int
			}
			var rows []row
			var after any
			for {
				var page struct {
					Users struct {
						Nodes    []row
						PageInfo struct {
							HasNextPage bool
							EndCursor   string
						}
					}
				}
				srv.Query(t, `query($after: Cursor, $by: [UserOrder!]) { users(first: 17, after: $after, orderBy: $by) {
					nodes { id counts { `+count+` } } pageInfo { hasNextPage endCursor } } }`,
					map[string]any{"after": after, "by": []map[string]any{{"field": field, "direction": dir}}}).Decode(t, &page)
				rows = append(rows, page.Users.Nodes...)
				if !page.Users.PageInfo.HasNextPage {
					break
				}
				after = page.Users.PageInfo.EndCursor
			}
			if len(rows) != srv.Seed.Users {
				t.Errorf("%s %s: %d rows, seeded %d", field, dir, len(rows), srv.Seed.Users)
			}
			for i := 1; i < len(rows); i++ {
				a, b := rows[i-1].Counts[count], rows[i].Counts[count]
				inOrder := a < b || (a == b && rows[i-1].ID < rows[i].ID)
				if dir == "DESC" {
					inOrder = a > b || (a == b && rows[i-1].ID < rows[i].ID)
				}
				if !inOrder {
					t.Fatalf("%s %s: %v before %v", field, dir, rows[i-1], rows[i])
				}
			}
			if dir == "DESC" && rows[0].Counts[count] == 0 {
				t.Errorf("%s DESC starts with a count of 0", field)
			}
		}
	}
	// Largest teams first, below each manager of a page.
	var out struct {
		Users struct {
			Nodes []struct {
				DirectReports struct {
					Nodes []struct{ Counts struct{ DirectReports int } }
				}
			}
		}
	}
	srv.Query(t, `{ users(first: 20, orderBy: [{field: DIRECT_REPORTS_COUNT, direction: DESC}]) { nodes {
		directReports(first: 5, orderBy: [{field: DIRECT_REPORTS_COUNT, direction: DESC}]) { nodes { counts { directReports } } } } } }`, nil).Decode(t, &out)
	for _, u := range out.Users.Nodes {
		for i := 1; i < len(u.DirectReports.Nodes); i++ {
			if u.DirectReports.Nodes[i].Counts.DirectReports > u.DirectReports.Nodes[i-1].Counts.DirectReports {
				t.Fatalf("nested page not largest first: %v", u.DirectReports.Nodes)
			}
		}
	}
}

// TestEveryOrderingWalks pages through every root connection in every order
// its orderBy offers, both ways, 7 rows at a time: each walk returns every row
// once, in order of the field, ties by id; a null sorts below every value
// (a walk by lastAuthenticatedAt DESC once lost the users who never signed in).
func TestEveryOrderingWalks(t *testing.T) {
	srv := graphtest.New(t, 120)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	skipped := map[string]string{}
	walked, nulls := 0, 0
	for _, root := range schema.Query.Fields {
		conn := schema.Types[root.Type.Name()]
		if !strings.HasSuffix(root.Type.Name(), "Connection") || root.Arguments.ForName("orderBy") == nil {
			continue
		}
		node := schema.Types[strings.TrimSuffix(conn.Name, "Connection")]
		orderField := schema.Types[node.Name+"OrderField"]
		for _, v := range orderField.EnumValues {
			name := graphqlFieldName(v.Name)
			f := node.Fields.ForName(name)
			if f == nil {
				skipped[node.Name+"."+v.Name] = "no field of that name (TestUsersOrderByTheirCounts)"
				continue
			}
			for _, dir := range []string{"ASC", "DESC"} {
				walked++
				var rows []map[string]any
				var after any
				total := 0
				for {
					var out map[string]struct {
						TotalCount int
						Nodes      []map[string]any
						PageInfo   struct {
							HasNextPage bool
							EndCursor   string
						}
					}
					srv.Query(t, fmt.Sprintf(`query($after: Cursor) { c: %s(first: 7, after: $after, orderBy: [{field: %s, direction: %s}]) {
						totalCount nodes { id value: %s } pageInfo { hasNextPage endCursor } } }`, root.Name, v.Name, dir, name),
						map[string]any{"after": after}).Decode(t, &out)
					page := out["c"]
					total = page.TotalCount
					rows = append(rows, page.Nodes...)
					if !page.PageInfo.HasNextPage {
						break
					}
					after = page.PageInfo.EndCursor
				}
				seen := map[any]bool{}
				for i, r := range rows {
					if seen[r["id"]] {
						t.Fatalf("%s by %s %s: %v twice", root.Name, v.Name, dir, r["id"])
					}
					seen[r["id"]] = true
					if r["value"] == nil {
						nulls++
					}
					if i == 0 {
						continue
					}
					c := compareValues(f.Type.Name(), rows[i-1]["value"], r["value"])
					if dir == "DESC" {
						c = -c
					}
					if c > 0 || (c == 0 && rows[i-1]["id"].(string) > r["id"].(string)) {
						t.Fatalf("%s by %s %s: %v before %v", root.Name, v.Name, dir, rows[i-1], r)
					}
				}
				if len(rows) != total || total == 0 {
					t.Errorf("%s by %s %s: %d rows of %d", root.Name, v.Name, dir, len(rows), total)
				}
			}
		}
	}
	if walked < 60 || nulls == 0 {
		t.Fatalf("%d walks, %d null values met: the walk misses what it checks", walked, nulls)
	}
	t.Logf("%d walks; not walked: %v", walked, skipped)
}

// graphqlFieldName is the field an order enum value orders by: FULL_NAME is fullName.
func graphqlFieldName(enum string) string {
	parts := strings.Split(strings.ToLower(enum), "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// compareValues orders two values of a GraphQL scalar as the database does,
// null first.
func compareValues(typ string, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch typ {
	case "Time":
		ta, _ := time.Parse(time.RFC3339Nano, a.(string))
		tb, _ := time.Parse(time.RFC3339Nano, b.(string))
		return ta.Compare(tb)
	case "Int":
		return cmp.Compare(a.(float64), b.(float64))
	case "Boolean":
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
