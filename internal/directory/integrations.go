package directory

import (
	"context"
	"fmt"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/internal/apierror"
)

// IntegrationFields are what a client may set on an integration.
type IntegrationFields struct {
	Vendor               *integration.Vendor
	Kind                 *integration.Kind
	Name, Handle, Domain *string
}

// CreateIntegration adds an integration. The tenant's first integration is its
// primary; primary makes the new one primary instead of the current one.
func (s *Service) CreateIntegration(ctx context.Context, f IntegrationFields, primary bool) (*ent.Integration, error) {
	switch {
	case f.Vendor == nil:
		return nil, fieldError("vendor", "is required")
	case f.Kind == nil:
		return nil, fieldError("kind", "is required")
	case f.Name == nil || *f.Name == "":
		return nil, fieldError("name", "is required")
	}
	var created *ent.Integration
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		current, err := tx.Integration.Query().Where(integration.IsPrimary(true)).IDs(ctx)
		if err != nil {
			return err
		}
		primary = primary || len(current) == 0
		if primary && len(current) > 0 {
			if err := tx.Integration.Update().Where(integration.IDIn(current...)).SetIsPrimary(false).Exec(ctx); err != nil {
				return err
			}
		}
		create := tx.Integration.Create().SetVendor(*f.Vendor).SetKind(*f.Kind).SetName(*f.Name).SetIsPrimary(primary)
		diff := map[string]change{"vendor": {After: *f.Vendor}, "kind": {After: *f.Kind}, "name": {After: *f.Name}, "is_primary": {After: primary}}
		if f.Handle != nil {
			create.SetHandle(*f.Handle)
			diff["handle"] = change{After: *f.Handle}
		}
		if f.Domain != nil {
			create.SetDomain(*f.Domain)
			diff["domain"] = change{After: *f.Domain}
		}
		if created, err = create.Save(ctx); err != nil {
			return err
		}
		return s.log(ctx, tx, event{action: "integration.created", record: created.ID, fields: diff})
	})
	return created, err
}

// UpdateIntegration changes an integration's name, handle or domain.
func (s *Service) UpdateIntegration(ctx context.Context, id string, ifVersion *int, f IntegrationFields) (*ent.Integration, error) {
	if f.Vendor != nil || f.Kind != nil {
		return nil, fieldError("vendor", "an integration's vendor and kind cannot change: create another integration")
	}
	if f.Name != nil && *f.Name == "" {
		return nil, fieldError("name", "cannot be empty")
	}
	return s.changeIntegration(ctx, id, ifVersion, "integration.updated", func(tx *ent.Tx, before *ent.Integration, u *ent.IntegrationUpdateOne, diff map[string]change) error {
		set := func(name string, v *string, old string, apply func(string) *ent.IntegrationUpdateOne) {
			if v != nil && *v != old {
				apply(*v)
				diff[name] = change{Before: old, After: *v}
			}
		}
		set("name", f.Name, before.Name, u.SetName)
		set("handle", f.Handle, before.Handle, u.SetHandle)
		set("domain", f.Domain, before.Domain, u.SetDomain)
		return nil
	})
}

// MakePrimary moves the tenant's primary flag to the integration, in one
// transaction: there is never a moment with none or two.
func (s *Service) MakePrimary(ctx context.Context, id string, ifVersion *int) (*ent.Integration, error) {
	return s.changeIntegration(ctx, id, ifVersion, "integration.made_primary", func(tx *ent.Tx, before *ent.Integration, u *ent.IntegrationUpdateOne, diff map[string]change) error {
		if before.IsPrimary {
			return nil
		}
		previous, err := tx.Integration.Query().Where(integration.IsPrimary(true)).IDs(ctx)
		if err != nil {
			return err
		}
		if err := tx.Integration.Update().Where(integration.IDIn(previous...)).SetIsPrimary(false).Exec(ctx); err != nil {
			return err
		}
		u.SetIsPrimary(true)
		diff["is_primary"] = change{Before: false, After: true}
		diff["previous_primary"] = change{Before: previous}
		return nil
	})
}

// DeleteIntegration soft-deletes an integration that no identity or resource
// uses any more. The primary can only go when it is the last integration.
func (s *Service) DeleteIntegration(ctx context.Context, id string, ifVersion *int) (*ent.Integration, error) {
	return s.changeIntegration(ctx, id, ifVersion, "integration.deleted", func(tx *ent.Tx, before *ent.Integration, u *ent.IntegrationUpdateOne, diff map[string]change) error {
		identities, err := tx.Identity.Query().Where(identity.IntegrationID(id)).Count(ctx)
		if err != nil {
			return err
		}
		resources, err := tx.Resource.Query().Where(resource.IntegrationID(id)).Count(ctx)
		if err != nil {
			return err
		}
		if identities+resources > 0 {
			return &apierror.Error{Code: apierror.CodeConflict,
				Message: fmt.Sprintf("integration %s still has %d identities and %d resources", id, identities, resources)}
		}
		if before.IsPrimary {
			others, err := tx.Integration.Query().Where(integration.IDNEQ(id)).Count(ctx)
			if err != nil {
				return err
			}
			if others > 0 {
				return &apierror.Error{Code: apierror.CodeConflict,
					Message: fmt.Sprintf("integration %s is the primary: make another integration primary first", id)}
			}
		}
		now := s.now()
		u.SetDeletedAt(now)
		diff["deleted_at"] = change{After: now}
		return nil
	})
}

func (s *Service) changeIntegration(ctx context.Context, id string, ifVersion *int, action string,
	edit func(tx *ent.Tx, before *ent.Integration, u *ent.IntegrationUpdateOne, diff map[string]change) error,
) (*ent.Integration, error) {
	var updated *ent.Integration
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.Integration.Get(ctx, id)
		if err != nil {
			return notFound(err, "integration", id)
		}
		if err := checkVersion("integration", id, before.Version, ifVersion); err != nil {
			return err
		}
		update := tx.Integration.UpdateOneID(id).Where(integration.Version(before.Version))
		diff := map[string]change{}
		if err := edit(tx, before, update, diff); err != nil {
			return err
		}
		if len(diff) == 0 {
			updated = before
			return nil
		}
		if updated, err = update.Save(ctx); err != nil {
			return versionOr(err, "integration", &id)
		}
		return s.log(ctx, tx, event{action: action, record: id, fields: diff})
	})
	return updated, err
}
