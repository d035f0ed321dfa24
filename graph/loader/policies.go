package loader

import (
	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
)

// policyEdges are the relations among rulesets, rules, conditions and assignments.
type policyEdges struct {
	PolicyRulesetsByResourceID   *PolicyRulesetConn
	PolicyRulesByRulesetID       *PolicyRuleConn
	PolicyConditionsByRulesetID  *PolicyConditionConn
	PolicyConditionsByRuleID     *PolicyConditionConn
	PolicyAssignmentsByRulesetID *PolicyAssignmentConn
	PolicyAssignmentsByRuleID    *PolicyAssignmentConn
}

func newPolicyEdges(cfg Config, g *groups, j *joiner, client *ent.Client) policyEdges {
	return policyEdges{
		PolicyRulesetsByResourceID:   policyRulesetsBy(cfg, g, j, client, column(policyruleset.FieldResourceID)),
		PolicyRulesByRulesetID:       policyRulesBy(cfg, g, j, client, column(policyrule.FieldRulesetID)),
		PolicyConditionsByRulesetID:  policyConditionsBy(cfg, g, j, client, column(policycondition.FieldRulesetID)),
		PolicyConditionsByRuleID:     policyConditionsBy(cfg, g, j, client, column(policycondition.FieldRuleID)),
		PolicyAssignmentsByRulesetID: policyAssignmentsBy(cfg, g, j, client, column(policyassignment.FieldRulesetID)),
		PolicyAssignmentsByRuleID:    policyAssignmentsBy(cfg, g, j, client, column(policyassignment.FieldRuleID)),
	}
}
