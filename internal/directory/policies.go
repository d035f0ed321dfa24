package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/internal/apierror"
)

// Policy writes: rulesets hold rules, conditions and assignments. Every id a
// change names is read in the tenant-scoped transaction (another tenant's is
// NOT_FOUND), a rule or condition named with a ruleset must belong to it, and a
// ruleset or rule still in use cannot be deleted.

// RulesetFields are what a client may set on a ruleset.
type RulesetFields struct {
	Name             *string
	State            *policyruleset.State
	Type             *policyruleset.Type
	IsAuthoritative  *bool
	ExpiresAfterDays *int
	ResourceID       *string
}

// SaveRuleset creates a ruleset (id nil) or changes one.
func (s *Service) SaveRuleset(ctx context.Context, id *string, ifVersion *int, f RulesetFields) (*ent.PolicyRuleset, error) {
	if f.Name != nil && *f.Name == "" {
		return nil, fieldError("name", "cannot be empty")
	}
	if f.ExpiresAfterDays != nil && *f.ExpiresAfterDays < 0 {
		return nil, fieldError("expiresAfterDays", "cannot be negative")
	}
	set := func(tx *ent.Tx, m *ent.PolicyRulesetMutation) error {
		if f.ResourceID != nil {
			if _, err := tx.Resource.Get(ctx, *f.ResourceID); err != nil {
				return notFound(err, "resource", *f.ResourceID)
			}
		}
		setIf(f.Name, m.SetName)
		setIf(f.State, m.SetState)
		setIf(f.Type, m.SetType)
		setIf(f.IsAuthoritative, m.SetIsAuthoritative)
		setIf(f.ExpiresAfterDays, m.SetExpiresAfterDays)
		setIf(f.ResourceID, m.SetResourceID)
		return nil
	}
	if id != nil {
		return modify(ctx, s, rulesets, *id, ifVersion, "policy_ruleset.updated", func(tx *ent.Tx, _ *ent.PolicyRuleset, m *ent.PolicyRulesetMutation, _ *event) error {
			return set(tx, m)
		})
	}
	if f.Name == nil || f.Type == nil {
		return nil, fieldError(map[bool]string{true: "name", false: "type"}[f.Name == nil], "is required")
	}
	return insert(ctx, s, rulesets, "policy_ruleset.created", func(tx *ent.Tx) (*ent.PolicyRulesetCreate, error) {
		c := tx.PolicyRuleset.Create()
		return c, set(tx, c.Mutation())
	})
}

// RuleFields are what a client may set on a rule.
type RuleFields struct {
	RulesetID                         *string
	State                             *policyrule.State
	RoleName, RoleHandle, Description *string
	Priority, ExpiresAfterDays        *int
}

// SaveRule creates a rule in a ruleset (id nil) or changes one.
func (s *Service) SaveRule(ctx context.Context, id *string, ifVersion *int, f RuleFields) (*ent.PolicyRule, error) {
	if f.ExpiresAfterDays != nil && *f.ExpiresAfterDays < 0 {
		return nil, fieldError("expiresAfterDays", "cannot be negative")
	}
	set := func(m *ent.PolicyRuleMutation) {
		setIf(f.State, m.SetState)
		setIf(f.RoleName, m.SetRoleName)
		setIf(f.RoleHandle, m.SetRoleHandle)
		setIf(f.Description, m.SetDescription)
		setIf(f.Priority, m.SetPriority)
		if f.ExpiresAfterDays != nil {
			m.SetExpiresAfterDays(*f.ExpiresAfterDays)
			m.SetExpiresAfterDaysInherited(false)
		}
	}
	if id != nil {
		if f.RulesetID != nil {
			return nil, fieldError("rulesetId", "a rule cannot move to another ruleset: create a new rule")
		}
		return modify(ctx, s, rules, *id, ifVersion, "policy_rule.updated", func(_ *ent.Tx, _ *ent.PolicyRule, m *ent.PolicyRuleMutation, _ *event) error {
			set(m)
			return nil
		})
	}
	if f.RulesetID == nil {
		return nil, fieldError("rulesetId", "is required")
	}
	return insert(ctx, s, rules, "policy_rule.created", func(tx *ent.Tx) (*ent.PolicyRuleCreate, error) {
		if _, err := tx.PolicyRuleset.Get(ctx, *f.RulesetID); err != nil {
			return nil, notFound(err, "policy ruleset", *f.RulesetID)
		}
		c := tx.PolicyRule.Create().SetRulesetID(*f.RulesetID)
		set(c.Mutation())
		return c, nil
	})
}

// ConditionFields are what a client may set on a condition.
type ConditionFields struct {
	RulesetID, RuleID, UserID             *string
	Type                                  *policycondition.Type
	ProfileKey, ProfileValue, Description *string
	ProfileOperator                       *policycondition.ProfileOperator
}

// CreateCondition adds a condition to a ruleset, or to one of its rules. A user
// condition names its user.
func (s *Service) CreateCondition(ctx context.Context, f ConditionFields) (*ent.PolicyCondition, error) {
	if f.RulesetID == nil {
		return nil, fieldError("rulesetId", "is required")
	}
	if f.Type != nil && *f.Type == policycondition.TypeUser && f.UserID == nil {
		return nil, fieldError("userId", "a user condition names its user")
	}
	return insert(ctx, s, conditions, "policy_condition.created", func(tx *ent.Tx) (*ent.PolicyConditionCreate, error) {
		if _, err := tx.PolicyRuleset.Get(ctx, *f.RulesetID); err != nil {
			return nil, notFound(err, "policy ruleset", *f.RulesetID)
		}
		if err := ruleOfRuleset(ctx, tx, f.RuleID, *f.RulesetID); err != nil {
			return nil, err
		}
		if f.UserID != nil {
			if _, err := tx.User.Get(ctx, *f.UserID); err != nil {
				return nil, notFound(err, "user", *f.UserID)
			}
		}
		c := tx.PolicyCondition.Create().SetRulesetID(*f.RulesetID)
		m := c.Mutation()
		setIf(f.RuleID, m.SetRuleID)
		setIf(f.UserID, m.SetUserID)
		setIf(f.Type, m.SetType)
		setIf(f.ProfileKey, m.SetProfileKey)
		setIf(f.ProfileOperator, m.SetProfileOperator)
		setIf(f.ProfileValue, m.SetProfileValue)
		setIf(f.Description, m.SetDescription)
		return c, nil
	})
}

// AssignmentFields are what a client may set on an assignment.
type AssignmentFields struct {
	UserID, RulesetID, RuleID *string
	State                     *policyassignment.State
	ExpiresAt                 *time.Time
}

// CreateAssignment grants a user access through a ruleset (and one of its rules).
func (s *Service) CreateAssignment(ctx context.Context, f AssignmentFields) (*ent.PolicyAssignment, error) {
	switch {
	case f.UserID == nil:
		return nil, fieldError("userId", "is required")
	case f.RulesetID == nil:
		return nil, fieldError("rulesetId", "is required")
	case f.ExpiresAt != nil && !f.ExpiresAt.After(s.now()):
		return nil, fieldError("expiresAt", "must be in the future")
	}
	return insert(ctx, s, assignments, "policy_assignment.created", func(tx *ent.Tx) (*ent.PolicyAssignmentCreate, error) {
		if _, err := tx.User.Get(ctx, *f.UserID); err != nil {
			return nil, notFound(err, "user", *f.UserID)
		}
		rs, err := tx.PolicyRuleset.Get(ctx, *f.RulesetID)
		if err != nil {
			return nil, notFound(err, "policy ruleset", *f.RulesetID)
		}
		if err := ruleOfRuleset(ctx, tx, f.RuleID, *f.RulesetID); err != nil {
			return nil, err
		}
		c := tx.PolicyAssignment.Create().SetUserID(*f.UserID).SetRulesetID(*f.RulesetID).SetActivatedAt(s.now())
		m := c.Mutation()
		setIf(f.RuleID, m.SetRuleID)
		setIf(f.State, m.SetState)
		setIf(f.ExpiresAt, m.SetExpiresAt)
		if f.ExpiresAt == nil && f.RuleID != nil {
			// Unless given, an assignment lapses after its rule's days (or its ruleset's).
			rule, err := tx.PolicyRule.Get(ctx, *f.RuleID)
			if err != nil {
				return nil, err
			}
			if at := expiryOf(rule, rs, s.now()); at != nil {
				m.SetExpiresAt(*at)
			}
		}
		return c, nil
	})
}

// DeletePolicyRecord soft-deletes a ruleset, rule, condition or assignment, by
// id type. Rulesets with live rules or assignments, and rules with live
// assignments, are refused.
func (s *Service) DeletePolicyRecord(ctx context.Context, table, id string, ifVersion *int) error {
	const action = "policy.deleted"
	var err error
	switch table {
	case policyruleset.Table:
		_, err = modify(ctx, s, rulesets, id, ifVersion, action, func(tx *ent.Tx, _ *ent.PolicyRuleset, m *ent.PolicyRulesetMutation, _ *event) error {
			if err := unused(ctx, id, tx.PolicyRule.Query().Where(policyrule.RulesetID(id)).Count,
				tx.PolicyCondition.Query().Where(policycondition.RulesetID(id)).Count,
				tx.PolicyAssignment.Query().Where(policyassignment.RulesetID(id)).Count); err != nil {
				return err
			}
			m.SetDeletedAt(s.now())
			return nil
		})
	case policyrule.Table:
		_, err = modify(ctx, s, rules, id, ifVersion, action, func(tx *ent.Tx, _ *ent.PolicyRule, m *ent.PolicyRuleMutation, _ *event) error {
			if err := unused(ctx, id, tx.PolicyCondition.Query().Where(policycondition.RuleID(id)).Count,
				tx.PolicyAssignment.Query().Where(policyassignment.RuleID(id)).Count); err != nil {
				return err
			}
			m.SetDeletedAt(s.now())
			return nil
		})
	case policycondition.Table:
		_, err = modify(ctx, s, conditions, id, ifVersion, action, func(_ *ent.Tx, _ *ent.PolicyCondition, m *ent.PolicyConditionMutation, _ *event) error {
			m.SetDeletedAt(s.now())
			return nil
		})
	case policyassignment.Table:
		_, err = modify(ctx, s, assignments, id, ifVersion, action, func(_ *ent.Tx, _ *ent.PolicyAssignment, m *ent.PolicyAssignmentMutation, _ *event) error {
			m.SetDeletedAt(s.now())
			return nil
		})
	default:
		return apierror.BadInputf("%s is not a policy record id", id)
	}
	return err
}

// unused refuses to delete id while the counted records still use it.
func unused(ctx context.Context, id string, counts ...func(context.Context) (int, error)) error {
	dependents := 0
	for _, count := range counts {
		n, err := count(ctx)
		if err != nil {
			return err
		}
		dependents += n
	}
	if dependents > 0 {
		return &apierror.Error{Code: apierror.CodeConflict,
			Message: fmt.Sprintf("%s is still used by %d rules, conditions or assignments: delete them first", id, dependents)}
	}
	return nil
}

// ruleOfRuleset checks that a rule, when given, belongs to the ruleset.
func ruleOfRuleset(ctx context.Context, tx *ent.Tx, ruleID *string, rulesetID string) error {
	if ruleID == nil {
		return nil
	}
	rule, err := tx.PolicyRule.Get(ctx, *ruleID)
	if err != nil {
		return notFound(err, "policy rule", *ruleID)
	}
	if rule.RulesetID != rulesetID {
		return fieldError("ruleId", "rule %s belongs to ruleset %s, not %s", *ruleID, rule.RulesetID, rulesetID)
	}
	return nil
}

// setIf sets a field when the client gave it.
func setIf[T any](v *T, set func(T)) {
	if v != nil {
		set(*v)
	}
}

// UpdateCondition changes a condition's comparison or description.
func (s *Service) UpdateCondition(ctx context.Context, id string, ifVersion *int, f ConditionFields) (*ent.PolicyCondition, error) {
	if f.RulesetID != nil || f.RuleID != nil || f.UserID != nil || f.Type != nil {
		return nil, fieldError("type", "a condition's ruleset, rule, user and type are fixed: create another condition")
	}
	return modify(ctx, s, conditions, id, ifVersion, "policy_condition.updated", func(_ *ent.Tx, _ *ent.PolicyCondition, m *ent.PolicyConditionMutation, _ *event) error {
		setIf(f.ProfileKey, m.SetProfileKey)
		setIf(f.ProfileOperator, m.SetProfileOperator)
		setIf(f.ProfileValue, m.SetProfileValue)
		setIf(f.Description, m.SetDescription)
		return nil
	})
}

// UpdateAssignment changes an assignment's state or expiry.
func (s *Service) UpdateAssignment(ctx context.Context, id string, ifVersion *int, f AssignmentFields) (*ent.PolicyAssignment, error) {
	if f.UserID != nil || f.RulesetID != nil || f.RuleID != nil {
		return nil, fieldError("rulesetId", "an assignment's user, ruleset and rule are fixed: create another assignment")
	}
	if f.ExpiresAt != nil && !f.ExpiresAt.After(s.now()) {
		return nil, fieldError("expiresAt", "must be in the future")
	}
	return modify(ctx, s, assignments, id, ifVersion, "policy_assignment.updated", func(_ *ent.Tx, _ *ent.PolicyAssignment, m *ent.PolicyAssignmentMutation, _ *event) error {
		setIf(f.State, m.SetState)
		setIf(f.ExpiresAt, m.SetExpiresAt)
		return nil
	})
}
