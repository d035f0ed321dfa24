package policy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/policy"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// world is a small directory whose users and rules between them take every
// branch of the definition: each operator, key kind, condition type and state.
type world struct {
	db       *store.DB
	tenant   string
	subjects map[string]policy.Subject
	states   map[string]string             // user id -> state
	rules    map[string]*ent.PolicyRule    // rule id -> rule
	rulesets map[string]*ent.PolicyRuleset // ruleset id -> ruleset
	conds    map[string][]policy.Condition // rule id -> its ruleset's conditions and its own
	assigned map[[2]string]bool            // (user, rule) -> holds an active assignment
}

func newWorld(t *testing.T) *world {
	ctx := viewer.System(context.Background())
	db, err := store.Open(ctx, storetest.DSN(t, "policy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := db.Client
	w := &world{db: db, subjects: map[string]policy.Subject{}, states: map[string]string{},
		rules: map[string]*ent.PolicyRule{}, rulesets: map[string]*ent.PolicyRuleset{},
		conds: map[string][]policy.Condition{}, assigned: map[[2]string]bool{}}
	tn := c.Tenant.Create().SetSlug("acme").SetName("Acme").SaveX(ctx)
	w.tenant = tn.ID

	integ := c.Integration.Create().SetTenantID(tn.ID).SetName("Okta").SetVendor("okta").SetKind("idp").SaveX(ctx)
	group := c.Resource.Create().SetTenantID(tn.ID).SetIntegrationID(integ.ID).SetKind(resource.KindOktaGroup).
		SetName("Admins").SetVendorID("g1").SaveX(ctx)

	boss := c.User.Create().SetTenantID(tn.ID).SetEmail("boss@acme.test").SetState(user.StateActive).SaveX(ctx)
	w.subjects[boss.ID] = policy.Subject{ID: boss.ID, Attributes: map[string]string{}}
	w.states[boss.ID] = "active"
	departments := []string{"Sales", "Legal", ""}
	titles := []string{"Director, Sales", "VP Sales", "Engineer", ""}
	locations := []string{"Berlin", "Bern", ""}
	states := []user.State{user.StateActive, user.StateStaged, user.StateExpiring, user.StateDeactivated}
	for i := range 24 {
		dept, title, loc, st := departments[i%3], titles[i%4], locations[(i/3)%3], states[(i/2)%4]
		b := c.User.Create().SetTenantID(tn.ID).SetEmail(fmt.Sprintf("u%d@acme.test", i)).SetState(st).
			SetDepartment(dept).SetTitle(title)
		s := policy.Subject{Attributes: map[string]string{"department": dept, "title": title}, Groups: map[string]bool{}}
		if i%5 == 0 {
			b.SetManagerID(boss.ID)
			s.ManagerID = boss.ID
		}
		u := b.SaveX(ctx)
		s.ID = u.ID
		if loc != "" {
			c.UserAttribute.Create().SetTenantID(tn.ID).SetUserID(u.ID).SetKey("location").SetValue(loc).SaveX(ctx)
			s.Attributes["location"] = loc
		}
		if i%4 == 1 {
			idn := c.Identity.Create().SetTenantID(tn.ID).SetIntegrationID(integ.ID).SetVendorID(fmt.Sprintf("v%d", i)).
				SetUserID(u.ID).SaveX(ctx)
			c.Membership.Create().SetTenantID(tn.ID).SetIdentityID(idn.ID).SetResourceID(group.ID).SaveX(ctx)
			s.Groups[group.ID] = true
		}
		w.subjects[u.ID] = s
		w.states[u.ID] = string(st)
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range w.subjects {
			if !yield(id) {
				return
			}
		}
	})

	attr := func(key string, op policycondition.ProfileOperator, value string) policy.Condition {
		return policy.Condition{Type: policy.TypeAttribute, Key: key, Operator: string(op), Value: value}
	}
	ruleConditions := [][]policy.Condition{
		nil,
		{attr("department", policycondition.ProfileOperatorEquals, "Sales")},
		{attr("title", policycondition.ProfileOperatorStartsWith, "Director")},
		{attr("title", policycondition.ProfileOperatorEndsWith, "Sales"), attr("department", policycondition.ProfileOperatorNotEquals, "Legal")},
		{attr("title", policycondition.ProfileOperatorContains, "Sal")},
		{attr("title", policycondition.ProfileOperatorNotContains, "VP")},
		{attr("location", policycondition.ProfileOperatorOneOf, "Paris, Berlin")},
		{attr("location", policycondition.ProfileOperatorNoneOf, "Berlin,Bern")},
		{attr("location", policycondition.ProfileOperatorEquals, "")},
		{{Type: policy.TypeManager, UserID: boss.ID}},
		{{Type: policy.TypeGroup, Value: group.ID}},
		{{Type: policy.TypeUser, UserID: ids[3]}, {Type: policy.TypeUser, UserID: ids[7]}},
		{{Type: policy.TypeUser, UserID: ids[4]}, attr("department", policycondition.ProfileOperatorEquals, "Legal")},
	}
	rulesetStates := []policyruleset.State{policyruleset.StateManaged, policyruleset.StateStaged,
		policyruleset.StateUnmanaged, policyruleset.StateArchived}
	rulesetConditions := [][]policy.Condition{nil, {attr("department", policycondition.ProfileOperatorNotEquals, "")}}
	ruleStates := []policyrule.State{policyrule.StateActive, policyrule.StateStaged, policyrule.StateSuspended}
	n := 0
	for si, rsState := range rulesetStates {
		for ci, rsConds := range rulesetConditions {
			rs := c.PolicyRuleset.Create().SetTenantID(tn.ID).SetName(fmt.Sprintf("rs%d-%d", si, ci)).SetState(rsState).SaveX(ctx)
			w.rulesets[rs.ID] = rs
			for _, cond := range rsConds {
				create(ctx, c, tn.ID, rs.ID, nil, cond)
			}
			for ri, conds := range ruleConditions {
				st := ruleStates[(n+ri)%3]
				r := c.PolicyRule.Create().SetTenantID(tn.ID).SetRulesetID(rs.ID).SetState(st).SaveX(ctx)
				w.rules[r.ID] = r
				for _, cond := range conds {
					create(ctx, c, tn.ID, rs.ID, &r.ID, cond)
				}
				w.conds[r.ID] = append(slices.Clone(rsConds), conds...)
				// Every third rule is held by one user, qualified or not: active
				// and expiring assignments count, deactivated ones do not.
				if ri%3 == 0 {
					holder := ids[(n+ri)%len(ids)]
					state := []string{"active", "expiring", "deactivated"}[(n+ri)%3]
					c.PolicyAssignment.Create().SetTenantID(tn.ID).SetUserID(holder).SetRulesetID(rs.ID).SetRuleID(r.ID).
						SetState(policyassignment.State(state)).SaveX(ctx)
					w.assigned[[2]string{holder, r.ID}] = state != "deactivated"
				}
			}
			n++
		}
	}
	// A deleted condition counts for nothing.
	gone := create(ctx, c, tn.ID, w.anyRuleset(), nil, attr("department", policycondition.ProfileOperatorEquals, "nobody"))
	c.PolicyCondition.UpdateOneID(gone).SetDeletedAt(time.Now()).ExecX(ctx)
	return w
}

func (w *world) anyRuleset() string {
	for id := range w.rulesets {
		return id
	}
	return ""
}

func create(ctx context.Context, c *ent.Client, tenant, ruleset string, rule *string, cond policy.Condition) string {
	b := c.PolicyCondition.Create().SetTenantID(tenant).SetRulesetID(ruleset).SetNillableRuleID(rule).
		SetType(policycondition.Type(cond.Type)).SetProfileKey(cond.Key).SetProfileValue(cond.Value)
	if cond.Operator != "" {
		b.SetProfileOperator(policycondition.ProfileOperator(cond.Operator))
	}
	if cond.UserID != "" {
		b.SetUserID(cond.UserID)
	}
	return b.SaveX(ctx).ID
}

// expected is the Go evaluator's answer: every (user, rule) pair in rel.
func (w *world) expected(rel policy.Relation) []string {
	var pairs []string
	for uid, s := range w.subjects {
		for rid, r := range w.rules {
			st := policy.Stand(policy.Qualifies(s, w.conds[rid]), policy.States{User: w.states[uid],
				Rule: string(r.State), Ruleset: string(w.rulesets[r.RulesetID].State), Assigned: w.assigned[[2]string{uid, rid}]})
			if map[policy.Relation]bool{policy.Qualified: st.Qualified, policy.Manifest: st.Manifest, policy.Staged: st.Staged,
				policy.Missing: st.Missing, policy.Unqualified: st.Unqualified}[rel] {
				pairs = append(pairs, uid+"/"+rid)
			}
		}
	}
	slices.Sort(pairs)
	return pairs
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "+"+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "-"+x)
		}
	}
	return out[:min(len(out), 6)]
}

func TestCompiledAgrees(t *testing.T) {
	w := newWorld(t)
	ctx := viewer.System(context.Background())
	for _, rel := range []policy.Relation{policy.Qualified, policy.Manifest, policy.Staged, policy.Missing, policy.Unqualified} {
		var got []string
		for rid, r := range w.rules {
			rule := policy.Rule{ID: rid, State: string(r.State), RulesetState: string(w.rulesets[r.RulesetID].State), Conditions: w.conds[rid]}
			ids, err := w.db.Client.User.Query().Where(func(s *entsql.Selector) { s.Where(policy.Users(s, rule, rel)) }).IDs(ctx)
			if err != nil {
				t.Fatalf("%s of %s: %v", rel, rid, err)
			}
			for _, id := range ids {
				got = append(got, id+"/"+rid)
			}
		}
		slices.Sort(got)
		if want := w.expected(rel); !slices.Equal(got, want) {
			t.Errorf("%s: compiled gives %d pairs, Go %d; first differences: %v", rel, len(got), len(want), diff(got, want))
		}
	}
}
