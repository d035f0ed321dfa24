package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/querylimit"
)

const (
	allUserFields = `id createdAt updatedAt version deletedAt state firstName lastName fullName email username
		badgeId employeeId employeeAltId type title department division company office costCenter metadata
		expiresAt provisionedAt deprovisionedAt lastAuthenticatedAt`
	allIntegrationFields = `id createdAt updatedAt version deletedAt vendor kind name handle domain isPrimary lastSyncedAt`
)

// joinedQueries select references (to-one relations) at every place a
// statement can join them: below a root page, a nested page and a lookup by id,
// chained, aliased twice with different fields, and beside a page's total; and
// the totals of connections a statement counts beside its rows (on the rows
// themselves and on joined references; direct, through a join table, distinct).
var joinedQueries = map[string]string{
	"users page": `{ users(first: 60, where: {hasManager: true}) { totalCount nodes { id
		manager { ` + allUserFields + ` manager { id fullName manager { id email } } directReports { totalCount } }
		boss: manager { email } parentUser { id email }
		secondaryUsers { totalCount } directReports(first: 2) { totalCount } identities { totalCount } resources { totalCount } } } }`,
	"identities page": `{ identities(first: 60) { nodes { id memberships { totalCount }
		integration { ` + allIntegrationFields + ` } user { id fullName manager { id fullName } } } } }`,
	"nested page": `{ users(first: 20, where: {hasDirectReports: true}) { nodes { id
		identities(first: 3) { totalCount nodes { id integration { ` + allIntegrationFields + ` } } }
		directReports(first: 4) { nodes { id manager { id email } } } } } }`,
	"resources page": `{ resources(first: 40) { nodes { id integration { id name vendor } } } }`,
	"audit events":   `{ auditEvents(first: 40, where: {action: "identity.linked"}) { nodes { id parentEvent { id action } } } }`,
}

// TestJoinedReferencesMatchTheirLoaders checks every joined reference against the
// answer of its own loader, run one node at a time: same data, same errors,
// including a manager that was soft-deleted (the join finds no row and the
// loader reports it as it always has). Joining must also save statements.
func TestJoinedReferencesMatchTheirLoaders(t *testing.T) {
	srv := graphtest.New(t, 300)
	perNode := *srv
	// One node at a time sends hundreds of statements: lift the statement limit.
	perNode.Handler = graph.NewHandler(srv.DB, graph.Options{Loaders: loader.Config{Bypass: true}, Auth: srv.Auth,
		Limits: graph.Limits{Limits: querylimit.Limits{MaxStatements: 10_000}}})

	// Soft-delete a manager that has reports: their manager is no longer visible.
	var managers struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1, where: {hasDirectReports: true, hasManager: true}) { nodes { id } } }`, nil).Decode(t, &managers)
	if len(managers.Users.Nodes) != 1 {
		t.Fatal("no manager to delete")
	}
	// deleteUser refuses a manager with reports; older data can still hold one.
	deleted := managers.Users.Nodes[0].ID
	if _, err := srv.DB.SQL().Exec(`UPDATE users SET deleted_at = CURRENT_TIMESTAMP WHERE id = `+placeholder(srv), deleted); err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{
		"reports of a deleted manager": `query($id: ID!) { users(where: {managerId: $id}) { nodes { id manager { id fullName } } } }`,
	}
	for name, q := range joinedQueries {
		queries[name] = q
	}
	queries["lookup by id"] = `query($id: ID!) { user(id: $id) { id manager { ` + allUserFields + ` manager { id email } directReports { totalCount } }
		directReports { totalCount } policyRulesets { totalCount }
		identities { nodes { id memberships { totalCount } integration { ` + allIntegrationFields + ` } } } } }`
	vars := map[string]any{"id": deleted}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			v := vars
			if !strings.HasPrefix(strings.TrimSpace(q), "query(") {
				v = nil
			}
			if name == "lookup by id" {
				v = map[string]any{"id": reportOf(t, srv)}
			}
			joined, alone := srv.Query(t, q, v), perNode.Query(t, q, v)
			if a, b := string(joined.Data), string(alone.Data); a != b {
				i := 0
				for i < len(a) && i < len(b) && a[i] == b[i] {
					i++
				}
				from := max(0, i-150)
				t.Fatalf("joined and per-node answers differ at byte %d:\njoined: …%s\nalone:  …%s", i, a[from:min(len(a), i+150)], b[from:min(len(b), i+150)])
			}
			if got, want := errorsOf(joined), errorsOf(alone); got != want {
				t.Fatalf("errors differ:\njoined: %s\nalone:  %s", got, want)
			}
			if len(joined.Data) < 100 {
				t.Fatalf("answer too small to compare: %s", joined.Data)
			}
			if joined.Statements >= alone.Statements {
				t.Errorf("joined sent %d statements, per-node %d", joined.Statements, alone.Statements)
			}
		})
	}
}

func placeholder(srv *graphtest.Server) string {
	if srv.DB.Engine == dialect.Postgres {
		return "$1"
	}
	return "?"
}

// reportOf returns a user three levels down, so its manager chain is full.
func reportOf(t *testing.T, srv *graphtest.Server) string {
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1, where: {hasManagerWith: {hasManagerWith: {hasManager: true}}, hasIdentities: true}) { nodes { id } } }`, nil).Decode(t, &out)
	if len(out.Users.Nodes) == 0 {
		t.Fatal("no user with a manager chain")
	}
	return out.Users.Nodes[0].ID
}

func errorsOf(r graphtest.Response) string {
	type e struct {
		Path []any
		Code string
	}
	var out []e
	for _, err := range r.Errors {
		out = append(out, e{err.Path, err.Code()})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// TestGuardedReferencesAreNotJoined: a reference behind a permission is read by
// its loader, after the permission check, never joined into the statement of
// its parent, so a token without the permission never has those rows read.
func TestGuardedReferencesAreNotJoined(t *testing.T) {
	srv := graphtest.New(t, 100)
	token := srv.TokenFor(t, "demo", "policy.view")
	var sent []string
	srv.DB.Statements.Trace = func(q string, _ []any) { sent = append(sent, q) }
	resp := srv.QueryAs(t, token, `{ policyRulesets(first: 5) { nodes { id resource { id name } } } }`, nil)
	srv.DB.Statements.Trace = nil
	for _, q := range sent {
		if strings.Contains(q, "JOIN `resources`") || strings.Contains(q, `JOIN "resources"`) {
			t.Errorf("a guarded reference was joined: %s", q)
		}
	}
	if len(resp.Errors) == 0 {
		t.Errorf("want FORBIDDEN for resource without directory.user.view, got %s", resp.Data)
	}
}
