package directory

import (
	"context"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/lifecycle"
)

// LinkIdentity attaches an orphan identity to a user by hand (linkedBy
// manual); the identity becomes active.
func (s *Service) LinkIdentity(ctx context.Context, id, userID string, ifVersion *int) (*ent.Identity, error) {
	return s.identityAction(ctx, id, ifVersion, lifecycle.Link, "identity.linked", func(tx *ent.Tx, _ *ent.Identity, m *ent.IdentityMutation, e *event) error {
		if _, err := tx.User.Get(ctx, userID); err != nil {
			return notFound(err, "user", userID)
		}
		m.SetUserID(userID)
		m.SetLinkedBy(identity.LinkedByManual)
		e.subject, e.parent = &userID, &userID
		return nil
	})
}

// UnlinkIdentity detaches an identity from its user, leaving an orphan.
func (s *Service) UnlinkIdentity(ctx context.Context, id string, ifVersion *int) (*ent.Identity, error) {
	return s.identityAction(ctx, id, ifVersion, lifecycle.Unlink, "identity.unlinked", func(_ *ent.Tx, _ *ent.Identity, m *ent.IdentityMutation, _ *event) error {
		m.ClearUserID()
		m.ClearLinkedBy()
		return nil
	})
}

// identityAction applies a lifecycle action to an identity, with its edits.
func (s *Service) identityAction(ctx context.Context, id string, ifVersion *int, action lifecycle.Action, name string,
	edit edit[*ent.Identity, *ent.IdentityMutation]) (*ent.Identity, error) {
	return modify(ctx, s, identities, id, ifVersion, name, func(tx *ent.Tx, before *ent.Identity, m *ent.IdentityMutation, e *event) error {
		from := lifecycle.State(before.State)
		to, err := lifecycle.Next(lifecycle.Identity, from, action)
		if err != nil {
			return &apierror.Error{Code: apierror.CodeBadUserInput, Message: err.Error(), Err: err,
				Extensions: map[string]any{"state": string(from), "allowedActions": lifecycle.Allowed(lifecycle.Identity, from)}}
		}
		m.SetState(identity.State(to))
		return edit(tx, before, m, e)
	})
}
