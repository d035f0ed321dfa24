package graph_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/querylimit"
	"github.com/idgraph/idgraph/internal/viewer"
)

// TestKeptStatementsServeEachTenantItsOwn asks two tenants, in turn, for the
// profiles of their users: after the first, each profile's pages go out as
// statements kept from another user's (or another tenant's) request, with
// this request's tenant and parents. Every answer must be the one a server
// without loaders gives, and hold only the tenant's records. (In tests the
// memo also builds each kept statement and fails the request on a
// difference.)
func TestKeptStatementsServeEachTenantItsOwn(t *testing.T) {
	srv, ids := twoTenants(t)
	perNode := *srv
	perNode.Handler = graph.NewHandler(srv.DB, graph.Options{Loaders: loader.Config{Bypass: true}, Auth: srv.Auth,
		Limits: graph.Limits{Limits: querylimit.Limits{MaxStatements: 10_000}}})
	tokens := map[string]string{"demo": srv.Token, "acme": srv.TokenFor(t, "acme", viewer.All)}
	const profile = `query($id: ID!) { user(id: $id) { id fullName manager { id fullName }
		directReports { totalCount nodes { id fullName } } secondaryUsers { totalCount nodes { id } }
		identities { totalCount nodes { id vendorId integration { id vendor } memberships { totalCount } } } } }`
	idPattern := regexp.MustCompile(`"id":"([^"]+)"`)
	for i := range 12 {
		for _, slug := range []string{"demo", "acme"} {
			users := ids[slug]["User"]
			id := users[i*len(users)/12]
			vars := map[string]any{"id": id}
			got := srv.QueryAs(t, tokens[slug], profile, vars)
			want := perNode.QueryAs(t, tokens[slug], profile, vars)
			if len(got.Errors) > 0 || len(want.Errors) > 0 {
				t.Fatalf("%s %s: errors %v / %v", slug, id, got.Errors, want.Errors)
			}
			if !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("%s %s: kept statements answered\n%s\nwithout loaders:\n%s", slug, id, got.Data, want.Data)
			}
			for _, m := range idPattern.FindAllSubmatch(got.Data, -1) {
				if !ownedBy(ids[slug], string(m[1])) {
					t.Fatalf("%s %s: the answer holds %s, not the tenant's", slug, id, m[1])
				}
			}
		}
	}
	if kept := metricValue(t, srv, `^idgraph_statements_kept_total (\S+)$`); kept < 40 {
		t.Errorf("%.0f statements sent as kept, want one or two per profile after the first", kept)
	}
}

// ownedBy reports whether id is one of the tenant's records of any type.
func ownedBy(records map[string][]string, id string) bool {
	for _, list := range records {
		if contains(list, id) {
			return true
		}
	}
	return false
}
