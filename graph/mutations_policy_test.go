package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

func TestPolicyMutations(t *testing.T) {
	srv := graphtest.New(t, 10)
	user := firstUserID(t, srv)
	mustID := func(resp graphtest.Response, path ...string) string {
		t.Helper()
		if len(resp.Errors) > 0 {
			t.Fatalf("%+v", resp.Errors)
		}
		var out map[string]any
		if err := jsonUnmarshal(resp.Data, &out); err != nil {
			t.Fatal(err)
		}
		var v any = out
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v.(string)
	}
	code := func(resp graphtest.Response) string {
		if len(resp.Errors) != 1 {
			return fmt.Sprintf("%d errors: %+v", len(resp.Errors), resp.Errors)
		}
		return resp.Errors[0].Code() + ":" + fmt.Sprint(resp.Errors[0].Extensions["field"])
	}
	assignments := func() int {
		var out struct {
			User struct{ PolicyAssignments struct{ TotalCount int } }
		}
		srv.Query(t, `query($u: ID!) { user(id: $u) { policyAssignments { totalCount } } }`, map[string]any{"u": user}).Decode(t, &out)
		return out.User.PolicyAssignments.TotalCount
	}
	seeded := assignments()
	ruleset := mustID(srv.Query(t, `mutation { createPolicyRuleset(input: {name: "Engineering access", type: manual}) { policyRuleset { id } } }`, nil),
		"createPolicyRuleset", "policyRuleset", "id")
	other := mustID(srv.Query(t, `mutation { createPolicyRuleset(input: {name: "Other", type: manual}) { policyRuleset { id } } }`, nil),
		"createPolicyRuleset", "policyRuleset", "id")
	rule := mustID(srv.Query(t, `mutation($rs: ID!) { createPolicyRule(input: {rulesetId: $rs, roleName: "Developer", priority: 1}) { policyRule { id } } }`,
		map[string]any{"rs": ruleset}), "createPolicyRule", "policyRule", "id")

	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"a user condition without its user", `mutation($rs: ID!) { createPolicyCondition(input: {rulesetId: $rs, type: user}) { policyCondition { id } } }`,
			map[string]any{"rs": ruleset}, "BAD_USER_INPUT:userId"},
		{"a rule of another ruleset", `mutation($rs: ID!, $r: ID!) { createPolicyCondition(input: {rulesetId: $rs, ruleId: $r, profileKey: "department"}) { policyCondition { id } } }`,
			map[string]any{"rs": other, "r": rule}, "BAD_USER_INPUT:ruleId"},
		{"an expiry in the past", `mutation($u: ID!, $rs: ID!, $at: Time) { createPolicyAssignment(input: {userId: $u, rulesetId: $rs, expiresAt: $at}) { policyAssignment { id } } }`,
			map[string]any{"u": user, "rs": ruleset, "at": time.Now().Add(-time.Hour).Format(time.RFC3339)}, "BAD_USER_INPUT:expiresAt"},
		{"a missing user", `mutation($rs: ID!) { createPolicyAssignment(input: {userId: "drusr_01jzzzzzzzzzzzzzzzzzzzzzzz", rulesetId: $rs}) { policyAssignment { id } } }`,
			map[string]any{"rs": ruleset}, "NOT_FOUND:<nil>"},
		{"a stale rule version", `mutation($r: ID!) { updatePolicyRule(input: {id: $r, ifVersion: 7, roleName: "Admin"}) { policyRule { id } } }`,
			map[string]any{"r": rule}, "CONFLICT:<nil>"},
		{"an id of the wrong type", `mutation($u: ID!) { deletePolicyRecord(input: {id: $u}) { deletedId } }`,
			map[string]any{"u": user}, "BAD_USER_INPUT:<nil>"},
	}
	for _, tc := range cases {
		if got := code(srv.Query(t, tc.query, tc.vars)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}

	condition := mustID(srv.Query(t, `mutation($rs: ID!, $r: ID!) { createPolicyCondition(input: {rulesetId: $rs, ruleId: $r, profileKey: "department", profileOperator: equals, profileValue: "Engineering"}) { policyCondition { id } } }`,
		map[string]any{"rs": ruleset, "r": rule}), "createPolicyCondition", "policyCondition", "id")
	assignment := mustID(srv.Query(t, `mutation($u: ID!, $rs: ID!, $r: ID!) { createPolicyAssignment(input: {userId: $u, rulesetId: $rs, ruleId: $r}) { policyAssignment { id } } }`,
		map[string]any{"u": user, "rs": ruleset, "r": rule}), "createPolicyAssignment", "policyAssignment", "id")
	if n := assignments(); n != seeded+1 {
		t.Fatalf("assignments %d after one was added to %d", n, seeded)
	}
	if resp := srv.Query(t, `mutation($r: ID!) { updatePolicyRule(input: {id: $r, ifVersion: 1, roleName: "Maintainer"}) { policyRule { roleName version } } }`,
		map[string]any{"r": rule}); !strings.Contains(string(resp.Data), `"roleName":"Maintainer","version":2`) {
		t.Fatalf("update rule: %s %+v", resp.Data, resp.Errors)
	}
	if resp := srv.Query(t, `mutation($c: ID!) { updatePolicyCondition(input: {id: $c, profileValue: "Platform"}) { policyCondition { profileValue } } }`,
		map[string]any{"c": condition}); !strings.Contains(string(resp.Data), `"profileValue":"Platform"`) {
		t.Fatalf("update condition: %s %+v", resp.Data, resp.Errors)
	}
	if resp := srv.Query(t, `mutation($a: ID!) { updatePolicyAssignment(input: {id: $a, state: suspended}) { policyAssignment { state } } }`,
		map[string]any{"a": assignment}); !strings.Contains(string(resp.Data), `"state":"suspended"`) {
		t.Fatalf("update assignment: %s %+v", resp.Data, resp.Errors)
	}
	if got := code(srv.Query(t, `mutation($c: ID!) { updatePolicyCondition(input: {id: $c, profileValue: "x", ifVersion: 1}) { policyCondition { id } } }`,
		map[string]any{"c": condition})); got != "CONFLICT:<nil>" {
		t.Fatalf("a stale condition update: %s", got)
	}
	del := `mutation($id: ID!) { deletePolicyRecord(input: {id: $id}) { deletedId } }`
	if got := code(srv.Query(t, del, map[string]any{"id": ruleset})); got != "CONFLICT:<nil>" {
		t.Fatalf("deleting a ruleset in use: %s", got)
	}
	if resp := srv.Query(t, del, map[string]any{"id": assignment}); len(resp.Errors) > 0 {
		t.Fatalf("delete the assignment: %+v", resp.Errors)
	}
	// A live condition keeps its rule and its ruleset: deleting either would
	// leave it pointing at nothing.
	if got := code(srv.Query(t, del, map[string]any{"id": rule})); got != "CONFLICT:<nil>" {
		t.Fatalf("deleting a rule a condition uses: %s", got)
	}
	for _, id := range []string{condition, rule} {
		if resp := srv.Query(t, del, map[string]any{"id": id}); len(resp.Errors) > 0 {
			t.Fatalf("delete %s: %+v", id, resp.Errors)
		}
	}
	onRuleset := mustID(srv.Query(t, `mutation($rs: ID!) { createPolicyCondition(input: {rulesetId: $rs, profileKey: "title"}) { policyCondition { id } } }`,
		map[string]any{"rs": ruleset}), "createPolicyCondition", "policyCondition", "id")
	if got := code(srv.Query(t, del, map[string]any{"id": ruleset})); got != "CONFLICT:<nil>" {
		t.Fatalf("deleting a ruleset a condition uses: %s", got)
	}
	for _, id := range []string{onRuleset, ruleset} {
		if resp := srv.Query(t, del, map[string]any{"id": id}); len(resp.Errors) > 0 {
			t.Fatalf("delete %s: %+v", id, resp.Errors)
		}
	}
	if n := assignments(); n != seeded {
		t.Fatalf("a deleted assignment still counts: %d, seeded %d", n, seeded)
	}
	ctx := viewer.System(context.Background())
	ev := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(rule), auditevent.Action("policy_rule.updated")).OnlyX(ctx)
	if fmt.Sprint(ev.Changes["role_name"]) != "map[after:Maintainer before:Developer]" {
		t.Fatalf("the log of a rule update: %v", ev.Changes)
	}
	if resp := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.PolicyView), `mutation { createPolicyRuleset(input: {name: "x", type: manual}) { policyRuleset { id } } }`, nil); len(resp.Errors) != 1 ||
		resp.Errors[0].Extensions["permission"] != "policy.manage" {
		t.Fatalf("without policy.manage: %+v", resp.Errors)
	}
}
