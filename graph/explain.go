package graph

import (
	"context"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/policy"
)

// explain is PolicyRule.explain: the policy package's own evaluation, condition
// by condition, of what the standings' SQL decides for the whole tenant.
func explain(ctx context.Context, rule *ent.PolicyRule, userID string) (*model.PolicyExplanation, error) {
	l := loader.For(ctx)
	st, err := l.StandingRule(ctx, loader.KeysOf(ctx, rule, policyRuleID))
	if err != nil {
		return nil, err
	}
	sub, err := l.SubjectOf(ctx, loader.RootKeys(userID))
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, apierror.NotFound("user", userID)
	}
	out := &model.PolicyExplanation{User: sub.User, Checks: []*model.PolicyConditionCheck{}}
	if st == nil { // the rule's ruleset is gone: nobody stands with it
		return out, nil
	}
	for i, c := range st.Rule.Conditions {
		check := policy.Test(c, sub.Subject)
		out.Checks = append(out.Checks, &model.PolicyConditionCheck{Condition: st.Conditions[i], Actual: check.Actual, Pass: check.Pass})
	}
	out.Passes = policy.Qualifies(sub.Subject, st.Rule.Conditions)
	out.Assigned = sub.Assigned[rule.ID]
	standing := policy.Stand(out.Passes, policy.States{User: string(sub.User.State), Rule: st.Rule.State,
		Ruleset: st.Rule.RulesetState, Assigned: out.Assigned})
	out.Qualified, out.Manifest, out.Staged = standing.Qualified, standing.Manifest, standing.Staged
	return out, nil
}
