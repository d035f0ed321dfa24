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
	var created *ent.Resource
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.Integration.Get(ctx, *f.IntegrationID); err != nil {
			return notFound(err, "integration", *f.IntegrationID)
		}
		create := tx.Resource.Create().SetIntegrationID(*f.IntegrationID).SetKind(*f.Kind).SetVendorID(*f.VendorID).SetName(*f.Name)
		diff := map[string]change{"integration_id": {After: *f.IntegrationID}, "kind": {After: *f.Kind}, "vendor_id": {After: *f.VendorID}, "name": {After: *f.Name}}
		if f.Handle != nil {
			create.SetHandle(*f.Handle)
			diff["handle"] = change{After: *f.Handle}
		}
		var err error
		if created, err = create.Save(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return &apierror.Error{Code: apierror.CodeConflict, Message: "vendorId: the integration already has a resource with that vendor id",
					Extensions: map[string]any{"field": "vendorId"}, Err: err}
			}
			return err
		}
		return s.log(ctx, tx, event{action: "resource.created", record: created.ID, parent: f.IntegrationID, fields: diff})
	})
	return created, err
}

// UpdateResource changes a resource's name or handle.
func (s *Service) UpdateResource(ctx context.Context, id string, ifVersion *int, name, handle *string) (*ent.Resource, error) {
	if name != nil && *name == "" {
		return nil, fieldError("name", "cannot be empty")
	}
	return s.changeResource(ctx, id, ifVersion, "resource.updated", func(tx *ent.Tx, before *ent.Resource, u *ent.ResourceUpdateOne, diff map[string]change) error {
		if name != nil && *name != before.Name {
			u.SetName(*name)
			diff["name"] = change{Before: before.Name, After: *name}
		}
		if handle != nil && *handle != before.Handle {
			u.SetHandle(*handle)
			diff["handle"] = change{Before: before.Handle, After: *handle}
		}
		return nil
	})
}

// DeleteResource soft-deletes a resource and ends its memberships; a resource
// that policy rulesets govern is refused (delete or move the rulesets first).
func (s *Service) DeleteResource(ctx context.Context, id string, ifVersion *int) (*ent.Resource, error) {
	return s.changeResource(ctx, id, ifVersion, "resource.deleted", func(tx *ent.Tx, before *ent.Resource, u *ent.ResourceUpdateOne, diff map[string]change) error {
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
		now := s.now()
		u.SetDeletedAt(now)
		diff["deleted_at"] = change{After: now}
		diff["ended_memberships"] = change{After: ended}
		return nil
	})
}

func (s *Service) changeResource(ctx context.Context, id string, ifVersion *int, action string,
	edit func(tx *ent.Tx, before *ent.Resource, u *ent.ResourceUpdateOne, diff map[string]change) error,
) (*ent.Resource, error) {
	var updated *ent.Resource
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.Resource.Get(ctx, id)
		if err != nil {
			return notFound(err, "resource", id)
		}
		if err := checkVersion("resource", id, before.Version, ifVersion); err != nil {
			return err
		}
		update := tx.Resource.UpdateOneID(id).Where(resource.Version(before.Version))
		diff := map[string]change{}
		if err := edit(tx, before, update, diff); err != nil {
			return err
		}
		if len(diff) == 0 {
			updated = before
			return nil
		}
		if updated, err = update.Save(ctx); err != nil {
			return versionOr(err, "resource", &id)
		}
		return s.log(ctx, tx, event{action: action, record: id, parent: &before.IntegrationID, fields: diff})
	})
	return updated, err
}

// AddMembership makes an identity a member of a resource on the same
// integration, with a role (member by default). Adding an existing membership
// changes its role.
func (s *Service) AddMembership(ctx context.Context, identityID, resourceID string, role *membership.Role) (*ent.Identity, *ent.Resource, error) {
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
		if member.IntegrationID != res.IntegrationID {
			return fieldError("resourceId", "the resource is on integration %s, the identity on %s", res.IntegrationID, member.IntegrationID)
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
			return nil // already a member with that role: nothing to write
		}
		if err != nil {
			return err
		}
		return s.log(ctx, tx, event{action: "membership.added", subject: member.UserID, record: identityID, parent: member.UserID,
			fields: map[string]change{"resource_id": {After: resourceID}, "role": {After: want}}})
	})
	return member, res, err
}

// RemoveMembership ends an identity's membership of a resource.
func (s *Service) RemoveMembership(ctx context.Context, identityID, resourceID string) (*ent.Identity, *ent.Resource, error) {
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
		n, err := tx.Membership.Delete().Where(membership.IdentityID(identityID), membership.ResourceID(resourceID)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apierror.NotFound("membership of "+identityID+" in", resourceID)
		}
		return s.log(ctx, tx, event{action: "membership.removed", subject: member.UserID, record: identityID, parent: member.UserID,
			fields: map[string]change{"resource_id": {Before: resourceID}}})
	})
	return member, res, err
}
