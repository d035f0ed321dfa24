package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// tree is the reporting lines of the seeded organisation as manager ids,
// walked in Go: the answer the API must give.
type tree struct {
	managerOf map[string]string
	reportsOf map[string][]string
	active    map[string]bool
}

func loadTree(t *testing.T, srv *graphtest.Server) tree {
	t.Helper()
	users, err := srv.DB.Client.User.Query().Select(user.FieldID, user.FieldManagerID, user.FieldState).All(viewer.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	tr := tree{managerOf: map[string]string{}, reportsOf: map[string][]string{}, active: map[string]bool{}}
	for _, u := range users {
		tr.active[u.ID] = u.State == user.StateActive
		if u.ManagerID != nil {
			tr.managerOf[u.ID] = *u.ManagerID
			tr.reportsOf[*u.ManagerID] = append(tr.reportsOf[*u.ManagerID], u.ID)
		}
	}
	return tr
}

// below returns everyone under id with their depth, at most maxDepth down (0: all).
func (tr tree) below(id string, maxDepth int) map[string]int {
	out := map[string]int{}
	level := []string{id}
	for depth := 1; len(level) > 0 && (maxDepth == 0 || depth <= maxDepth); depth++ {
		var next []string
		for _, m := range level {
			for _, r := range tr.reportsOf[m] {
				if _, seen := out[r]; !seen && r != id {
					out[r] = depth
					next = append(next, r)
				}
			}
		}
		level = next
	}
	return out
}

func (tr tree) chain(id string) []string {
	var out []string
	for m := tr.managerOf[id]; m != ""; m = tr.managerOf[m] {
		out = append(out, m)
	}
	return out
}

type reportsPage struct {
	User struct {
		Reports struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct {
				Depth int
				Node  struct{ ID string }
			}
		}
		Counts          struct{ AllReports int }
		ManagementChain []struct {
			Depth int
			User  struct{ ID string }
		}
	}
}

// allReports pages through user(id).reports(depth:) and returns each user with its depth.
func allReports(t *testing.T, srv *graphtest.Server, id string, depth int) (map[string]int, reportsPage) {
	t.Helper()
	got := map[string]int{}
	var first reportsPage
	after := any(nil)
	depthArg := any(nil)
	if depth > 0 {
		depthArg = depth
	}
	for page := 0; ; page++ {
		var out reportsPage
		srv.Query(t, `query($id: ID!, $after: Cursor, $depth: Int) { user(id: $id) {
			reports(first: 100, after: $after, depth: $depth) { totalCount pageInfo { hasNextPage endCursor } edges { depth node { id } } }
			counts { allReports } managementChain { depth user { id } } } }`,
			map[string]any{"id": id, "after": after, "depth": depthArg}).Decode(t, &out)
		if page == 0 {
			first = out
		}
		for _, e := range out.User.Reports.Edges {
			if _, dup := got[e.Node.ID]; dup {
				t.Fatalf("%s appears twice below %s", e.Node.ID, id)
			}
			got[e.Node.ID] = e.Depth
		}
		if !out.User.Reports.PageInfo.HasNextPage {
			return got, first
		}
		after = out.User.Reports.PageInfo.EndCursor
	}
}

// TestReportingLinesAgreeWithAWalk compares reports, their depths and counts,
// the management chain and the reportsTo filter with a Go walk of manager ids,
// for the chief executive, a director, a manager and someone with no reports.
func TestReportingLinesAgreeWithAWalk(t *testing.T) {
	srv := graphtest.New(t, 600)
	tr := loadTree(t, srv)
	var ceo string
	for id := range tr.active {
		if _, has := tr.managerOf[id]; !has && len(tr.reportsOf[id]) > 0 {
			ceo = id
		}
	}
	director := profileUserID(t, srv)
	manager := tr.reportsOf[director][0]
	for len(tr.reportsOf[manager]) == 0 {
		manager = tr.managerOf[manager]
	}
	leaf := manager
	for len(tr.reportsOf[leaf]) > 0 {
		leaf = tr.reportsOf[leaf][0]
	}
	for _, who := range []struct{ name, id string }{{"chief executive", ceo}, {"director", director}, {"manager", manager}, {"no reports", leaf}} {
		for _, depth := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("%s depth %d", who.name, depth), func(t *testing.T) {
				want := tr.below(who.id, depth)
				got, first := allReports(t, srv, who.id, depth)
				if !mapsEqual(got, want) {
					t.Errorf("reports: %d users, want %d", len(got), len(want))
				}
				if first.User.Reports.TotalCount != len(want) {
					t.Errorf("totalCount %d, want %d", first.User.Reports.TotalCount, len(want))
				}
				if all := len(tr.below(who.id, 0)); first.User.Counts.AllReports != all {
					t.Errorf("counts.allReports %d, want %d", first.User.Counts.AllReports, all)
				}
				var chain []string
				for i, l := range first.User.ManagementChain {
					if l.Depth != i+1 {
						t.Errorf("chain level %d has depth %d", i, l.Depth)
					}
					chain = append(chain, l.User.ID)
				}
				if want := tr.chain(who.id); !slices.Equal(chain, want) {
					t.Errorf("managementChain %v, want %v", chain, want)
				}
				// The filter: active users below, within depth.
				active := 0
				for id := range want {
					if tr.active[id] {
						active++
					}
				}
				var filtered struct{ Users struct{ TotalCount int } }
				srv.Query(t, `query($id: ID!, $depth: Int) { users(where: {state: active, reportsTo: {id: $id, maxDepth: $depth}}) { totalCount } }`,
					map[string]any{"id": who.id, "depth": map[bool]any{true: depth, false: nil}[depth > 0]}).Decode(t, &filtered)
				if filtered.Users.TotalCount != active {
					t.Errorf("reportsTo filter: %d active users, want %d", filtered.Users.TotalCount, active)
				}
			})
		}
	}

	t.Run("a move takes the whole team along", func(t *testing.T) {
		// The director moves under the leaf's manager's peer... simply under a
		// user outside its own tree: the chief executive's other report.
		var target string
		for _, r := range tr.reportsOf[ceo] {
			if _, under := tr.below(r, 0)[director]; !under && r != director {
				target = r
				break
			}
		}
		resp := srv.Query(t, `mutation($id: ID!, $m: ID) { setManager(input: {id: $id, managerId: $m}) { user { id } } }`,
			map[string]any{"id": director, "m": target})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		tr := loadTree(t, srv)
		for _, id := range []string{ceo, target, director} {
			got, _ := allReports(t, srv, id, 0)
			if want := tr.below(id, 0); !mapsEqual(got, want) {
				t.Errorf("after the move, %s has %d reports, want %d", id, len(got), len(want))
			}
		}
		// Under oneself is refused with the chain named.
		resp = srv.Query(t, `mutation($id: ID!, $m: ID) { setManager(input: {id: $id, managerId: $m}) { user { id } } }`,
			map[string]any{"id": target, "m": leaf})
		if codes := resp.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
			t.Errorf("a move under one's own report: %v", resp.Errors)
		}
	})

	t.Run("depth must be positive", func(t *testing.T) {
		resp := srv.Query(t, `query($id: ID!) { user(id: $id) { reports(depth: 0) { totalCount } } }`, map[string]any{"id": ceo})
		if codes := resp.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
			t.Errorf("depth 0: %v", resp.Errors)
		}
	})
}

// TestReportingLoopsInTheDataEnd writes a loop of managers straight into the
// database (as data from before the check could hold), then reads reports and
// chains of its members: every answer is finite and lists nobody twice.
func TestReportingLoopsInTheDataEnd(t *testing.T) {
	dsn := storetest.DSN(t, "loops.db")
	srv := graphtest.NewAt(t, dsn, 120, graph.Options{})
	tr := loadTree(t, srv)
	director := profileUserID(t, srv)
	report := tr.reportsOf[director][0]
	drop := `DROP TRIGGER IF EXISTS users_reporting_path_move`
	if storetest.Postgres() {
		drop += ` ON users`
	}
	for _, stmt := range []string{drop,
		fmt.Sprintf(`UPDATE users SET manager_id = '%s' WHERE id = '%s'`, report, director),
		`UPDATE users SET reporting_path = ''`} {
		if _, err := srv.DB.SQL().ExecContext(context.Background(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	srv.DB.Close()
	srv = graphtest.NewAt(t, dsn, 0, graph.Options{})
	defer func() {
		if t.Failed() {
			t.Log(srv.Logs.String())
		}
	}()
	for _, id := range []string{director, report} {
		got, first := allReports(t, srv, id, 0)
		if first.User.Reports.TotalCount != len(got) {
			t.Errorf("%s: totalCount %d, %d edges", id, first.User.Reports.TotalCount, len(got))
		}
		if id == director && len(got) == 0 {
			t.Errorf("nobody below the director, who manages a team besides the loop")
		}
		seen := map[string]bool{id: true}
		for _, l := range first.User.ManagementChain {
			if seen[l.User.ID] {
				t.Errorf("%s: %s twice in its chain", id, l.User.ID)
			}
			seen[l.User.ID] = true
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
