package directory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/policy"
)

// Reconciliation is what reconciling a ruleset does (or, in a dry run,
// would do): the assignments it creates for the manifest's users who lack
// one, and those it ends because their users no longer qualify.
type Reconciliation struct {
	Created []Grant
	Ended   []Grant
}

// Grant is one user's assignment of one rule.
type Grant struct {
	UserID, RuleID string
	// AssignmentID is the assignment created or ended; empty for a creation in a dry run.
	AssignmentID string
}

// maxReconciled bounds the changes one reconciliation makes, so that one
// request never writes without limit; what is left is done by the next one.
const maxReconciled = 10_000

// ReconcileRuleset brings a managed ruleset's assignments in line with its
// rules: every active rule's missing users get an assignment (expiring after
// the rule's days, or the ruleset's when the rule inherits them). An
// authoritative ruleset also ends the assignments whose users no longer
// qualify; a ruleset that is not only adds. All of it is one transaction
// with one log entry per change; a dry run writes nothing.
func (s *Service) ReconcileRuleset(ctx context.Context, rulesetID string, dryRun bool) (Reconciliation, error) {
	var plan Reconciliation
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		rs, err := tx.PolicyRuleset.Get(ctx, rulesetID)
		if err != nil {
			return notFound(err, "policy ruleset", rulesetID)
		}
		if rs.State != policyruleset.StateManaged {
			return &apierror.Error{Code: apierror.CodeConflict,
				Message: fmt.Sprintf("policy ruleset %s is %s: only managed rulesets are reconciled", rulesetID, rs.State)}
		}
		rules, err := tx.PolicyRule.Query().Where(policyrule.RulesetID(rulesetID), policyrule.StateEQ(policyrule.StateActive)).
			Order(policyrule.ByID()).All(ctx)
		if err != nil {
			return err
		}
		conds, err := tx.PolicyCondition.Query().Where(policycondition.RulesetID(rulesetID)).All(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		for _, r := range rules {
			compiled := policy.Rule{ID: r.ID, RulesetID: rulesetID, TenantID: r.TenantID, State: string(r.State), RulesetState: string(rs.State)}
			for _, c := range conds {
				if c.RuleID == nil || *c.RuleID == r.ID {
					compiled.Conditions = append(compiled.Conditions, policy.Stored(string(c.Type), c.ProfileKey, string(c.ProfileOperator), c.ProfileValue, c.UserID))
				}
			}
			missing, err := tx.User.Query().Where(standing(compiled, policy.Missing)).Order(user.ByID()).IDs(ctx)
			if err != nil {
				return err
			}
			var ended []*ent.PolicyAssignment
			if rs.IsAuthoritative {
				ended, err = tx.PolicyAssignment.Query().Where(policyassignment.RuleID(r.ID), policyassignment.StateIn(policyassignment.StateActive, policyassignment.StateExpiring),
					policyassignment.HasUserWith(standing(compiled, policy.Unqualified))).Order(policyassignment.ByID()).All(ctx)
				if err != nil {
					return err
				}
			}
			if len(plan.Created)+len(plan.Ended)+len(missing)+len(ended) > maxReconciled {
				return &apierror.Error{Code: apierror.CodeBadUserInput,
					Message: fmt.Sprintf("reconciling policy ruleset %s changes more than %d assignments in one request", rulesetID, maxReconciled)}
			}
			for _, a := range ended {
				g := Grant{UserID: a.UserID, RuleID: r.ID, AssignmentID: a.ID}
				plan.Ended = append(plan.Ended, g)
				if dryRun {
					continue
				}
				if err := tx.PolicyAssignment.UpdateOne(a).SetState(policyassignment.StateDeactivated).Exec(ctx); err != nil {
					return err
				}
				if err := s.log(ctx, tx, event{action: "policy_assignment.ended", subject: &a.UserID, record: a.ID, parent: &rulesetID,
					fields: map[string]change{"state": {Before: a.State, After: policyassignment.StateDeactivated}, "reason": {After: "no longer qualifies"}}}); err != nil {
					return err
				}
			}
			expires := expiryOf(r, rs, now)
			for _, userID := range missing {
				g := Grant{UserID: userID, RuleID: r.ID}
				if !dryRun {
					a, err := tx.PolicyAssignment.Create().SetUserID(userID).SetRulesetID(rulesetID).SetRuleID(r.ID).
						SetState(policyassignment.StateActive).SetActivatedAt(now).SetNillableExpiresAt(expires).Save(ctx)
					if err != nil {
						return err
					}
					g.AssignmentID = a.ID
					fields := map[string]change{"user_id": {After: userID}, "rule_id": {After: r.ID},
						"state": {After: policyassignment.StateActive}, "reason": {After: "qualifies"}}
					if expires != nil {
						fields["expires_at"] = change{After: *expires}
					}
					if err := s.log(ctx, tx, event{action: "policy_assignment.created", subject: &g.UserID, record: a.ID,
						parent: &rulesetID, fields: fields}); err != nil {
						return err
					}
				}
				plan.Created = append(plan.Created, g)
			}
		}
		return nil
	})
	if err != nil {
		return Reconciliation{}, err
	}
	slices.SortFunc(plan.Created, byUserRule)
	slices.SortFunc(plan.Ended, byUserRule)
	return plan, nil
}

func byUserRule(a, b Grant) int {
	return cmp.Or(strings.Compare(a.UserID, b.UserID), strings.Compare(a.RuleID, b.RuleID))
}

// expiryOf is when an assignment made now from rule r lapses: after the
// rule's days, or its ruleset's when the rule inherits them; nil for never.
func expiryOf(r *ent.PolicyRule, rs *ent.PolicyRuleset, now time.Time) *time.Time {
	days := r.ExpiresAfterDays
	if r.ExpiresAfterDaysInherited {
		days = rs.ExpiresAfterDays
	}
	if days == nil || *days <= 0 {
		return nil
	}
	at := now.AddDate(0, 0, *days)
	return &at
}

// standing is the users who stand in rel to the compiled rule.
func standing(rule policy.Rule, rel policy.Relation) func(*sql.Selector) {
	return func(s *sql.Selector) { s.Where(policy.Users(s, rule, rel)) }
}
