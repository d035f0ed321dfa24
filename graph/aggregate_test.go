package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

type aggregateGroup struct {
	Keys            []*string
	Count           int
	Users, Managers int
	First, Last     *string
}

type aggregateAnswer struct {
	TotalGroups int
	Groups      []aggregateGroup
}

// aggregate runs one <entity>Aggregate field and returns its answer.
func aggregate(t *testing.T, srv *graphtest.Server, field, args, selection string) aggregateAnswer {
	t.Helper()
	var out map[string]aggregateAnswer
	if args != "" {
		args = "(" + args + ")"
	}
	srv.Query(t, fmt.Sprintf(`{ a: %s%s { totalGroups groups { keys count %s } } }`, field, args, selection), nil).Decode(t, &out)
	return out["a"]
}

// total is the totalCount of a connection field with a where filter.
func total(t *testing.T, srv *graphtest.Server, field, where string, vars map[string]any) int {
	t.Helper()
	var decl []string
	for _, v := range []string{"$a: String", "$b: String", "$c: Time", "$d: Time", "$id: ID"} {
		if strings.Contains(where, v[:strings.Index(v, ":")]) {
			decl = append(decl, v)
		}
	}
	used := map[string]any{}
	for k, v := range vars {
		if strings.Contains(where, "$"+k) {
			used[k] = v
		}
	}
	op := "query"
	if len(decl) > 0 {
		op += "(" + strings.Join(decl, ", ") + ")"
	}
	var out map[string]struct{ TotalCount int }
	srv.Query(t, fmt.Sprintf(`%s { x: %s(where: %s) { totalCount } }`, op, field, where), used).Decode(t, &out)
	return out["x"].TotalCount
}

func key(k *string) string {
	if k == nil {
		return ""
	}
	return *k
}

// TestEveryGroupingCountsTheConnection checks each aggregate's groups against
// the totalCount of the connection filtered to the group, on the seeded
// organisation: two dimensions, a time bucket, a directory attribute, and the
// aggregates of the other entities.
func TestEveryGroupingCountsTheConnection(t *testing.T) {
	srv := graphtest.New(t, 400)
	users := total(t, srv, "users", "{}", nil)

	t.Run("users by department and state", func(t *testing.T) {
		got := aggregate(t, srv, "userAggregate", `groupBy: [{dimension: DEPARTMENT}, {dimension: STATE}], limit: 1000`,
			`managers: countDistinct(dimension: MANAGER) first: min(dimension: CREATED_AT) last: max(dimension: CREATED_AT)`)
		sum := 0
		for _, g := range got.Groups {
			sum += g.Count
			vars := map[string]any{"a": key(g.Keys[0])}
			if n := total(t, srv, "users", `{department: $a, state: `+key(g.Keys[1])+`}`, vars); n != g.Count {
				t.Errorf("%v: %d, the connection has %d", vars, g.Count, n)
			}
		}
		if sum != users || got.TotalGroups != len(got.Groups) {
			t.Errorf("groups sum to %d of %d users; totalGroups %d for %d groups", sum, users, got.TotalGroups, len(got.Groups))
		}
		for i := 1; i < len(got.Groups); i++ {
			if got.Groups[i].Count > got.Groups[i-1].Count {
				t.Fatalf("groups not largest first: %d after %d", got.Groups[i].Count, got.Groups[i-1].Count)
			}
		}
		// min and max against the first and last of the group's page.
		g := got.Groups[0]
		var page struct {
			Users struct{ Nodes []struct{ CreatedAt string } }
		}
		srv.Query(t, `query($a: String, $b: UserState) { users(first: 1, where: {department: $a, state: $b}, orderBy: [{field: CREATED_AT}]) { nodes { createdAt } } }`,
			map[string]any{"a": key(g.Keys[0]), "b": key(g.Keys[1])}).Decode(t, &page)
		first, _ := time.Parse(time.RFC3339Nano, page.Users.Nodes[0].CreatedAt)
		if min, err := time.Parse(time.RFC3339Nano, key(g.First)); err != nil || !min.Equal(first) || g.Last == nil || key(g.Last) < key(g.First) {
			t.Errorf("min %v, max %v; the oldest user was created %s", key(g.First), key(g.Last), page.Users.Nodes[0].CreatedAt)
		}
		if g.Managers == 0 {
			t.Errorf("countDistinct(MANAGER) of the largest group is 0")
		}
	})

	t.Run("users by month of creation", func(t *testing.T) {
		got := aggregate(t, srv, "userAggregate", `groupBy: [{dimension: CREATED_AT, bucket: MONTH}], orderBy: KEYS_ASC, limit: 1000`, "")
		sum := 0
		for i, g := range got.Groups {
			sum += g.Count
			month, err := time.Parse("2006-01", key(g.Keys[0]))
			if err != nil {
				t.Fatalf("month key %q: %v", key(g.Keys[0]), err)
			}
			if i > 0 && key(got.Groups[i-1].Keys[0]) >= key(g.Keys[0]) {
				t.Errorf("KEYS_ASC: %q after %q", key(g.Keys[0]), key(got.Groups[i-1].Keys[0]))
			}
			vars := map[string]any{"c": month.Format(time.RFC3339), "d": month.AddDate(0, 1, 0).Format(time.RFC3339)}
			if n := total(t, srv, "users", `{createdAtGTE: $c, createdAtLT: $d}`, vars); n != g.Count {
				t.Errorf("%s: %d, the connection has %d", key(g.Keys[0]), g.Count, n)
			}
		}
		if sum != users {
			t.Errorf("months sum to %d of %d users", sum, users)
		}
		week := aggregate(t, srv, "userAggregate", `groupBy: [{dimension: CREATED_AT, bucket: WEEK}], limit: 3`, "")
		for _, g := range week.Groups {
			if d, err := time.Parse("2006-01-02", key(g.Keys[0])); err != nil || d.Weekday() != time.Monday {
				t.Errorf("week key %q is not a Monday", key(g.Keys[0]))
			}
		}
	})

	t.Run("users by an open directory attribute", func(t *testing.T) {
		got := aggregate(t, srv, "userAggregate", `groupBy: [{attribute: "level"}], limit: 1000`, "")
		sum := 0
		for _, g := range got.Groups {
			sum += g.Count
			if g.Keys[0] == nil {
				continue
			}
			where := fmt.Sprintf(`{attributes: [{key: "level", equals: %q}]}`, *g.Keys[0])
			if n := total(t, srv, "users", where, nil); n != g.Count {
				t.Errorf("level %s: %d, the connection has %d", *g.Keys[0], g.Count, n)
			}
		}
		if sum != users || !slices.ContainsFunc(got.Groups, func(g aggregateGroup) bool { return g.Keys[0] == nil }) {
			t.Errorf("levels sum to %d of %d users, with a group of users without one expected", sum, users)
		}
	})

	t.Run("identities by integration and state, with distinct users", func(t *testing.T) {
		got := aggregate(t, srv, "identityAggregate", `groupBy: [{dimension: INTEGRATION}, {dimension: STATE}], limit: 1000`,
			`users: countDistinct(dimension: USER)`)
		ctx := viewer.System(context.Background())
		for _, g := range got.Groups {
			vars := map[string]any{"id": key(g.Keys[0])}
			if n := total(t, srv, "identities", `{hasIntegrationWith: {id: $id}, state: `+key(g.Keys[1])+`}`, vars); n != g.Count {
				t.Errorf("%v: %d, the connection has %d", vars, g.Count, n)
			}
			var distinct []string
			if err := srv.DB.Client.Identity.Query().Where(identity.IntegrationID(key(g.Keys[0])), identity.StateEQ(identity.State(key(g.Keys[1]))),
				identity.UserIDNotNil()).Unique(true).Select(identity.FieldUserID).Scan(ctx, &distinct); err != nil {
				t.Fatal(err)
			}
			if len(distinct) != g.Users {
				t.Errorf("%v: %d distinct users, want %d", vars, g.Users, len(distinct))
			}
		}
	})

	t.Run("policy assignments, memberships and the log", func(t *testing.T) {
		got := aggregate(t, srv, "auditEventAggregate", `groupBy: [{dimension: ACTION}], limit: 1000`, "")
		for _, g := range got.Groups {
			if n := total(t, srv, "auditEvents", `{action: $a}`, map[string]any{"a": key(g.Keys[0])}); n != g.Count {
				t.Errorf("action %s: %d, the connection has %d", key(g.Keys[0]), g.Count, n)
			}
		}
		assigned := aggregate(t, srv, "policyAssignmentAggregate", `groupBy: [{dimension: RULESET}, {dimension: STATE}], limit: 1000`, "")
		if len(assigned.Groups) == 0 {
			t.Fatal("no assignments grouped")
		}
		for _, g := range assigned.Groups {
			var out struct {
				Node struct{ Assignments struct{ TotalCount int } }
			}
			srv.Query(t, `query($id: ID!) { node(id: $id) { ... on PolicyRuleset { assignments(where: {state: `+key(g.Keys[1])+`}) { totalCount } } } }`,
				map[string]any{"id": key(g.Keys[0])}).Decode(t, &out)
			if out.Node.Assignments.TotalCount != g.Count {
				t.Errorf("ruleset %s %s: %d, the connection has %d", key(g.Keys[0]), key(g.Keys[1]), g.Count, out.Node.Assignments.TotalCount)
			}
		}
		byDay := aggregate(t, srv, "auditEventAggregate", `groupBy: [{dimension: OCCURRED_AT, bucket: DAY}]`, "")
		if len(byDay.Groups) == 0 || byDay.Groups[0].Count == 0 {
			t.Errorf("the log by day: %+v", byDay)
		}
		// Memberships of one resource, against the resource's member count.
		members := aggregate(t, srv, "membershipAggregate", `groupBy: [{dimension: RESOURCE}], limit: 3`, "")
		for _, g := range members.Groups {
			var out struct {
				Resource struct{ Members struct{ TotalCount int } }
			}
			srv.Query(t, `query($id: ID!) { resource(id: $id) { members { totalCount } } }`, map[string]any{"id": key(g.Keys[0])}).Decode(t, &out)
			if out.Resource.Members.TotalCount != g.Count {
				t.Errorf("resource %s: %d memberships, %d members", key(g.Keys[0]), g.Count, out.Resource.Members.TotalCount)
			}
		}
	})

	t.Run("limits and mistakes", func(t *testing.T) {
		limited := aggregate(t, srv, "userAggregate", `groupBy: [{dimension: TITLE}], limit: 2`, "")
		if len(limited.Groups) != 2 || limited.TotalGroups <= 2 {
			t.Errorf("limit 2: %d groups of %d", len(limited.Groups), limited.TotalGroups)
		}
		whole := aggregate(t, srv, "userAggregate", ``, "")
		if len(whole.Groups) != 1 || whole.Groups[0].Count != users {
			t.Errorf("no groupBy: %+v, want one group of %d", whole, users)
		}
		for _, args := range []string{
			`groupBy: [{dimension: CREATED_AT}]`,
			`groupBy: [{dimension: STATE, bucket: DAY}]`,
			`groupBy: [{dimension: STATE, attribute: "level"}]`,
			`groupBy: [{}]`,
			`limit: 5000`,
			`groupBy: [{dimension: STATE}, {dimension: TYPE}, {dimension: TITLE}, {dimension: OFFICE}, {dimension: COMPANY}]`,
		} {
			resp := srv.Query(t, `{ userAggregate(`+args+`) { totalGroups } }`, nil)
			if codes := resp.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
				t.Errorf("%s: %v", args, resp.Errors)
			}
		}
	})

	t.Run("another tenant sees its own rows only", func(t *testing.T) {
		srv.SeedTenant(t, "other", 30)
		token := srv.TokenFor(t, "other", "*")
		var out struct{ UserAggregate aggregateAnswer }
		srv.QueryAs(t, token, `{ userAggregate { groups { count } } }`, nil).Decode(t, &out)
		if len(out.UserAggregate.Groups) != 1 || out.UserAggregate.Groups[0].Count >= users {
			t.Errorf("the other tenant counts %+v", out.UserAggregate)
		}
	})
}
