package graph_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

type reconcileOut struct {
	ReconcilePolicy struct {
		DryRun         bool
		Created, Ended []struct {
			User       struct{ ID string }
			Rule       struct{ ID string }
			Assignment *struct{ ID, State string }
		}
	}
}

func (r reconcileOut) pairs() (created, ended []string) {
	for _, g := range r.ReconcilePolicy.Created {
		created = append(created, g.User.ID+"/"+g.Rule.ID)
	}
	for _, g := range r.ReconcilePolicy.Ended {
		ended = append(ended, g.User.ID+"/"+g.Rule.ID)
	}
	return created, ended
}

const reconcile = `mutation($rs: ID!, $dry: Boolean!) { reconcilePolicy(input: {rulesetId: $rs, dryRun: $dry}) {
	dryRun created { user { id } rule { id } assignment { id state } } ended { user { id } rule { id } assignment { id state } } } }`

func TestReconcilePolicy(t *testing.T) {
	srv := graphtest.New(t, 100)
	ctx := viewer.System(context.Background())
	var rulesets struct {
		PolicyRulesets struct {
			Nodes []struct {
				ID, Name        string
				IsAuthoritative bool
			}
		}
	}
	srv.Query(t, `{ policyRulesets(first: 100) { nodes { id name isAuthoritative } } }`, nil).Decode(t, &rulesets)
	byName := map[string]string{}
	for _, rs := range rulesets.PolicyRulesets.Nodes {
		byName[rs.Name] = rs.ID
	}
	security, sales := byName["Security members"], byName["Sales members"]
	if security == "" || sales == "" {
		t.Fatalf("the seed has no Security or Sales ruleset: %v", byName)
	}
	// Drift: an active Security engineer moves to Sales. The Security ruleset
	// (authoritative) should end the assignment; Sales should grant one.
	var mover struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1, where: {department: "Security", state: active, not: {titleHasPrefix: "Director"}}) { nodes { id } } }`, nil).Decode(t, &mover)
	moved := mover.Users.Nodes[0].ID
	if resp := srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, department: "Sales"}) { user { id } } }`,
		map[string]any{"id": moved}); len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}

	rulesetDrift := func() (missing, unqualified map[string][]string) {
		var out struct {
			PolicyRulesets struct {
				Nodes []struct {
					ID                                         string
					MissingAssignments, UnqualifiedAssignments idPage
				}
			}
		}
		srv.Query(t, `{ policyRulesets(first: 100) { nodes { id missingAssignments(first: 100) { totalCount nodes { id } }
			unqualifiedAssignments(first: 100) { totalCount nodes { id } } } } }`, nil).Decode(t, &out)
		missing, unqualified = map[string][]string{}, map[string][]string{}
		for _, rs := range out.PolicyRulesets.Nodes {
			for _, n := range rs.MissingAssignments.Nodes {
				missing[rs.ID] = append(missing[rs.ID], n.ID)
			}
			for _, n := range rs.UnqualifiedAssignments.Nodes {
				unqualified[rs.ID] = append(unqualified[rs.ID], n.ID)
			}
			if len(rs.MissingAssignments.Nodes) != rs.MissingAssignments.TotalCount && rs.MissingAssignments.TotalCount <= 100 {
				t.Errorf("%s: %d missing listed, totalCount %d", rs.ID, len(rs.MissingAssignments.Nodes), rs.MissingAssignments.TotalCount)
			}
		}
		return missing, unqualified
	}
	missing, unqualified := rulesetDrift()
	if !slices.Contains(missing[sales], moved) || !slices.Contains(unqualified[security], moved) {
		t.Errorf("ruleset drift: missing in Sales %v, unqualified in Security %v; want both to hold %s", missing[sales], unqualified[security], moved)
	}

	var drift struct {
		PolicyRules struct {
			Nodes []struct {
				Ruleset                                    struct{ ID string }
				RoleName                                   string
				MissingAssignments, UnqualifiedAssignments idPage
			}
		}
	}
	srv.Query(t, `{ policyRules(first: 100, where: {roleName: "Member"}) { nodes { ruleset { id } roleName
		missingAssignments(first: 100) { totalCount nodes { id } } unqualifiedAssignments(first: 100) { totalCount nodes { id } } } } }`, nil).Decode(t, &drift)
	has := func(p idPage, id string) bool {
		return slices.ContainsFunc(p.Nodes, func(n struct{ ID string }) bool { return n.ID == id })
	}
	for _, r := range drift.PolicyRules.Nodes {
		switch r.Ruleset.ID {
		case security:
			if !has(r.UnqualifiedAssignments, moved) {
				t.Errorf("the Security member rule's unqualified assignments miss the user who moved: %+v", r.UnqualifiedAssignments)
			}
		case sales:
			if !has(r.MissingAssignments, moved) {
				t.Errorf("the Sales member rule's missing assignments miss the user who moved: %+v", r.MissingAssignments)
			}
		}
	}

	for _, c := range []struct {
		name, ruleset string
		wantEnded     bool // whether the mover's Security assignment is ended
	}{{"authoritative: ends what no longer qualifies", security, true}, {"not authoritative: only grants", sales, false}} {
		t.Run(c.name, func(t *testing.T) {
			assignments := func() int { return srv.DB.Client.PolicyAssignment.Query().CountX(ctx) }
			events := func() int { return srv.DB.Client.AuditEvent.Query().CountX(ctx) }
			beforeA, beforeE := assignments(), events()
			var dry reconcileOut
			srv.Query(t, reconcile, map[string]any{"rs": c.ruleset, "dry": true}).Decode(t, &dry)
			if assignments() != beforeA || events() != beforeE {
				t.Fatalf("a dry run wrote: assignments %d → %d, log %d → %d", beforeA, assignments(), beforeE, events())
			}
			dryCreated, dryEnded := dry.pairs()
			ended := slices.ContainsFunc(dryEnded, func(p string) bool { return p[:len(moved)] == moved })
			created := slices.ContainsFunc(dryCreated, func(p string) bool { return p[:len(moved)] == moved })
			if ended != c.wantEnded || created == c.wantEnded {
				t.Errorf("plan: created %v, ended %v for %s", dryCreated, dryEnded, moved)
			}

			var applied reconcileOut
			srv.Query(t, reconcile, map[string]any{"rs": c.ruleset, "dry": false}).Decode(t, &applied)
			gotCreated, gotEnded := applied.pairs()
			if !slices.Equal(gotCreated, dryCreated) || !slices.Equal(gotEnded, dryEnded) {
				t.Errorf("applied created %v ended %v; the dry run planned %v and %v", gotCreated, gotEnded, dryCreated, dryEnded)
			}
			for _, g := range applied.ReconcilePolicy.Created {
				if g.Assignment == nil || g.Assignment.State != "active" {
					t.Errorf("created %+v", g)
				}
			}
			for _, g := range applied.ReconcilePolicy.Ended {
				if g.Assignment == nil || g.Assignment.State != "deactivated" {
					t.Errorf("ended %+v", g)
				}
			}
			changes := len(gotCreated) + len(gotEnded)
			if events() != beforeE+changes || assignments() != beforeA+len(gotCreated) {
				t.Errorf("%d changes: log %d → %d, assignments %d → %d", changes, beforeE, events(), beforeA, assignments())
			}
			n := srv.DB.Client.AuditEvent.Query().Where(auditevent.ActionIn("policy_assignment.created", "policy_assignment.ended"),
				auditevent.ParentRecordID(c.ruleset)).CountX(ctx)
			if n != changes {
				t.Errorf("%d log entries for the ruleset's %d changes", n, changes)
			}

			var again reconcileOut
			srv.Query(t, reconcile, map[string]any{"rs": c.ruleset, "dry": false}).Decode(t, &again)
			if len(again.ReconcilePolicy.Created)+len(again.ReconcilePolicy.Ended) != 0 {
				t.Errorf("a second reconciliation changed %+v", again.ReconcilePolicy)
			}
		})
	}
	if n := srv.DB.Client.PolicyAssignment.Query().Where(policyassignment.UserID(moved), policyassignment.RulesetID(sales),
		policyassignment.StateEQ(policyassignment.StateActive)).CountX(ctx); n != 1 {
		t.Errorf("the mover holds %d active Sales assignments, want 1", n)
	}

	missing, unqualified = rulesetDrift()
	if len(missing[sales]) != 0 || len(unqualified[security]) != 0 {
		t.Errorf("drift left after reconciling: missing in Sales %v, unqualified in Security %v", missing[sales], unqualified[security])
	}

	t.Run("only managed rulesets, only policy managers", func(t *testing.T) {
		var staged struct {
			CreatePolicyRuleset struct{ PolicyRuleset struct{ ID string } }
		}
		srv.Query(t, `mutation { createPolicyRuleset(input: {name: "Draft", state: staged, type: manual}) { policyRuleset { id } } }`, nil).Decode(t, &staged)
		resp := srv.Query(t, reconcile, map[string]any{"rs": staged.CreatePolicyRuleset.PolicyRuleset.ID, "dry": true})
		if codes := resp.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" {
			t.Errorf("reconciling a staged ruleset: %v", resp.Errors)
		}
		reader := srv.TokenFor(t, "demo", "directory.user.view", "policy.view")
		resp = srv.QueryAs(t, reader, reconcile, map[string]any{"rs": sales, "dry": true})
		if codes := resp.Codes(); len(codes) != 1 || codes[0] != "FORBIDDEN" {
			t.Errorf("reconciling without policy.manage: %v", resp.Errors)
		}
	})
}

func TestAssignmentsExpireAfterTheirRulesDays(t *testing.T) {
	srv := graphtest.New(t, 10)
	var user struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &user)
	var rs struct {
		CreatePolicyRuleset struct{ PolicyRuleset struct{ ID string } }
	}
	srv.Query(t, `mutation { createPolicyRuleset(input: {name: "Expiring", type: manual, expiresAfterDays: 30}) { policyRuleset { id } } }`, nil).Decode(t, &rs)
	rulesetID := rs.CreatePolicyRuleset.PolicyRuleset.ID
	for _, c := range []struct {
		name, rule string
		days       int
	}{
		{"inherited from the ruleset", `{rulesetId: $rs, roleName: "Inherits"}`, 30},
		{"the rule's own", `{rulesetId: $rs, roleName: "Own", expiresAfterDays: 7}`, 7},
	} {
		var rule struct {
			CreatePolicyRule struct{ PolicyRule struct{ ID string } }
		}
		srv.Query(t, `mutation($rs: ID!) { createPolicyRule(input: `+c.rule+`) { policyRule { id } } }`,
			map[string]any{"rs": rulesetID}).Decode(t, &rule)
		var a struct {
			CreatePolicyAssignment struct {
				PolicyAssignment struct{ ExpiresAt *time.Time }
			}
		}
		srv.Query(t, `mutation($u: ID!, $rs: ID!, $r: ID!) { createPolicyAssignment(input: {userId: $u, rulesetId: $rs, ruleId: $r}) { policyAssignment { expiresAt } } }`,
			map[string]any{"u": user.Users.Nodes[0].ID, "rs": rulesetID, "r": rule.CreatePolicyRule.PolicyRule.ID}).Decode(t, &a)
		got := a.CreatePolicyAssignment.PolicyAssignment.ExpiresAt
		want := time.Now().AddDate(0, 0, c.days)
		if got == nil || got.Sub(want).Abs() > time.Minute {
			t.Errorf("%s: expires %v, want about %v", c.name, got, want)
		}
	}
}
