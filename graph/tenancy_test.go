package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// twoTenants seeds demo (60 users) and acme (40 users) and returns, per tenant,
// the ids of every record of each node type, read with tenant scoping lifted.
func twoTenants(t *testing.T) (*graphtest.Server, map[string]map[string][]string) {
	t.Helper()
	srv := graphtest.New(t, 60)
	acme := srv.SeedTenant(t, "acme", 40)
	ctx := viewer.System(context.Background())
	c := srv.DB.Client
	ids := map[string]map[string][]string{}
	for slug, tenantID := range map[string]string{"demo": srv.Seed.TenantID, "acme": acme.TenantID} {
		ids[slug] = map[string][]string{
			"User":             c.User.Query().Where(user.TenantID(tenantID)).IDsX(ctx),
			"Identity":         c.Identity.Query().Where(identity.TenantID(tenantID)).IDsX(ctx),
			"Integration":      c.Integration.Query().Where(integration.TenantID(tenantID)).IDsX(ctx),
			"Resource":         c.Resource.Query().Where(resource.TenantID(tenantID)).IDsX(ctx),
			"PolicyRuleset":    c.PolicyRuleset.Query().Where(policyruleset.TenantID(tenantID)).IDsX(ctx),
			"PolicyRule":       c.PolicyRule.Query().Where(policyrule.TenantID(tenantID)).IDsX(ctx),
			"PolicyCondition":  c.PolicyCondition.Query().Where(policycondition.TenantID(tenantID)).IDsX(ctx),
			"PolicyAssignment": c.PolicyAssignment.Query().Where(policyassignment.TenantID(tenantID)).IDsX(ctx),
			"AuditEvent":       c.AuditEvent.Query().Where(auditevent.TenantID(tenantID)).IDsX(ctx),
		}
		for typ, list := range ids[slug] {
			if len(list) == 0 {
				t.Fatalf("tenant %s has no %s: the test would prove nothing", slug, typ)
			}
		}
	}
	return srv, ids
}

func contains(list []string, id string) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// TestRootsSeeOnlyTheTokensTenant pages every root as each tenant: the totals
// are that tenant's and every id returned is that tenant's.
func TestRootsSeeOnlyTheTokensTenant(t *testing.T) {
	srv, ids := twoTenants(t)
	tokens := map[string]string{"demo": srv.Token, "acme": srv.TokenFor(t, "acme", viewer.All)}
	roots := map[string]string{
		"users": "User", "identities": "Identity", "integrations": "Integration", "resources": "Resource",
		"policyRulesets": "PolicyRuleset", "policyRules": "PolicyRule", "auditEvents": "AuditEvent",
	}
	for slug, token := range tokens {
		for root, typ := range roots {
			t.Run(slug+"/"+root, func(t *testing.T) {
				resp := srv.QueryAs(t, token, `{ r: `+root+`(first: 100) { totalCount nodes { id } } }`, nil)
				var out struct {
					R struct {
						TotalCount int
						Nodes      []struct{ ID string }
					}
				}
				resp.Decode(t, &out)
				if want := len(ids[slug][typ]); out.R.TotalCount != want {
					t.Errorf("totalCount %d, want %d", out.R.TotalCount, want)
				}
				for _, n := range out.R.Nodes {
					if !contains(ids[slug][typ], n.ID) {
						t.Fatalf("%s of another tenant: %s", typ, n.ID)
					}
				}
			})
		}
	}
}

// TestAnotherTenantsIDIsNotFound: for every node type, an id of the other tenant
// answers exactly as an id that does not exist, through node, nodes and the
// typed roots.
func TestAnotherTenantsIDIsNotFound(t *testing.T) {
	srv, ids := twoTenants(t)
	typed := map[string]string{"User": "user", "Identity": "identity", "Integration": "integration", "Resource": "resource"}
	for typ, acmeIDs := range ids["acme"] {
		t.Run(typ, func(t *testing.T) {
			foreign := acmeIDs[0]
			missing := foreign[:len(foreign)-4] + "zzzz" // same type, no such record
			if contains(acmeIDs, missing) || contains(ids["demo"][typ], missing) {
				t.Fatal("the made-up id exists")
			}
			messageFor := func(query, id string) string {
				resp := srv.Query(t, query, map[string]any{"id": id})
				if got := strings.Join(resp.Codes(), ","); got != "NOT_FOUND" {
					t.Fatalf("%s with %s: codes %s: %+v", query, id, got, resp.Errors)
				}
				if strings.Contains(string(resp.Data), "acme") || strings.Contains(string(resp.Data), `"id"`) {
					t.Fatalf("data leaked: %s", resp.Data)
				}
				return strings.ReplaceAll(resp.Errors[0].Message, id, "ID")
			}
			queries := []string{`query($id: ID!) { node(id: $id) { id } }`, `query($id: ID!) { nodes(ids: [$id]) { id } }`}
			if root, ok := typed[typ]; ok {
				queries = append(queries, `query($id: ID!) { `+root+`(id: $id) { id } }`)
			}
			for _, q := range queries {
				if a, b := messageFor(q, foreign), messageFor(q, missing); a != b {
					t.Errorf("%s: another tenant's id says %q, a missing one %q", q, a, b)
				}
			}
			// A demo id beside the foreign one still resolves.
			resp := srv.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
				map[string]any{"ids": []string{foreign, ids["demo"][typ][0]}})
			if want := fmt.Sprintf(`{"nodes":[null,{"id":"%s"}]}`, ids["demo"][typ][0]); string(resp.Data) != want {
				t.Errorf("nodes: %s, want %s", resp.Data, want)
			}
		})
	}
}

// TestFiltersAndCursorsStayInTheTenant: filters naming another tenant's records,
// directly or through an edge, match nothing, and another tenant's cursor only
// positions a page of the caller's own records.
func TestFiltersAndCursorsStayInTheTenant(t *testing.T) {
	srv, ids := twoTenants(t)
	acmeUser := ids["acme"]["User"][5]
	acmeToken := srv.TokenFor(t, "acme", viewer.All)
	var acme struct {
		User  struct{ Email, FullName string }
		Users struct {
			Edges []struct{ Cursor string }
		}
	}
	srv.QueryAs(t, acmeToken, `query($id: ID!) { user(id: $id) { email fullName } users(first: 3) { edges { cursor } } }`,
		map[string]any{"id": acmeUser}).Decode(t, &acme)

	for name, where := range map[string]map[string]any{
		"id":                {"id": acmeUser},
		"idIn":              {"idIn": ids["acme"]["User"]},
		"email":             {"email": acme.User.Email},
		"manager edge":      {"hasManagerWith": []map[string]any{{"id": acmeUser}}},
		"identities edge":   {"hasIdentitiesWith": []map[string]any{{"userId": acmeUser}}},
		"nested edge chain": {"hasDirectReportsWith": []map[string]any{{"hasManagerWith": []map[string]any{{"id": acmeUser}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			var out struct{ Users struct{ TotalCount int } }
			srv.Query(t, `query($w: UserWhereInput) { users(where: $w) { totalCount } }`, map[string]any{"w": where}).Decode(t, &out)
			if out.Users.TotalCount != 0 {
				t.Fatalf("filter on acme's user matched %d demo users", out.Users.TotalCount)
			}
		})
	}
	var page struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `query($after: Cursor) { users(first: 50, after: $after) { nodes { id } } }`,
		map[string]any{"after": acme.Users.Edges[2].Cursor}).Decode(t, &page)
	for _, n := range page.Users.Nodes {
		if !contains(ids["demo"]["User"], n.ID) {
			t.Fatalf("acme's cursor returned acme's user %s", n.ID)
		}
	}
}

// TestNestedPagesFilterInsideTheWindow breaks the data on purpose: a demo user
// is made to report to an acme manager. Acme's page of that manager's reports
// must neither show it nor count it, and must still be full; demo must not read
// acme's manager through it.
func TestNestedPagesFilterInsideTheWindow(t *testing.T) {
	srv, ids := twoTenants(t)
	ctx := viewer.System(context.Background())
	acmeToken := srv.TokenFor(t, "acme", viewer.All)
	var managers struct {
		Users struct {
			Nodes []struct {
				ID            string
				FullName      string
				DirectReports struct {
					TotalCount int
					Nodes      []struct{ ID string }
				}
			}
		}
	}
	srv.QueryAs(t, acmeToken, `{ users(first: 5, where: {hasDirectReports: true}, orderBy: [{field: CREATED_AT}]) {
		nodes { id fullName directReports(first: 2) { totalCount nodes { id } } } } }`, nil).Decode(t, &managers)
	boss := managers.Users.Nodes[0]
	if boss.DirectReports.TotalCount < 3 {
		t.Fatalf("want a manager with 3 or more reports, got %d", boss.DirectReports.TotalCount)
	}
	// The intruder sorts first among the boss's reports (smallest id), so a
	// tenant filter applied after the window would leave a short page.
	intruder := ids["demo"]["User"][0]
	for _, id := range ids["demo"]["User"] {
		intruder = min(intruder, id)
	}
	if intruder > boss.DirectReports.Nodes[0].ID {
		t.Fatalf("premise: demo's %s does not sort before acme's %s", intruder, boss.DirectReports.Nodes[0].ID)
	}
	if err := srv.DB.Client.User.UpdateOneID(intruder).SetManagerID(boss.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var after struct {
		User struct {
			DirectReports struct {
				TotalCount int
				Nodes      []struct{ ID string }
			}
			Counts struct{ DirectReports int }
		}
	}
	srv.QueryAs(t, acmeToken, `query($id: ID!) { user(id: $id) { directReports(first: 2) { totalCount nodes { id } } counts { directReports } } }`,
		map[string]any{"id": boss.ID}).Decode(t, &after)
	got := after.User.DirectReports
	if got.TotalCount != boss.DirectReports.TotalCount || after.User.Counts.DirectReports != boss.DirectReports.TotalCount ||
		len(got.Nodes) != 2 || got.Nodes[0] != boss.DirectReports.Nodes[0] {
		t.Fatalf("after the intrusion: %+v, counts %d; before: %+v", got, after.User.Counts.DirectReports, boss.DirectReports)
	}
	resp := srv.Query(t, `query($id: ID!) { user(id: $id) { manager { fullName } } }`, map[string]any{"id": intruder})
	if strings.Contains(string(resp.Data), boss.FullName) {
		t.Fatalf("demo read acme's manager: %s", resp.Data)
	}
}

func TestTenantHeader(t *testing.T) {
	srv := graphtest.New(t, 10)
	srv.SeedTenant(t, "acme", 5)
	for _, tc := range []struct {
		header string
		status int
		code   string
	}{
		{"demo", 200, ""},
		{srv.Seed.TenantID, 200, ""},
		{"acme", 403, "TENANT_MISMATCH"},
		{"tnt_01jzzzzzzzzzzzzzzzzzzzzzzz", 403, "TENANT_MISMATCH"},
		{"DEMO", 403, "TENANT_MISMATCH"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ users(first: 1) { totalCount } }"}`))
		req.Header.Set("X-Tenant-ID", tc.header)
		resp := srv.Do(t, req)
		if resp.Status != tc.status || strings.Join(resp.Codes(), ",") != tc.code {
			t.Errorf("X-Tenant-ID %s: %d %v, want %d %s", tc.header, resp.Status, resp.Codes(), tc.status, tc.code)
		}
		if tc.status != 200 && (resp.Statements != 0 || len(resp.Data) != 0) {
			t.Errorf("X-Tenant-ID %s: refused request sent %d statements, data %s", tc.header, resp.Statements, resp.Data)
		}
	}
}

// TestNoViewerNoData: data access without a viewer fails instead of reading every tenant.
func TestNoViewerNoData(t *testing.T) {
	srv := graphtest.New(t, 5)
	if _, err := srv.DB.Client.User.Query().Count(context.Background()); err == nil {
		t.Fatal("a query without a viewer ran")
	}
	if _, err := srv.DB.Client.User.Create().SetEmail("x@example.com").Save(context.Background()); err == nil {
		t.Fatal("a write without a viewer ran")
	}
}
