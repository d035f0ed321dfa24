package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

func TestProfileNeedsIdentityView(t *testing.T) {
	srv := graphtest.New(t, 20)
	query := `{ identities(first: 3) { nodes { id vendorId profile } } }`

	withIt := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserView, viewer.DirectoryIdentityView), query, nil)
	if len(withIt.Errors) > 0 || !strings.Contains(string(withIt.Data), `"profile":{`) {
		t.Fatalf("with directory.identity.view: %s %+v", withIt.Data, withIt.Errors)
	}

	without := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserView), query, nil)
	var out struct {
		Identities struct {
			Nodes []struct {
				ID, VendorID string
				Profile      map[string]any
			}
		}
	}
	if err := jsonUnmarshal(without.Data, &out); err != nil || len(out.Identities.Nodes) != 3 {
		t.Fatalf("data %s: %v", without.Data, err)
	}
	for i, n := range out.Identities.Nodes {
		if n.ID == "" || n.VendorID == "" || n.Profile != nil {
			t.Errorf("node %d: %+v (want id and vendorId, null profile)", i, n)
		}
	}
	if len(without.Errors) != 3 {
		t.Fatalf("want one FORBIDDEN per profile, got %+v", without.Errors)
	}
	seen := map[float64]bool{}
	for _, e := range without.Errors {
		if e.Code() != "FORBIDDEN" || e.Extensions["permission"] != viewer.DirectoryIdentityView || len(e.Path) != 4 ||
			!equalPath([]any{e.Path[0], e.Path[1], e.Path[3]}, []any{"identities", "nodes", "profile"}) {
			t.Errorf("error %+v, want FORBIDDEN at identities.nodes.N.profile", e)
			continue
		}
		seen[e.Path[2].(float64)] = true
	}
	if len(seen) != 3 {
		t.Errorf("errors cover nodes %v, want 0, 1 and 2", seen)
	}
}

func equalPath(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPermissionsGuardRootsEdgesCountsAndNodes runs one query per guarded
// place with a token that lacks the permission: that field is null with
// FORBIDDEN, its siblings are answered.
func TestPermissionsGuardRootsEdgesCountsAndNodes(t *testing.T) {
	srv := graphtest.New(t, 30)
	var ids struct {
		Users struct {
			Nodes []struct{ ID string }
		}
		PolicyRules struct {
			Nodes []struct{ ID string }
		}
		AuditEvents struct {
			Nodes []struct{ ID string }
		}
	}
	srv.Query(t, `{ users(first: 1) { nodes { id } } policyRules(first: 1) { nodes { id } } auditEvents(first: 1) { nodes { id } } }`, nil).Decode(t, &ids)
	directoryOnly := srv.TokenFor(t, "demo", viewer.DirectoryUserView)
	policyOnly := srv.TokenFor(t, "demo", viewer.PolicyView)
	cases := []struct {
		name, token, query, forbidden string
		answered                      string // a fragment the rest of the answer must hold
	}{
		{"policy root", directoryOnly, `{ policyRules(first: 1) { totalCount } users(first: 1) { totalCount } }`,
			"policy.view", `"users":{"totalCount":31}`},
		{"audit root", directoryOnly, `{ auditEvents { totalCount } integrations { totalCount } }`,
			"audit.view", `"integrations":{"totalCount":`},
		{"directory root", policyOnly, `{ users { totalCount } policyRulesets { totalCount } }`,
			"directory.user.view", `"policyRulesets":{"totalCount":`},
		{"user by id", policyOnly, `{ user(id: "` + ids.Users.Nodes[0].ID + `") { id } viewer { permissions } }`,
			"directory.user.view", `"permissions":["policy.view"]`},
		{"policy edge of a user", directoryOnly, `{ users(first: 1) { nodes { fullName policyAssignments { totalCount } } } }`,
			"policy.view", `"fullName":`},
		{"audit edge of a user", directoryOnly, `{ users(first: 1) { nodes { fullName auditEvents { totalCount } } } }`,
			"audit.view", `"fullName":`},
		{"policy count", directoryOnly, `{ users(first: 1) { nodes { counts { identities policyAssignments } } } }`,
			"policy.view", `"identities":`},
		{"audit count", directoryOnly, `{ identities(first: 1) { nodes { counts { memberships workspaceLogsRecord } } } }`,
			"audit.view", `"memberships":`},
		{"directory edge of a policy", policyOnly, `{ policyRules(first: 1, where: {hasAssignments: true}) { nodes { roleName assignments(first: 1) { nodes { state user { id } } } } } }`,
			"directory.user.view", `"roleName":`},
		{"node of a policy type", directoryOnly, `{ node(id: "` + ids.PolicyRules.Nodes[0].ID + `") { id } users(first: 1) { totalCount } }`,
			"policy.view", `"totalCount":31`},
		{"nodes of mixed types", directoryOnly, `{ nodes(ids: ["` + ids.AuditEvents.Nodes[0].ID + `", "` + ids.Users.Nodes[0].ID + `"]) { id } }`,
			"audit.view", `"id":"` + ids.Users.Nodes[0].ID + `"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.QueryAs(t, tc.token, tc.query, nil)
			if len(resp.Errors) == 0 {
				t.Fatalf("no error: %s", resp.Data)
			}
			for _, e := range resp.Errors {
				if e.Code() != "FORBIDDEN" || e.Extensions["permission"] != tc.forbidden || !strings.Contains(e.Message, tc.forbidden) {
					t.Fatalf("error %+v, want FORBIDDEN for %s", e, tc.forbidden)
				}
			}
			if !strings.Contains(string(resp.Data), tc.answered) {
				t.Fatalf("the rest of the answer is missing %s: %s", tc.answered, resp.Data)
			}
		})
	}
}

func TestViewer(t *testing.T) {
	srv := graphtest.New(t, 5)
	token := srv.TokenFor(t, "demo", viewer.PolicyView, viewer.AuditView)
	resp := srv.QueryAs(t, token, `{ viewer { tenant { id slug name } permissions } }`, nil)
	want := `{"viewer":{"tenant":{"id":"` + srv.Seed.TenantID + `","slug":"demo","name":"Demo Corp"},"permissions":["policy.view","audit.view"]}}`
	if string(resp.Data) != want || len(resp.Errors) > 0 || resp.Statements != 0 {
		t.Fatalf("got %s %+v (%d statements), want %s", resp.Data, resp.Errors, resp.Statements, want)
	}
}

// TestEveryCrossingIsGuarded walks the schema: a field that leads from one
// permission domain into another (or from Query into any) must carry that
// domain's @hasPermission and be nullable, so that new fields cannot forget it.
func TestEveryCrossingIsGuarded(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	domain := func(typ string) string {
		typ = strings.TrimSuffix(strings.TrimSuffix(typ, "Connection"), "Edge")
		switch {
		case strings.HasPrefix(typ, "Policy"):
			return viewer.PolicyView
		case typ == "AuditEvent":
			return viewer.AuditView
		case typ == "User" || typ == "Identity" || typ == "Integration" || typ == "Resource" ||
			typ == "UserCounts" || typ == "IdentityCounts" || typ == "ManagementLevel" || typ == "Report":
			return viewer.DirectoryUserView
		}
		return ""
	}
	unguardedRoots := map[string]bool{"node": true, "nodes": true, "viewer": true}
	checked := 0
	for _, typ := range schema.Types {
		if typ.Kind != ast.Object || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") || (typ.Name == "Query" && unguardedRoots[f.Name]) {
				continue
			}
			from, to := domain(typ.Name), domain(f.Type.Name())
			if typ.Name == "Query" {
				from = "query"
			}
			if to == "" || from == "" || from == to {
				continue
			}
			checked++
			d := f.Directives.ForName("hasPermission")
			if d == nil || d.Arguments.ForName("permission").Value.Raw != to {
				t.Errorf("%s.%s leads into %s data without @hasPermission(permission: %q)", typ.Name, f.Name, to, to)
			}
			if f.Type.NonNull {
				t.Errorf("%s.%s is guarded but non-null: a refusal would null its parent", typ.Name, f.Name)
			}
		}
	}
	if checked < 15 {
		t.Fatalf("only %d crossings checked: the walk is broken", checked)
	}
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
