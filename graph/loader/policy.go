package loader

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/internal/policy"
)

// The standings of users and rules (internal/policy) as relations in both
// directions. The rules' states and conditions are read first (a page of
// rules' through standingRules; the whole tenant's for a page of users), then
// compiled into comparisons of the users' columns (policy.Users): one UNION
// ALL branch per rule, which the planner can serve from the indexes of users
// instead of testing every user against every condition.

// standingRulesOf is the loader of the rules a page of users stands in rel to:
// the tenant's rules, compiled, each branch restricted to the page's users.
func standingRulesOf(cfg Config, g *groups, j *joiner, client *ent.Client, l *Loaders, rel policy.Relation) *PolicyRuleConn {
	c := pagesOfPolicyRule(cfg, g, j, client, rulesOfUsers(nil, rel))
	c.keyOf = func(ctx context.Context, ids []string) (ent.ParentKey, error) {
		rules, err := l.tenantStandings(ctx, client)
		if err != nil {
			return ent.ParentKey{}, err
		}
		return rulesOfUsers(rules, rel)(ids), nil
	}
	return c
}

// rulesOfUsers relates rules to the users (the parents) who stand in rel to them.
func rulesOfUsers(rules []policy.Rule, rel policy.Relation) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		standing := func(s *sql.Selector) *sql.SelectTable { return sql.Dialect(s.Dialect()).Table("standing") }
		return ent.ParentKey{
			IDs: ids,
			Join: func(s *sql.Selector) {
				s.Join(standingBranches(s.Dialect(), rules, rel, ids, ruleOf).As("standing")).On(s.C(policyrule.FieldID), standing(s).C("of_id"))
			},
			Column: func(s *sql.Selector) string { return standing(s).C("user_id") },
		}
	}
}

// standingUsers is the loader of the users who stand in rel to a page of rules.
func standingUsers(cfg Config, g *groups, j *joiner, client *ent.Client, rules *standingRules, rel policy.Relation) *UserConn {
	c := pagesOfUser(cfg, g, j, client, usersOfRules(nil, rel, ruleOf))
	c.keyOf = func(ctx context.Context, ids []string) (ent.ParentKey, error) {
		compiled := make([]policy.Rule, 0, len(ids))
		for _, id := range ids {
			r, err := rules.b.load(ctx, SiblingKeys(id, ids))
			if err != nil {
				return ent.ParentKey{}, err
			}
			if r != nil {
				compiled = append(compiled, r.Rule)
			}
		}
		return usersOfRules(compiled, rel, ruleOf)(ids), nil
	}
	return c
}

// driftOfRulesets is the loader of the users who stand in rel (missing or
// unqualified) to any rule of a page of rulesets, each once.
func driftOfRulesets(cfg Config, g *groups, j *joiner, client *ent.Client, l *Loaders, rel policy.Relation) *UserConn {
	c := pagesOfUser(cfg, g, j, client, usersOfRules(nil, rel, rulesetOf))
	c.keyOf = func(ctx context.Context, ids []string) (ent.ParentKey, error) {
		all, err := l.tenantStandings(ctx, client)
		if err != nil {
			return ent.ParentKey{}, err
		}
		var rules []policy.Rule
		for _, r := range all {
			if slices.Contains(ids, r.RulesetID) {
				rules = append(rules, r)
			}
		}
		return usersOfRules(rules, rel, rulesetOf)(ids), nil
	}
	return c
}

// usersOfRules relates users to the rules given, by their compiled
// conditions: the users join a UNION ALL of one branch per rule, each a plain
// query of users that the planner can serve from their indexes, naming the
// rule (or its ruleset, with rulesetOf) beside each user who stands in rel to it.
func usersOfRules(rules []policy.Rule, rel policy.Relation, of relatedTo) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		// Tables are made in the selector's dialect: their column names are
		// written into expressions as they are.
		standing := func(s *sql.Selector) *sql.SelectTable { return sql.Dialect(s.Dialect()).Table("standing") }
		return ent.ParentKey{
			IDs: ids,
			Join: func(s *sql.Selector) {
				s.Join(standingBranches(s.Dialect(), rules, rel, nil, of).As("standing")).On(s.C(user.FieldID), standing(s).C("user_id"))
			},
			Column: func(s *sql.Selector) string { return standing(s).C("of_id") },
		}
	}
}

// standingBranches is one branch per rule: the ids of its tenant's live users
// (of users only, when given) who stand in rel to it, beside the id of what
// they are related to through it.
func standingBranches(dialect string, rules []policy.Rule, rel policy.Relation, users []string, of relatedTo) *sql.Selector {
	d := sql.Dialect(dialect)
	branch := func(r policy.Rule) *sql.Selector {
		u := d.Table(user.Table).As("standing_user")
		b := d.Select().From(u)
		b.Select(sql.As(u.C(user.FieldID), "user_id")).AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString("CAST(").Arg(of.id(r)).WriteString(" AS TEXT)")
		}), "of_id")
		b.Where(sql.And(sql.EQ(u.C(user.FieldTenantID), r.TenantID), sql.IsNull(u.C(user.FieldDeletedAt)),
			policy.Users(b, r, rel)))
		if users != nil {
			b.Where(ent.ColumnIn(u.C(user.FieldID), users))
		}
		return b
	}
	if len(rules) == 0 {
		u := d.Table(user.Table).As("standing_user")
		return d.Select(sql.As(u.C(user.FieldID), "user_id"), sql.As(u.C(user.FieldID), "of_id")).From(u).Where(sql.ExprP("1 = 0"))
	}
	// Written as an expression rather than with Selector.UnionAll: ent's
	// Clone (the page statements clone their selector) drops set operations.
	branches := make([]*sql.Selector, len(rules))
	for i, r := range rules {
		branches[i] = branch(r)
	}
	union := " UNION ALL "
	if of.distinct {
		union = " UNION "
	}
	return d.Select("*").FromExpr(sql.ExprFunc(func(b *sql.Builder) {
		b.WriteString("(")
		for i, br := range branches {
			if i > 0 {
				b.WriteString(union)
			}
			b.Join(br)
		}
		b.WriteString(`) AS "standing_any"`)
	}))
}

// relatedTo is what users are related to through a rule: the rule itself,
// or its ruleset, where two rules can relate a user twice.
type relatedTo struct {
	id       func(policy.Rule) string
	distinct bool
}

var (
	ruleOf    = relatedTo{id: func(r policy.Rule) string { return r.ID }}
	rulesetOf = relatedTo{id: func(r policy.Rule) string { return r.RulesetID }, distinct: true}
)

// Standing is what the policy reads of one rule: its states and conditions,
// and the conditions as stored (the ruleset's first, then the rule's), in the
// same order.
type Standing struct {
	Rule       policy.Rule
	Conditions []*ent.PolicyCondition
}

// standingRules loads what the compiled form reads of a page of rules: their
// states and conditions, in three statements shared by the three relations.
type standingRules struct {
	b *batch[*Standing]
}

// StandingRule returns what the policy reads of a rule; nil if it is not visible.
func (l *Loaders) StandingRule(ctx context.Context, k Keys) (*Standing, error) {
	return l.standingRules().b.load(ctx, k)
}

func newStandingRules(cfg Config, client *ent.Client) *standingRules {
	return &standingRules{b: newBatch(cfg, func(ctx context.Context, ids []string) []*dataloader.Result[*Standing] {
		byID, err := loadStandings(ctx, client, ids)
		return inKeyOrder(ids, byID, err)
	})}
}

// tenantStandings is every rule of the caller's tenant as the policy reads
// it, loaded once per request (three statements).
func (l *Loaders) tenantStandings(ctx context.Context, client *ent.Client) ([]policy.Rule, error) {
	type result struct {
		rules []policy.Rule
		err   error
	}
	r := memo(ctx, memoKey{kind: "tenant standings"}, func() result {
		byID, err := loadStandings(ctx, client, nil)
		rules := make([]policy.Rule, 0, len(byID))
		for _, st := range byID {
			rules = append(rules, st.Rule)
		}
		slices.SortFunc(rules, func(a, b policy.Rule) int { return strings.Compare(a.ID, b.ID) })
		return result{rules, err}
	})
	return r.rules, r.err
}

// loadStandings reads rules (those of ids, or all the tenant's when ids is
// nil) with their rulesets' states and their conditions.
func loadStandings(ctx context.Context, client *ent.Client, ids []string) (map[string]*Standing, error) {
	q := client.PolicyRule.Query()
	if ids != nil {
		q.Where(func(s *sql.Selector) { s.Where(ent.ColumnIn(s.C(policyrule.FieldID), ids)) })
	}
	rules, err := q.WithRuleset(func(q *ent.PolicyRulesetQuery) { q.Select(policyruleset.FieldState) }).All(ctx)
	if err != nil {
		return nil, err
	}
	rulesets := make([]string, 0, len(rules))
	for _, r := range rules {
		rulesets = append(rulesets, r.RulesetID)
	}
	conds, err := client.PolicyCondition.Query().
		Where(func(s *sql.Selector) { s.Where(ent.ColumnIn(s.C(policycondition.FieldRulesetID), rulesets)) }).All(ctx)
	if err != nil {
		return nil, err
	}
	// The ruleset's conditions first, then the rule's, each in id order.
	slices.SortStableFunc(conds, func(a, b *ent.PolicyCondition) int {
		if (a.RuleID == nil) != (b.RuleID == nil) {
			if a.RuleID == nil {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	byID := map[string]*Standing{}
	for _, r := range rules {
		if r.Edges.Ruleset == nil {
			continue // a deleted ruleset: the rule stands for nobody
		}
		st := &Standing{Rule: policy.Rule{ID: r.ID, RulesetID: r.RulesetID, TenantID: r.TenantID, State: string(r.State),
			RulesetState: string(r.Edges.Ruleset.State)}}
		for _, c := range conds {
			if c.RulesetID == r.RulesetID && (c.RuleID == nil || *c.RuleID == r.ID) {
				st.Rule.Conditions = append(st.Rule.Conditions, policy.Stored(string(c.Type), c.ProfileKey, string(c.ProfileOperator), c.ProfileValue, c.UserID))
				st.Conditions = append(st.Conditions, c)
			}
		}
		byID[r.ID] = st
	}
	return byID, nil
}

// Subject is what the policy reads of one user.
type Subject struct {
	User    *ent.User
	Subject policy.Subject
	// Assigned holds the rules the user holds an active, live assignment of.
	Assigned map[string]bool
}

// subjects loads users as the policy reads them: the row, the open
// attributes, the resources reached through identities and the rules
// assigned, four statements per batch of users.
type subjects struct {
	b *batch[*Subject]
}

// SubjectOf returns what the policy reads of a user; nil if it is not visible.
func (l *Loaders) SubjectOf(ctx context.Context, k Keys) (*Subject, error) {
	return l.subjectsOf().b.load(ctx, k)
}

func newSubjects(cfg Config, client *ent.Client) *subjects {
	return &subjects{b: newBatch(cfg, func(ctx context.Context, ids []string) []*dataloader.Result[*Subject] {
		byID, err := loadSubjects(ctx, client, ids)
		return inKeyOrder(ids, byID, err)
	})}
}

func loadSubjects(ctx context.Context, client *ent.Client, ids []string) (map[string]*Subject, error) {
	in := func(column string) func(*sql.Selector) {
		return func(s *sql.Selector) { s.Where(ent.ColumnIn(s.C(column), ids)) }
	}
	users, err := client.User.Query().Where(in(user.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Subject, len(users))
	for _, u := range users {
		s := &Subject{User: u, Assigned: map[string]bool{},
			Subject: policy.Subject{ID: u.ID, Attributes: map[string]string{}, Groups: map[string]bool{}}}
		if u.ManagerID != nil {
			s.Subject.ManagerID = *u.ManagerID
		}
		for _, key := range policy.FixedAttributes {
			s.Subject.Attributes[key] = FixedAttribute(u, key)
		}
		byID[u.ID] = s
	}
	attrs, err := client.UserAttribute.Query().Where(in(userattribute.FieldUserID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		if s := byID[a.UserID]; s != nil {
			s.Subject.Attributes[a.Key] = a.Value
		}
	}
	var groups []struct {
		UserID     string `sql:"user_id"`
		ResourceID string `sql:"resource_id"`
	}
	err = client.Membership.Query().Where(func(s *sql.Selector) {
		i := sql.Table(identity.Table)
		s.Join(i).OnP(sql.And(sql.ColumnsEQ(s.C(membership.FieldIdentityID), i.C(identity.FieldID)), sql.IsNull(i.C(identity.FieldDeletedAt))))
		s.Where(ent.ColumnIn(i.C(identity.FieldUserID), ids))
		s.Select(sql.As(i.C(identity.FieldUserID), "user_id"), sql.As(s.C(membership.FieldResourceID), "resource_id"))
	}).Select().Scan(ctx, &groups)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if s := byID[g.UserID]; s != nil {
			s.Subject.Groups[g.ResourceID] = true
		}
	}
	assignments, err := client.PolicyAssignment.Query().Where(in(policyassignment.FieldUserID),
		policyassignment.StateIn(policyassignment.StateActive, policyassignment.StateExpiring), policyassignment.RuleIDNotNil()).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range assignments {
		if s := byID[a.UserID]; s != nil {
			s.Assigned[*a.RuleID] = true
		}
	}
	return byID, nil
}
