package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
)

// The queries of the statement-count contract. Their statement counts
// must be small and must not grow with the number of users seeded.
const (
	usersPageQuery = `{ users(first:100){ totalCount nodes{ fullName manager{ fullName }
		directReports(first:5){ totalCount nodes{ fullName } }
		identities{ totalCount nodes{ vendorId integration{ vendor } } }
		secondaryUsers{ totalCount } } } }`

	identitiesPageQuery = `{ identities(first:100){ nodes{ state user{ fullName manager{ fullName } }
		integration{ name } memberships{ totalCount } } } }`

	profileQuery = `query Profile($id: ID!) { user(id: $id) {
		id fullName email state isManager title department
		manager { fullName manager { fullName manager { fullName } } }
		parentUser { fullName }
		secondaryUsers(first: 10) { totalCount nodes { fullName } }
		directReports(first: 20) { totalCount nodes { fullName isManager } }
		identities(first: 10) { totalCount nodes { vendorId state integration { vendor name } } }
		policyConditions(first: 10) { totalCount nodes { type profileKey } }
		policyAssignments(first: 10) { totalCount nodes { state ruleset { name } rule { roleName } } }
		policyRulesets(first: 10) { totalCount nodes { name } }
		auditEvents(first: 10) { totalCount nodes { action } }
		resources(first: 10) { totalCount nodes { name kind } }
		counts { directReports secondaryUsers identities policyConditions policyAssignments policyRulesets
			workspaceLogsParent workspaceLogsRecord workspaceLogsRelated workspaceLogsSubject
			gitlabGroups gitlabProjects googleDriveDocs googleDriveFiles googleDriveFolders googleDriveDecks
			googleDriveSheets googleIdentityGroups googleWorkspaceDrives googleWorkspaceGroups oktaGroups
			slackPublicChannels slackPrivateChannels slackGroups }
	} }`

	// logPageQuery pages the log with each entry's children: the identities
	// linked as part of a user's creation.
	logPageQuery = `{ auditEvents(first: 100, where: {action: "user.created"}) { nodes { action
		children(first: 3) { totalCount nodes { action record { id } } } } } }`

	// directorQuery finds a director: two levels below the chief executive, with
	// reports. Every relation of the profile page is non-empty for such a user in
	// both the small and the large organisation, so their statement counts compare.
	directorQuery = `{ users(first: 1, orderBy: [{field: FULL_NAME}],
		where: {hasManagerWith: {hasManagerWith: {hasManager: false}}, hasDirectReports: true}) { nodes { id } } }`
)

// profileUserID returns the id of a director of the seeded organisation.
func profileUserID(t testing.TB, srv *graphtest.Server) string {
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, directorQuery, nil).Decode(t, &out)
	if len(out.Users.Nodes) != 1 {
		t.Fatalf("no director in the seeded organisation")
	}
	return out.Users.Nodes[0].ID
}

func TestStatementCountDoesNotGrowWithNodes(t *testing.T) {
	small, large := graphtest.New(t, 100), graphtest.New(t, 2000)
	cases := []struct {
		name  string
		query string
		max   int64
		vars  func(testing.TB, *graphtest.Server) map[string]any
	}{
		{"users page", usersPageQuery, 4, nil},
		{"identities page", identitiesPageQuery, 1, nil},
		{"log page with children", logPageQuery, 3, nil},
		{"users page with policy standings", `{ users(first: 100) { nodes {
			qualifiedRules(first: 5) { totalCount nodes { roleName } }
			manifestRules(first: 5) { totalCount nodes { roleName ruleset { name } } }
			stagedRules(first: 5) { totalCount nodes { roleName } }
			counts { qualifiedRules manifestRules stagedRules } } } }`, 10, nil}, // + the tenant's rules and conditions
		{"rules page with policy standings", `{ policyRules(first: 100) { nodes { roleName
			qualifiedUsers(first: 5) { totalCount nodes { fullName } }
			manifestUsers(first: 5) { totalCount nodes { fullName manager { fullName } } }
			stagedUsers(first: 5) { totalCount nodes { fullName } } } } }`, 10, nil}, // + the rules' states and conditions
		{"rulesets page with drift", `{ policyRulesets(first: 100) { nodes { name
			missingAssignments(first: 5) { totalCount nodes { fullName } } unqualifiedAssignments { totalCount } } } }`, 7, nil},
		{"rules page explained for one user", `query($u: ID!) { policyRules(first: 100) { nodes { roleName
			explain(userId: $u) { user { fullName } qualified manifest staged checks { condition { profileKey } actual pass } } } } }`,
			8, func(t testing.TB, s *graphtest.Server) map[string]any {
				return map[string]any{"u": profileUserID(t, s)}
			}},
		{"users page with attributes", `{ users(first: 100, where: {attributes: {key: "department", exists: true}}) {
			nodes { attributes { key value } counts { directoryAttributes } } } }`, 2, nil},
		{"users page with reporting lines", `{ users(first: 100) { nodes { fullName
			managementChain { depth user { fullName manager { fullName } } }
			reports { totalCount } counts { allReports directReports } } } }`, 4, nil},
		{"users page with a page of reports", `{ users(first: 100) { nodes {
			reports(first: 5, depth: 2, where: {state: active}) { totalCount edges { depth node { fullName manager { fullName } } } } } } }`, 3, nil},
		{"aggregates", `{ userAggregate(groupBy: [{dimension: DEPARTMENT}, {attribute: "level"}, {dimension: CREATED_AT, bucket: MONTH}]) {
			totalGroups groups { keys count m: countDistinct(dimension: MANAGER) first: min(dimension: CREATED_AT) } }
			identityAggregate(groupBy: [{dimension: INTEGRATION}]) { groups { keys count } } }`, 2, nil},
		{"profile page", profileQuery, 16, func(t testing.TB, s *graphtest.Server) map[string]any {
			return map[string]any{"id": profileUserID(t, s)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counts := map[int]int64{}
			for _, srv := range []*graphtest.Server{small, large} {
				var vars map[string]any
				if tc.vars != nil {
					vars = tc.vars(t, srv)
				}
				var sent []string
				srv.DB.Statements.Trace = func(q string, _ []any) { sent = append(sent, q) }
				resp := srv.Query(t, tc.query, vars)
				srv.DB.Statements.Trace = nil
				if len(resp.Errors) > 0 {
					t.Fatalf("errors: %+v", resp.Errors)
				}
				counts[srv.Seed.Users] = resp.Statements
				if resp.Statements > tc.max {
					t.Errorf("%d users: %d statements, want at most %d:\n%s", srv.Seed.Users, resp.Statements, tc.max, strings.Join(sent, "\n"))
				}
			}
			if counts[small.Seed.Users] != counts[large.Seed.Users] {
				t.Errorf("statement count grows with the data: %v", counts)
			}
			t.Logf("statements: %v", counts)
		})
	}
}

// TestNestedPagesAreCorrect checks the batched windowed pages against the plain
// per-parent answer: same rows, same order, same totals and page info.
func TestNestedPagesAreCorrect(t *testing.T) {
	srv := graphtest.New(t, 300)
	type conn struct {
		TotalCount int
		PageInfo   struct{ HasNextPage bool }
		Nodes      []struct{ ID string }
	}
	var page struct {
		Users struct {
			Nodes []struct {
				ID            string
				DirectReports conn
			}
		}
	}
	// Pages with their totals are one statement per field; with a filter, the
	// totals count the filter too.
	for _, filter := range []string{`{stateNEQ: deactivated}`, `{state: active}`} {
		srv.Query(t, `{ users(first: 50, where: {hasDirectReports: true}) { nodes { id
			directReports(first: 3, orderBy: [{field: FULL_NAME, direction: DESC}], where: `+filter+`) {
				totalCount pageInfo { hasNextPage } nodes { id } } } } }`, nil).Decode(t, &page)
		if len(page.Users.Nodes) == 0 {
			t.Fatal("no managers")
		}
		for _, u := range page.Users.Nodes {
			var one struct{ Users conn }
			srv.Query(t, `query($id: ID!) { users(first: 3, orderBy: [{field: FULL_NAME, direction: DESC}],
				where: {and: [{hasManagerWith: {id: $id}}, `+filter+`]}) {
				totalCount pageInfo { hasNextPage } nodes { id } } }`, map[string]any{"id": u.ID}).Decode(t, &one)
			if fmt.Sprint(one.Users) != fmt.Sprint(u.DirectReports) {
				t.Fatalf("filter %s, user %s: batched %+v, direct %+v", filter, u.ID, u.DirectReports, one.Users)
			}
		}
	}
}

func TestCountsOnlyLoadNoRows(t *testing.T) {
	srv := graphtest.New(t, 200)
	var sent []string
	srv.DB.Statements.Trace = func(q string, _ []any) { sent = append(sent, q) }
	resp := srv.Query(t, `{ users(first: 100) { nodes { directReports { totalCount } counts { identities } } } }`, nil)
	srv.DB.Statements.Trace = nil
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	// The root page counts each user's reports beside it; counts.identities is
	// one grouped COUNT. No row query for the edges.
	if len(sent) != 2 {
		t.Fatalf("want 2 statements, got %d:\n%s", len(sent), strings.Join(sent, "\n"))
	}
	if !strings.Contains(sent[0], "SELECT COUNT(*)") {
		t.Errorf("the page does not count the reports: %s", sent[0])
	}
	if !strings.Contains(sent[1], "COUNT(") || !strings.Contains(sent[1], "GROUP BY") {
		t.Errorf("not a grouped count: %s", sent[1])
	}
}

// TestLogEntriesListTheirChildren: the seed links every fourth identity as
// part of its user's creation, and the creation entry lists those links.
func TestLogEntriesListTheirChildren(t *testing.T) {
	srv := graphtest.New(t, 100)
	var out struct {
		AuditEvents struct {
			Nodes []struct {
				Children struct {
					TotalCount int
					Nodes      []struct{ Action string }
				}
			}
		}
	}
	srv.Query(t, logPageQuery, nil).Decode(t, &out)
	linked := 0
	for _, e := range out.AuditEvents.Nodes {
		c := e.Children
		if len(c.Nodes) != min(c.TotalCount, 3) {
			t.Fatalf("%d children shown of %d, page of 3", len(c.Nodes), c.TotalCount)
		}
		for _, n := range c.Nodes {
			if n.Action != "identity.linked" {
				t.Fatalf("child %q of a user's creation", n.Action)
			}
		}
		linked += c.TotalCount
	}
	if linked == 0 {
		t.Fatal("no creation entry lists a linked identity")
	}
}
