package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/internal/policy"
	"github.com/idgraph/idgraph/internal/viewer"
)

// standingPairs is the Go evaluator's answer for the seeded tenant: for each
// relation, every "user/rule" pair in it.
func standingPairs(t *testing.T, srv *graphtest.Server) map[string][]string {
	ctx := viewer.System(context.Background())
	c := srv.DB.Client
	users := c.User.Query().WithAttributes().WithIdentities(func(q *ent.IdentityQuery) { q.WithResources() }).AllX(ctx)
	rules := c.PolicyRule.Query().WithRuleset().AllX(ctx)
	conds := c.PolicyCondition.Query().AllX(ctx)
	assigned := map[[2]string]bool{}
	for _, a := range c.PolicyAssignment.Query().Where(policyassignment.StateIn(policyassignment.StateActive, policyassignment.StateExpiring), policyassignment.RuleIDNotNil()).AllX(ctx) {
		assigned[[2]string{a.UserID, *a.RuleID}] = true
	}
	out := map[string][]string{}
	for _, u := range users {
		s := policy.Subject{ID: u.ID, Attributes: map[string]string{}, Groups: map[string]bool{}}
		if u.ManagerID != nil {
			s.ManagerID = *u.ManagerID
		}
		for _, key := range policy.FixedAttributes {
			s.Attributes[key] = loader.FixedAttribute(u, key)
		}
		for _, a := range u.Edges.Attributes {
			s.Attributes[a.Key] = a.Value
		}
		for _, i := range u.Edges.Identities {
			for _, r := range i.Edges.Resources {
				s.Groups[r.ID] = true
			}
		}
		for _, r := range rules {
			var of []policy.Condition
			for _, cond := range conds {
				if cond.RulesetID != r.RulesetID || (cond.RuleID != nil && *cond.RuleID != r.ID) {
					continue
				}
				pc := policy.Condition{Type: string(cond.Type), Key: cond.ProfileKey, Operator: string(cond.ProfileOperator), Value: cond.ProfileValue}
				if cond.UserID != nil {
					pc.UserID = *cond.UserID
				}
				of = append(of, pc)
			}
			st := policy.Stand(policy.Qualifies(s, of), policy.States{User: string(u.State), Rule: string(r.State),
				Ruleset: string(r.Edges.Ruleset.State), Assigned: assigned[[2]string{u.ID, r.ID}]})
			pair := u.ID + "/" + r.ID
			for rel, in := range map[string]bool{"qualified": st.Qualified, "manifest": st.Manifest, "staged": st.Staged} {
				if in {
					out[rel] = append(out[rel], pair)
				}
			}
		}
	}
	for rel := range out {
		slices.Sort(out[rel])
	}
	return out
}

type idPage struct {
	TotalCount int
	Nodes      []struct{ ID string }
}

func TestStandingsAgreeWithTheEvaluator(t *testing.T) {
	srv := graphtest.New(t, 100)
	want := standingPairs(t, srv)
	for _, rel := range []string{"qualified", "manifest", "staged"} {
		if len(want[rel]) == 0 {
			t.Fatalf("the seeded tenant has no %s pairs: the test would prove nothing", rel)
		}
	}

	// From the users' side, with the counts.
	var byUser struct {
		Users struct {
			Nodes []struct {
				ID                                         string
				QualifiedRules, ManifestRules, StagedRules idPage
				Counts                                     struct{ QualifiedRules, ManifestRules, StagedRules int }
			}
		}
	}
	srv.Query(t, `{ users(first: 100) { nodes { id
		qualifiedRules(first: 100) { totalCount nodes { id } }
		manifestRules(first: 100) { totalCount nodes { id } }
		stagedRules(first: 100) { totalCount nodes { id } }
		counts { qualifiedRules manifestRules stagedRules } } } }`, nil).Decode(t, &byUser)
	got := map[string][]string{}
	for _, u := range byUser.Users.Nodes {
		for rel, page := range map[string]idPage{"qualified": u.QualifiedRules, "manifest": u.ManifestRules, "staged": u.StagedRules} {
			for _, r := range page.Nodes {
				got[rel] = append(got[rel], u.ID+"/"+r.ID)
			}
			if page.TotalCount != len(page.Nodes) {
				t.Errorf("%s: %s rules: totalCount %d, %d nodes", u.ID, rel, page.TotalCount, len(page.Nodes))
			}
		}
		if u.Counts.QualifiedRules != u.QualifiedRules.TotalCount || u.Counts.ManifestRules != u.ManifestRules.TotalCount ||
			u.Counts.StagedRules != u.StagedRules.TotalCount {
			t.Errorf("%s: counts %+v differ from the lists' totals", u.ID, u.Counts)
		}
	}

	// From the rules' side.
	var byRule struct {
		PolicyRules struct {
			Nodes []struct {
				ID                                         string
				QualifiedUsers, ManifestUsers, StagedUsers idPage
			}
		}
	}
	srv.Query(t, `{ policyRules(first: 100) { nodes { id
		qualifiedUsers(first: 100) { totalCount nodes { id } }
		manifestUsers(first: 100) { totalCount nodes { id } }
		stagedUsers(first: 100) { totalCount nodes { id } } } } }`, nil).Decode(t, &byRule)
	fromRules := map[string][]string{}
	for _, r := range byRule.PolicyRules.Nodes {
		for rel, page := range map[string]idPage{"qualified": r.QualifiedUsers, "manifest": r.ManifestUsers, "staged": r.StagedUsers} {
			for _, u := range page.Nodes {
				fromRules[rel] = append(fromRules[rel], u.ID+"/"+r.ID)
			}
			if page.TotalCount != len(page.Nodes) && len(page.Nodes) < 100 {
				t.Errorf("%s: %s users: totalCount %d, %d nodes", r.ID, rel, page.TotalCount, len(page.Nodes))
			}
		}
	}
	inPage := map[string]bool{}
	for _, u := range byUser.Users.Nodes {
		inPage[u.ID] = true
	}
	for _, rel := range []string{"qualified", "manifest", "staged"} {
		slices.Sort(got[rel])
		slices.Sort(fromRules[rel])
		// The users page holds the first 100 users; the seed made one more.
		wantOfPage := slices.DeleteFunc(slices.Clone(want[rel]), func(pair string) bool { return !inPage[pair[:strings.IndexByte(pair, '/')]] })
		if !slices.Equal(got[rel], wantOfPage) {
			t.Errorf("%s from the users: %d pairs, the evaluator %d", rel, len(got[rel]), len(wantOfPage))
		}
		if !slices.Equal(fromRules[rel], want[rel]) {
			t.Errorf("%s from the rules: %d pairs, the evaluator %d", rel, len(fromRules[rel]), len(want[rel]))
		}
		t.Logf("%s: %d pairs", rel, len(want[rel]))
	}
}

func TestExplainSaysWhy(t *testing.T) {
	srv := graphtest.New(t, 100)
	want := standingPairs(t, srv)
	in := func(rel, pair string) bool { _, ok := slices.BinarySearch(want[rel], pair); return ok }
	type person struct {
		ID         string
		Attributes []struct{ Key, Value string }
	}
	var users, others struct {
		Users struct{ Nodes []person }
	}
	srv.Query(t, `{ users(first: 40, where: {titleHasPrefix: "Director"}) { nodes { id attributes { key value } } } }`, nil).Decode(t, &users)
	srv.Query(t, `{ users(first: 3, where: {not: {titleHasPrefix: "Director"}}) { nodes { id attributes { key value } } } }`, nil).Decode(t, &others)
	if len(users.Users.Nodes) == 0 || len(others.Users.Nodes) == 0 {
		t.Fatal("the seeded tenant lacks directors or others")
	}
	for _, u := range append(users.Users.Nodes[:1], others.Users.Nodes...) {
		var out struct {
			PolicyRules struct {
				Nodes []struct {
					ID      string
					Explain struct {
						User                                          struct{ ID string }
						Passes, Qualified, Manifest, Staged, Assigned bool
						Checks                                        []struct {
							Condition struct{ Type, ProfileKey, ProfileOperator, ProfileValue string }
							Actual    string
							Pass      bool
						}
					}
				}
			}
		}
		srv.Query(t, `query($u: ID!) { policyRules(first: 100) { nodes { id explain(userId: $u) { user { id }
			passes qualified manifest staged assigned
			checks { condition { type profileKey profileOperator profileValue } actual pass } } } } }`,
			map[string]any{"u": u.ID}).Decode(t, &out)
		for _, r := range out.PolicyRules.Nodes {
			e, pair := r.Explain, u.ID+"/"+r.ID
			if e.User.ID != u.ID || e.Qualified != in("qualified", pair) || e.Manifest != in("manifest", pair) || e.Staged != in("staged", pair) {
				t.Errorf("%s: explained %+v; the evaluator says qualified %v, manifest %v, staged %v",
					pair, e, in("qualified", pair), in("manifest", pair), in("staged", pair))
			}
			for _, c := range e.Checks {
				if c.Condition.Type != "attribute" {
					continue
				}
				actual := ""
				for _, a := range u.Attributes {
					if a.Key == c.Condition.ProfileKey {
						actual = a.Value
					}
				}
				if c.Actual != actual {
					t.Errorf("%s: %s read %q, the user's is %q", pair, c.Condition.ProfileKey, c.Actual, actual)
				}
			}
		}
	}

	t.Run("an unknown user, or another tenant's, is not found", func(t *testing.T) {
		srv.SeedTenant(t, "other", 5)
		var theirs struct {
			Users struct{ Nodes []struct{ ID string } }
		}
		srv.QueryAs(t, srv.TokenFor(t, "other", "*"), `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &theirs)
		for _, id := range []string{"drusr_01hq8xyzabc123def456ghj789", theirs.Users.Nodes[0].ID} {
			resp := srv.Query(t, `query($u: ID!) { policyRules(first: 1) { nodes { explain(userId: $u) { passes } } } }`, map[string]any{"u": id})
			if codes := resp.Codes(); len(codes) != 1 || codes[0] != "NOT_FOUND" {
				t.Errorf("explain for %s: %v", id, resp.Errors)
			}
		}
	})
}
