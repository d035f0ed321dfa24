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
	return s.changeIdentity(ctx, id, ifVersion, lifecycle.Link, "identity.linked", func(tx *ent.Tx, before *ent.Identity, m *ent.IdentityMutation, e *event) error {
		if _, err := tx.User.Get(ctx, userID); err != nil {
			return notFound(err, "user", userID)
		}
		m.SetUserID(userID)
		m.SetLinkedBy(identity.LinkedByManual)
		e.fields[identity.FieldUserID] = change{After: userID}
		e.fields[identity.FieldLinkedBy] = change{After: identity.LinkedByManual}
		e.subject, e.parent = &userID, &userID
		return nil
	})
}

// UnlinkIdentity detaches an identity from its user, leaving an orphan.
func (s *Service) UnlinkIdentity(ctx context.Context, id string, ifVersion *int) (*ent.Identity, error) {
	return s.changeIdentity(ctx, id, ifVersion, lifecycle.Unlink, "identity.unlinked", func(tx *ent.Tx, before *ent.Identity, m *ent.IdentityMutation, e *event) error {
		m.ClearUserID()
		m.ClearLinkedBy()
		e.fields[identity.FieldUserID] = change{Before: before.UserID}
		e.subject, e.parent = before.UserID, before.UserID
		return nil
	})
}

// changeIdentity applies a lifecycle action to an identity, with its edits and
// log entry, in one transaction.
func (s *Service) changeIdentity(ctx context.Context, id string, ifVersion *int, action lifecycle.Action, name string,
	edit func(tx *ent.Tx, before *ent.Identity, m *ent.IdentityMutation, e *event) error,
) (*ent.Identity, error) {
	var updated *ent.Identity
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.Identity.Get(ctx, id)
		if err != nil {
			return notFound(err, "identity", id)
		}
		if err := checkVersion("identity", id, before.Version, ifVersion); err != nil {
			return err
		}
		from := lifecycle.State(before.State)
		to, err := lifecycle.Next(lifecycle.Identity, from, action)
		if err != nil {
			return &apierror.Error{Code: apierror.CodeBadUserInput, Message: err.Error(), Err: err,
				Extensions: map[string]any{"state": string(from), "allowedActions": lifecycle.Allowed(lifecycle.Identity, from)}}
		}
		update := tx.Identity.UpdateOneID(id).Where(identity.Version(before.Version)).SetState(identity.State(to))
		e := event{action: name, record: id, fields: map[string]change{identity.FieldState: {Before: before.State, After: to}}}
		if err := edit(tx, before, update.Mutation(), &e); err != nil {
			return err
		}
		if updated, err = update.Save(ctx); err != nil {
			return versionOr(err, "identity", &id)
		}
		return s.log(ctx, tx, e)
	})
	return updated, err
}
