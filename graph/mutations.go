package graph

import (
	"context"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/lifecycle"
)

// Mutations are thin: they turn inputs into internal/directory calls, which
// hold the rules, the transaction and the workspace log.

// payload wraps a mutation's result in its payload type, echoing the client's
// mutation id; a failed mutation has no payload.
func payload[T, P any](clientMutationID *string, wrap func(node *T, clientMutationID *string) *P) func(*T, error) (*P, error) {
	return func(node *T, err error) (*P, error) {
		if err != nil {
			return nil, err
		}
		return wrap(node, clientMutationID), nil
	}
}

func userPayload(id *string) func(*ent.User, error) (*model.UserPayload, error) {
	return payload(id, func(u *ent.User, id *string) *model.UserPayload {
		return &model.UserPayload{User: u, ClientMutationID: id}
	})
}

func identityPayload(id *string) func(*ent.Identity, error) (*model.IdentityPayload, error) {
	return payload(id, func(i *ent.Identity, id *string) *model.IdentityPayload {
		return &model.IdentityPayload{Identity: i, ClientMutationID: id}
	})
}

func integrationPayload(id *string) func(*ent.Integration, error) (*model.IntegrationPayload, error) {
	return payload(id, func(i *ent.Integration, id *string) *model.IntegrationPayload {
		return &model.IntegrationPayload{Integration: i, ClientMutationID: id}
	})
}

func resourcePayload(id *string) func(*ent.Resource, error) (*model.ResourcePayload, error) {
	return payload(id, func(r *ent.Resource, id *string) *model.ResourcePayload {
		return &model.ResourcePayload{Resource: r, ClientMutationID: id}
	})
}

func rulesetPayload(id *string) func(*ent.PolicyRuleset, error) (*model.PolicyRulesetPayload, error) {
	return payload(id, func(r *ent.PolicyRuleset, id *string) *model.PolicyRulesetPayload {
		return &model.PolicyRulesetPayload{PolicyRuleset: r, ClientMutationID: id}
	})
}

func rulePayload(id *string) func(*ent.PolicyRule, error) (*model.PolicyRulePayload, error) {
	return payload(id, func(r *ent.PolicyRule, id *string) *model.PolicyRulePayload {
		return &model.PolicyRulePayload{PolicyRule: r, ClientMutationID: id}
	})
}

func conditionPayload(id *string) func(*ent.PolicyCondition, error) (*model.PolicyConditionPayload, error) {
	return payload(id, func(c *ent.PolicyCondition, id *string) *model.PolicyConditionPayload {
		return &model.PolicyConditionPayload{PolicyCondition: c, ClientMutationID: id}
	})
}

func assignmentPayload(id *string) func(*ent.PolicyAssignment, error) (*model.PolicyAssignmentPayload, error) {
	return payload(id, func(a *ent.PolicyAssignment, id *string) *model.PolicyAssignmentPayload {
		return &model.PolicyAssignmentPayload{PolicyAssignment: a, ClientMutationID: id}
	})
}

// optionalIDs drops the ids the client left out (empty), keeping the others to check.
func optionalIDs(ids ...idOf) []idOf {
	var out []idOf
	for _, i := range ids {
		if i.id != "" {
			out = append(out, i)
		}
	}
	return out
}

// orEmpty reads an optional id, "" when absent.
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// membershipPayload runs a membership change after checking both ids.
func membershipPayload(input model.MembershipInput, change func() (*ent.Identity, *ent.Resource, error)) (*model.MembershipPayload, error) {
	if err := validIDs(idOf{input.IdentityID, gid.Identity}, idOf{input.ResourceID, gid.Resource}); err != nil {
		return nil, err
	}
	member, res, err := change()
	if err != nil {
		return nil, err
	}
	return &model.MembershipPayload{Identity: member, Resource: res, ClientMutationID: input.ClientMutationID}, nil
}

// withUserID refuses an id that is not a user id before anything runs.
func withUserID(id string, f func() (*ent.User, error)) (*ent.User, error) {
	return withIDs(f, idOf{id, gid.User})
}

// idOf is an input id and the type it must name.
type idOf struct{ id, prefix string }

// withIDs refuses ids of the wrong type or shape before anything runs.
func withIDs[T any](f func() (*T, error), ids ...idOf) (*T, error) {
	if err := validIDs(ids...); err != nil {
		return nil, err
	}
	return f()
}

// validIDs is BAD_USER_INPUT for the first id of the wrong type or shape.
func validIDs(ids ...idOf) error {
	for _, i := range ids {
		if err := gid.Validate(i.id, i.prefix); err != nil {
			return apierror.BadInput(err)
		}
	}
	return nil
}

func (r *Resolver) userAction(ctx context.Context, input model.UserActionInput, action lifecycle.Action) (*model.UserPayload, error) {
	return userPayload(input.ClientMutationID)(withUserID(input.ID, func() (*ent.User, error) {
		return r.directory.Transition(ctx, input.ID, action, nil, input.IfVersion)
	}))
}

func createFields(in model.CreateUserInput) directory.UserFields {
	return directory.UserFields{
		Email: &in.Email, FirstName: in.FirstName, LastName: in.LastName, FullName: in.FullName, Username: in.Username,
		Title: in.Title, Department: in.Department, Division: in.Division, Company: in.Company, Office: in.Office,
		CostCenter: in.CostCenter, BadgeID: in.BadgeID, EmployeeID: in.EmployeeID, EmployeeAltID: in.EmployeeAltID,
		Type: in.Type, Metadata: in.Metadata,
	}
}

func updateFields(in model.UpdateUserInput) directory.UserFields {
	return directory.UserFields{
		Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, FullName: in.FullName, Username: in.Username,
		Title: in.Title, Department: in.Department, Division: in.Division, Company: in.Company, Office: in.Office,
		CostCenter: in.CostCenter, BadgeID: in.BadgeID, EmployeeID: in.EmployeeID, EmployeeAltID: in.EmployeeAltID,
		Type: in.Type, Metadata: in.Metadata,
	}
}
