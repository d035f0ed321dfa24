package directory

import (
	"context"
	"fmt"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/internal/apierror"
)

// ResourceFields are what a client may set on a resource.
type ResourceFields struct {
	IntegrationID          *string
	Kind                   *resource.Kind
	VendorID, Name, Handle *string
	ExternalID             *string
}

// CreateResource adds a group, channel, project or drive to an integration.
func (s *Service) CreateResource(ctx context.Context, f ResourceFields) (*ent.Resource, error) {
	switch {
	case f.IntegrationID == nil:
		return nil, fieldError("integrationId", "is required")
	case f.Kind == nil:
		return nil, fieldError("kind", "is required")
	case f.VendorID == nil || *f.VendorID == "":
		return nil, fieldError("vendorId", "is required")
	case f.Name == nil || *f.Name == "":
		return nil, fieldError("name", "is required")
	}
	if err := validExternalID(f.ExternalID); err != nil {
		return nil, err
	}
	return insert(ctx, s, resources, "resource.created", func(tx *ent.Tx) (*ent.ResourceCreate, error) {
		if _, err := tx.Integration.Get(ctx, *f.IntegrationID); err != nil {
			return nil, notFound(err, "integration", *f.IntegrationID)
		}
		create := tx.Resource.Create().SetIntegrationID(*f.IntegrationID).SetKind(*f.Kind).SetVendorID(*f.VendorID).SetName(*f.Name)
		setIf(f.Handle, create.Mutation().SetHandle)
		setIf(f.ExternalID, create.Mutation().SetExternalID)
		return create, nil
	})
}

// UpdateResource changes a resource's name, handle or external id.
func (s *Service) UpdateResource(ctx context.Context, id string, ifVersion *int, name, handle, externalID *string) (*ent.Resource, error) {
	if name != nil && *name == "" {
		return nil, fieldError("name", "cannot be empty")
	}
	if err := validExternalID(externalID); err != nil {
		return nil, err
	}
	return modify(ctx, s, resources, id, ifVersion, "resource.updated", func(_ *ent.Tx, _ *ent.Resource, m *ent.ResourceMutation, _ *event) error {
		setIf(name, m.SetName)
		setIf(handle, m.SetHandle)
		setIf(externalID, m.SetExternalID)
		return nil
	})
}

// DeleteResource soft-deletes a resource and ends its memberships; a resource
// that policy rulesets govern is refused (delete or move the rulesets first).
func (s *Service) DeleteResource(ctx context.Context, id string, ifVersion *int) (*ent.Resource, error) {
	return modify(ctx, s, resources, id, ifVersion, "resource.deleted", func(tx *ent.Tx, _ *ent.Resource, m *ent.ResourceMutation, e *event) error {
		rulesets, err := tx.PolicyRuleset.Query().Where(policyruleset.ResourceID(id)).Count(ctx)
		if err != nil {
			return err
		}
		if rulesets > 0 {
			return &apierror.Error{Code: apierror.CodeConflict,
				Message: fmt.Sprintf("resource %s is governed by %d policy rulesets", id, rulesets)}
		}
		ended, err := tx.Membership.Delete().Where(membership.ResourceID(id)).Exec(ctx)
		if err != nil {
			return err
		}
		m.SetDeletedAt(s.now())
		e.fields["ended_memberships"] = change{After: ended}
		return nil
	})
}

// AddMembership makes an identity a member of a resource on the same
// integration, with a role (member by default). Adding an existing membership
// changes its role.
func (s *Service) AddMembership(ctx context.Context, identityID, resourceID string, role *membership.Role) (*ent.Identity, *ent.Resource, error) {
	return s.changeMembership(ctx, identityID, resourceID, func(tx *ent.Tx, member *ent.Identity, res *ent.Resource) (*event, error) {
		if member.IntegrationID != res.IntegrationID {
			return nil, fieldError("resourceId", "the resource is on integration %s, the identity on %s", res.IntegrationID, member.IntegrationID)
		}
		want := membership.RoleMember
		if role != nil {
			want = *role
		}
		existing, err := tx.Membership.Query().Where(membership.IdentityID(identityID), membership.ResourceID(resourceID)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			err = tx.Membership.Create().SetIdentityID(identityID).SetResourceID(resourceID).SetRole(want).Exec(ctx)
		case err == nil && existing.Role != want:
			err = tx.Membership.UpdateOne(existing).SetRole(want).Exec(ctx)
		case err == nil:
			return nil, nil // already a member with that role: nothing to write
		}
		return &event{action: "membership.added", fields: map[string]change{"resource_id": {After: resourceID}, "role": {After: want}}}, err
	})
}

// RemoveMembership ends an identity's membership of a resource.
func (s *Service) RemoveMembership(ctx context.Context, identityID, resourceID string) (*ent.Identity, *ent.Resource, error) {
	return s.changeMembership(ctx, identityID, resourceID, func(tx *ent.Tx, _ *ent.Identity, _ *ent.Resource) (*event, error) {
		n, err := tx.Membership.Delete().Where(membership.IdentityID(identityID), membership.ResourceID(resourceID)).Exec(ctx)
		if err == nil && n == 0 {
			err = apierror.NotFound("membership of "+identityID+" in", resourceID)
		}
		return &event{action: "membership.removed", fields: map[string]change{"resource_id": {Before: resourceID}}}, err
	})
}

// changeMembership reads the identity and the resource in the caller's tenant
// and runs change in one transaction with its log entry, which is about the
// identity (and its user); change returns no entry when there is nothing to do.
func (s *Service) changeMembership(ctx context.Context, identityID, resourceID string,
	change func(tx *ent.Tx, member *ent.Identity, res *ent.Resource) (*event, error)) (*ent.Identity, *ent.Resource, error) {
	var member *ent.Identity
	var res *ent.Resource
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if member, err = tx.Identity.Get(ctx, identityID); err != nil {
			return notFound(err, "identity", identityID)
		}
		if res, err = tx.Resource.Get(ctx, resourceID); err != nil {
			return notFound(err, "resource", resourceID)
		}
		e, err := change(tx, member, res)
		if err != nil || e == nil {
			return err
		}
		e.subject, e.record, e.parent = member.UserID, identityID, member.UserID
		return s.log(ctx, tx, *e)
	})
	return member, res, err
}
