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
	ExternalID           *string
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
	if err := validExternalID(f.ExternalID); err != nil {
		return nil, err
	}
	return insert(ctx, s, integrations, "integration.created", func(tx *ent.Tx) (*ent.IntegrationCreate, error) {
		current, err := tx.Integration.Query().Where(integration.IsPrimary(true)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		primary = primary || len(current) == 0
		if primary && len(current) > 0 {
			if err := tx.Integration.Update().Where(integration.IDIn(current...)).SetIsPrimary(false).Exec(ctx); err != nil {
				return nil, err
			}
		}
		create := tx.Integration.Create().SetVendor(*f.Vendor).SetKind(*f.Kind).SetName(*f.Name).SetIsPrimary(primary)
		setIf(f.Handle, create.Mutation().SetHandle)
		setIf(f.Domain, create.Mutation().SetDomain)
		setIf(f.ExternalID, create.Mutation().SetExternalID)
		return create, nil
	})
}

// UpdateIntegration changes an integration's name, handle or domain.
func (s *Service) UpdateIntegration(ctx context.Context, id string, ifVersion *int, f IntegrationFields) (*ent.Integration, error) {
	if f.Vendor != nil || f.Kind != nil {
		return nil, fieldError("vendor", "an integration's vendor and kind cannot change: create another integration")
	}
	if f.Name != nil && *f.Name == "" {
		return nil, fieldError("name", "cannot be empty")
	}
	if err := validExternalID(f.ExternalID); err != nil {
		return nil, err
	}
	return modify(ctx, s, integrations, id, ifVersion, "integration.updated", func(_ *ent.Tx, _ *ent.Integration, m *ent.IntegrationMutation, _ *event) error {
		setIf(f.Name, m.SetName)
		setIf(f.Handle, m.SetHandle)
		setIf(f.Domain, m.SetDomain)
		setIf(f.ExternalID, m.SetExternalID)
		return nil
	})
}

// MakePrimary moves the tenant's primary flag to the integration, in one
// transaction: there is never a moment with none or two.
func (s *Service) MakePrimary(ctx context.Context, id string, ifVersion *int) (*ent.Integration, error) {
	return modify(ctx, s, integrations, id, ifVersion, "integration.made_primary", func(tx *ent.Tx, before *ent.Integration, m *ent.IntegrationMutation, e *event) error {
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
		m.SetIsPrimary(true)
		e.fields["previous_primary"] = change{Before: previous}
		return nil
	})
}

// DeleteIntegration soft-deletes an integration that no identity or resource
// uses any more. The primary can only go when it is the last integration.
func (s *Service) DeleteIntegration(ctx context.Context, id string, ifVersion *int) (*ent.Integration, error) {
	return modify(ctx, s, integrations, id, ifVersion, "integration.deleted", func(tx *ent.Tx, before *ent.Integration, m *ent.IntegrationMutation, _ *event) error {
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
		m.SetDeletedAt(s.now())
		return nil
	})
}
