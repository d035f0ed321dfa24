package graph_test

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// viewPermissionOf is the permission reading each node type needs, as the
// product defines it; the tests hold the server to it.
var viewPermissionOf = map[string]string{
	"User": viewer.DirectoryUserView, "Identity": viewer.DirectoryUserView,
	"Integration": viewer.DirectoryUserView, "Resource": viewer.DirectoryUserView,
	"PolicyRuleset": viewer.PolicyView, "PolicyRule": viewer.PolicyView,
	"PolicyCondition": viewer.PolicyView, "PolicyAssignment": viewer.PolicyView,
	"AuditEvent": viewer.AuditView,
}

// filterPaths reaches a connection field taking each where input type, and
// wraps a where argument into a query counting its rows.
var filterPaths = map[string]func(where string) string{
	"User":          func(w string) string { return `{ users(where: ` + w + `) { totalCount } }` },
	"Identity":      func(w string) string { return `{ identities(where: ` + w + `) { totalCount } }` },
	"Integration":   func(w string) string { return `{ integrations(where: ` + w + `) { totalCount } }` },
	"Resource":      func(w string) string { return `{ resources(where: ` + w + `) { totalCount } }` },
	"PolicyRule":    func(w string) string { return `{ policyRules(where: ` + w + `) { totalCount } }` },
	"PolicyRuleset": func(w string) string { return `{ policyRulesets(where: ` + w + `) { totalCount } }` },
	"AuditEvent":    func(w string) string { return `{ auditEvents(where: ` + w + `) { totalCount } }` },
	"PolicyAssignment": func(w string) string {
		return `{ users(first: 3) { nodes { policyAssignments(where: ` + w + `) { totalCount } } } }`
	},
	"PolicyCondition": func(w string) string {
		return `{ users(first: 3) { nodes { policyConditions(where: ` + w + `) { totalCount } } } }`
	},
}

// edgeFilter is one has<Edge>With field of a where input.
type edgeFilter struct{ from, field, target string }

func edgeFilters(t *testing.T) []edgeFilter {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []edgeFilter
	for name, def := range schema.Types {
		from, ok := strings.CutSuffix(name, "WhereInput")
		if !ok || def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "has") && strings.HasSuffix(f.Name, "With") {
				out = append(out, edgeFilter{from, f.Name, strings.TrimSuffix(f.Type.Name(), "WhereInput")})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from+out[i].field < out[j].from+out[j].field })
	if len(out) < 20 {
		t.Fatalf("found only %d edge filters in the schema", len(out))
	}
	return out
}

var (
	liveCondition   = regexp.MustCompile("`?\"?deleted_at`?\"? IS NULL")
	tenantCondition = regexp.MustCompile("`?\"?tenant_id`?\"? = (\\+?\\?|\\$[0-9]+)")
)

// TestEveryEdgeFilterReadsOnlyVisibleRows walks the schema: every has<Edge>With
// filter of every where input, sent through a connection that takes it, reads
// the rows it reaches with the tenant and soft-delete conditions of a read (its
// statement carries them once more than the query it filters), and a token that
// may read the filtered rows but not the ones the filter reaches is refused.
func TestEveryEdgeFilterReadsOnlyVisibleRows(t *testing.T) {
	srv := graphtest.New(t, 30)
	for _, f := range edgeFilters(t) {
		t.Run(f.from+"."+f.field, func(t *testing.T) {
			path, ok := filterPaths[f.from]
			if !ok {
				t.Fatalf("no connection takes %sWhereInput", f.from)
			}
			var sent []string
			srv.DB.Statements.Trace = func(q string, _ []any) { sent = append(sent, q) }
			plain := srv.Query(t, path(`{idNEQ: "x"}`), nil)
			plainSent := sent
			sent = nil
			filtered := srv.Query(t, path(`{`+f.field+`: [{idNEQ: "x"}]}`), nil)
			srv.DB.Statements.Trace = nil
			if len(plain.Errors)+len(filtered.Errors) > 0 {
				t.Fatalf("errors: %+v %+v", plain.Errors, filtered.Errors)
			}
			last := func(s []string) string { return s[len(s)-1] }
			for what, re := range map[string]*regexp.Regexp{"soft-delete": liveCondition, "tenant": tenantCondition} {
				if got, base := len(re.FindAllString(last(sent), -1)), len(re.FindAllString(last(plainSent), -1)); got <= base {
					t.Errorf("the filter's subquery has no %s condition (%d, unfiltered %d):\n%s", what, got, base, last(sent))
				}
			}
			if need, own := viewPermissionOf[f.target], viewPermissionOf[f.from]; need != own && f.from != "PolicyAssignment" && f.from != "PolicyCondition" {
				token := srv.TokenFor(t, "demo", own)
				resp := srv.QueryAs(t, token, path(`{`+f.field+`: [{idNEQ: "x"}]}`), nil)
				if len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" || resp.Statements != 0 {
					t.Errorf("a %s token filtering by %s: %+v (%d statements), want FORBIDDEN before any SQL", own, f.target, resp.Errors, resp.Statements)
				}
			}
		})
	}
}

// TestEdgeFiltersIgnoreDeletedRows checks the findings on real rows: a
// soft-deleted report's email is not found through hasDirectReportsWith, a
// user whose only report is deleted has no reports, and an ended policy
// assignment no longer relates its user to the ruleset.
func TestEdgeFiltersIgnoreDeletedRows(t *testing.T) {
	srv := graphtest.New(t, 60)
	var lonely struct {
		Users struct {
			Nodes []struct {
				ID            string
				DirectReports struct {
					Nodes []struct{ Email string }
				}
			}
		}
	}
	srv.Query(t, `{ users(first: 1, where: {hasDirectReports: true}) { nodes { id directReports { nodes { email } } } } }`, nil).Decode(t, &lonely)
	// Delete every report of one manager (deleteUser refuses a manager with
	// reports, so this is rows older writes left behind).
	if len(lonely.Users.Nodes) == 0 {
		t.Fatal("no manager")
	}
	manager, email := lonely.Users.Nodes[0].ID, lonely.Users.Nodes[0].DirectReports.Nodes[0].Email
	if _, err := srv.DB.SQL().Exec(`UPDATE users SET deleted_at = CURRENT_TIMESTAMP WHERE manager_id = `+placeholder(srv), manager); err != nil {
		t.Fatal(err)
	}
	count := func(where string) int {
		var out struct{ Users struct{ TotalCount int } }
		srv.Query(t, `{ users(where: `+where+`) { totalCount } }`, nil).Decode(t, &out)
		return out.Users.TotalCount
	}
	if n := count(fmt.Sprintf(`{id: %q, hasDirectReportsWith: [{email: %q}]}`, manager, email)); n != 0 {
		t.Errorf("a deleted report's email was found through hasDirectReportsWith")
	}
	if n := count(fmt.Sprintf(`{id: %q, hasDirectReports: true}`, manager)); n != 0 {
		t.Errorf("a manager whose only report is deleted still has reports")
	}

	var assigned struct {
		Users struct {
			Nodes []struct {
				ID                string
				PolicyAssignments struct {
					Nodes []struct {
						ID      string
						Ruleset struct{ ID string }
					}
				}
			}
		}
	}
	srv.Query(t, `{ users(first: 50, where: {hasPolicyAssignments: true}) { nodes { id policyAssignments { nodes { id ruleset { id } } } } } }`, nil).Decode(t, &assigned)
	var user, assignment, ruleset string
	for _, u := range assigned.Users.Nodes {
		if len(u.PolicyAssignments.Nodes) == 1 {
			user, assignment, ruleset = u.ID, u.PolicyAssignments.Nodes[0].ID, u.PolicyAssignments.Nodes[0].Ruleset.ID
			break
		}
	}
	if user == "" {
		t.Fatal("no user with a single assignment")
	}
	if resp := srv.Query(t, `mutation($id: ID!) { deletePolicyRecord(input: {id: $id}) { deletedId } }`, map[string]any{"id": assignment}); len(resp.Errors) > 0 {
		t.Fatalf("delete assignment: %+v", resp.Errors)
	}
	var after struct {
		User struct {
			PolicyRulesets struct {
				TotalCount int
				Nodes      []struct{ ID string }
			}
		}
	}
	srv.Query(t, `query($id: ID!) { user(id: $id) { policyRulesets { totalCount nodes { id } } } }`, map[string]any{"id": user}).Decode(t, &after)
	for _, r := range after.User.PolicyRulesets.Nodes {
		if r.ID == ruleset {
			t.Errorf("an ended assignment still lists its ruleset")
		}
	}
	if after.User.PolicyRulesets.TotalCount != len(after.User.PolicyRulesets.Nodes) {
		t.Errorf("policyRulesets total %d, nodes %d", after.User.PolicyRulesets.TotalCount, len(after.User.PolicyRulesets.Nodes))
	}
	if n := count(fmt.Sprintf(`{id: %q, hasPolicyAssignments: true}`, user)); n != 0 {
		t.Errorf("a user whose assignment ended still has assignments")
	}
}

// TestFilterPermissionWhateverTheOtherArguments: an edge filter's permission
// is checked however many arguments follow the where.
func TestFilterPermissionWhateverTheOtherArguments(t *testing.T) {
	srv := graphtest.New(t, 10)
	token := srv.TokenFor(t, "demo", viewer.DirectoryUserView)
	resp := srv.QueryAs(t, token, `{ users(where: {hasAuditEventsWith: [{action: "user.created"}]}, first: 3, orderBy: [{field: EMAIL}]) { totalCount } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" || resp.Statements != 0 {
		t.Fatalf("%+v (%d statements), want FORBIDDEN before any SQL", resp.Errors, resp.Statements)
	}
}

// TestMutationPayloadsNeedViewPermissions: a token that may write but not read
// gets its write done and FORBIDDEN for what the payload would show, however
// deep it asks.
func TestMutationPayloadsNeedViewPermissions(t *testing.T) {
	srv := graphtest.New(t, 30)
	type ids struct{ Nodes []struct{ ID string } }
	var some struct {
		Users struct {
			Nodes []struct {
				ID         string
				Identities struct {
					Nodes []struct {
						ID          string
						Memberships ids
						Integration struct{ Resources ids }
					}
				}
			}
		}
		Integrations ids
	}
	srv.Query(t, `{ users(first: 1, where: {hasDirectReports: true, hasIdentities: true}) { nodes { id
		identities(first: 1) { nodes { id memberships(first: 100) { nodes { id } } integration { resources(first: 100) { nodes { id } } } } } } }
		integrations(first: 1) { nodes { id } } }`, nil).Decode(t, &some)
	u := some.Users.Nodes[0]
	// A resource of the identity's integration that it is not a member of yet.
	var resourceID string
	for _, r := range u.Identities.Nodes[0].Integration.Resources.Nodes {
		if !slices.ContainsFunc(u.Identities.Nodes[0].Memberships.Nodes, func(m struct{ ID string }) bool { return m.ID == r.ID }) {
			resourceID = r.ID
			break
		}
	}
	cases := []struct {
		name, permission, query string
		vars                    map[string]any
	}{
		{"updateUser", viewer.DirectoryUserManage,
			`mutation($id: ID!) { updateUser(input: {id: $id}) { user { id directReports { nodes { email badgeId identities { nodes { id } } } } } } }`,
			map[string]any{"id": u.ID}},
		{"addMembership", viewer.DirectoryIdentityManage,
			`mutation($i: ID!, $r: ID!) { addMembership(input: {identityId: $i, resourceId: $r}) { identity { id email user { email } } resource { id name } } }`,
			map[string]any{"i": u.Identities.Nodes[0].ID, "r": resourceID}},
		{"updateIntegration", viewer.IntegrationManage,
			`mutation($id: ID!) { updateIntegration(input: {id: $id}) { integration { id identities { nodes { email } } } } }`,
			map[string]any{"id": some.Integrations.Nodes[0].ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.QueryAs(t, srv.TokenFor(t, "demo", tc.permission), tc.query, tc.vars)
			if len(resp.Errors) == 0 {
				t.Fatalf("a %s token read %s", tc.permission, resp.Data)
			}
			for _, e := range resp.Errors {
				if e.Code() != "FORBIDDEN" {
					t.Errorf("want FORBIDDEN, got %+v", e)
				}
			}
			if strings.Contains(string(resp.Data), "@") {
				t.Errorf("the payload shows an email: %s", resp.Data)
			}
		})
	}
}

// TestEveryNodeTypeHasAViewPermission: every type that implements Node is read
// under a permission, so a type added later cannot be read by every token.
// The viewer's own tenant is the one node every token may read.
func TestEveryNodeTypeHasAViewPermission(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, def := range schema.PossibleTypes["Node"] {
		if _, ok := viewPermissionOf[def.Name]; !ok && def.Name != "Tenant" {
			t.Errorf("node type %s has no view permission", def.Name)
		}
	}
	if len(schema.PossibleTypes["Node"]) != len(viewPermissionOf)+1 {
		t.Errorf("%d node types, %d view permissions", len(schema.PossibleTypes["Node"]), len(viewPermissionOf))
	}
}
