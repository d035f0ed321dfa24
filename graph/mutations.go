package graph

import (
	"context"
	"reflect"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/lifecycle"
)

// Mutations are thin: each turns its input into one internal/directory call,
// which holds the rules, the transaction and the workspace log. The ids in an
// input were checked before the resolver runs (@idOf).

// payload is p, or no payload and err when the change failed.
func payload[P any](p *P, err error) (*P, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (r *Resolver) userAction(ctx context.Context, input model.UserActionInput, action lifecycle.Action) (*model.UserPayload, error) {
	u, err := r.directory.Transition(ctx, input.ID, action, nil, input.IfVersion)
	return payload(&model.UserPayload{User: u, ClientMutationID: input.ClientMutationID}, err)
}

func createFields(in model.CreateUserInput) directory.UserFields {
	return directory.UserFields{
		Email: &in.Email, FirstName: in.FirstName, LastName: in.LastName, FullName: in.FullName, Username: in.Username,
		Title: in.Title, Department: in.Department, Division: in.Division, Company: in.Company, Office: in.Office,
		CostCenter: in.CostCenter, BadgeID: in.BadgeID, EmployeeID: in.EmployeeID, EmployeeAltID: in.EmployeeAltID,
		Type: in.Type, Metadata: in.Metadata, Attributes: attributesInput(in.Attributes), ExternalID: in.ExternalID,
		EmailVerified: in.EmailVerified, PrivacyPolicyAgreedAt: in.PrivacyPolicyAgreedAt,
		TermsOfServiceAgreedAt: in.TermsOfServiceAgreedAt, AppMetadata: in.AppMetadata, UserMetadata: in.UserMetadata,
	}
}

func updateFields(in model.UpdateUserInput) directory.UserFields {
	f := directory.UserFields{
		Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, FullName: in.FullName, Username: in.Username,
		Title: in.Title, Department: in.Department, Division: in.Division, Company: in.Company, Office: in.Office,
		CostCenter: in.CostCenter, Type: in.Type, Attributes: attributesInput(in.Attributes),
	}
	// Fields that may be empty: left out, kept; null, cleared; a value, set.
	takeNullable(&f, "externalId", in.ExternalID, &f.ExternalID)
	takeNullable(&f, "badgeId", in.BadgeID, &f.BadgeID)
	takeNullable(&f, "employeeId", in.EmployeeID, &f.EmployeeID)
	takeNullable(&f, "employeeAltId", in.EmployeeAltID, &f.EmployeeAltID)
	takeNullable(&f, "metadata", in.Metadata, &f.Metadata)
	takeNullable(&f, "appMetadata", in.AppMetadata, &f.AppMetadata)
	takeNullable(&f, "userMetadata", in.UserMetadata, &f.UserMetadata)
	takeNullable(&f, "privacyPolicyAgreedAt", in.PrivacyPolicyAgreedAt, &f.PrivacyPolicyAgreedAt)
	takeNullable(&f, "termsOfServiceAgreedAt", in.TermsOfServiceAgreedAt, &f.TermsOfServiceAgreedAt)
	f.EmailVerified = in.EmailVerified
	return f
}

// takeNullable applies an input field that may be null: left out, nothing;
// null, the field is cleared (by name); a value, it is set.
func takeNullable[T any](f *directory.UserFields, name string, in graphql.Omittable[T], set *T) {
	v, given := in.ValueOK()
	switch {
	case !given:
	case reflect.ValueOf(&v).Elem().IsZero(): // a nil pointer or map
		f.Cleared = append(f.Cleared, name)
	default:
		*set = v
	}
}

// reconciled is reconcilePolicy's payload; its grants are one sibling group, so
// their users, rules and assignments load in a statement each.
func reconciled(ctx context.Context, plan directory.Reconciliation, input model.ReconcilePolicyInput) *model.ReconcilePolicyPayload {
	grants := make([]*model.PolicyGrant, 0, len(plan.Created)+len(plan.Ended))
	for _, g := range append(slices.Clone(plan.Created), plan.Ended...) {
		grants = append(grants, &model.PolicyGrant{UserID: g.UserID, RuleID: g.RuleID, AssignmentID: g.AssignmentID})
	}
	loader.Register(ctx, grants)
	return &model.ReconcilePolicyPayload{ClientMutationID: input.ClientMutationID, DryRun: input.DryRun,
		Created: grants[:len(plan.Created)], Ended: grants[len(plan.Created):]}
}
