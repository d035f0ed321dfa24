package directory

import (
	"context"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/predicate"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/lifecycle"
	"github.com/idgraph/idgraph/internal/viewer"
)

// ScheduleIdentityExpiration makes an identity expire at at (in the future);
// it is expiring until then.
func (s *Service) ScheduleIdentityExpiration(ctx context.Context, id string, at time.Time, ifVersion *int) (*ent.Identity, error) {
	return modify(ctx, s, identities, id, ifVersion, "identity.expiration_scheduled", func(_ *ent.Tx, before *ent.Identity, m *ent.IdentityMutation, _ *event) error {
		from := lifecycle.State(before.State)
		to, err := lifecycle.Schedule(lifecycle.Identity, from, at, s.now())
		if err != nil {
			return &apierror.Error{Code: apierror.CodeBadUserInput, Message: err.Error(), Err: err,
				Extensions: map[string]any{"state": string(from), "allowedActions": lifecycle.Allowed(lifecycle.Identity, from)}}
		}
		m.SetState(identity.State(to))
		m.SetExpiresAt(at)
		return nil
	})
}

// ActivateIdentity makes an identity active and removes its scheduled expiration.
func (s *Service) ActivateIdentity(ctx context.Context, id string, ifVersion *int) (*ent.Identity, error) {
	return s.identityAction(ctx, id, ifVersion, lifecycle.Activate, "identity.activated", func(_ *ent.Tx, _ *ent.Identity, m *ent.IdentityMutation, _ *event) error {
		m.ClearExpiresAt()
		return nil
	})
}

// Expired counts what one pass of ExpireDue expired.
type Expired struct{ Users, Identities, Assignments int }

// expireBatch bounds the records one pass reads; the next pass takes the rest.
const expireBatch = 500

// ExpireDue expires every user, identity and policy assignment whose
// expiresAt has passed, in every tenant: the record becomes expired with a
// log entry, and so do a user's live identities and assignments. Each record
// is one transaction whose update is conditional on the record still being
// due, so replicas running it at once, or a run after a crash, never expire
// a record twice or half.
func (s *Service) ExpireDue(ctx context.Context) (Expired, error) {
	ctx = viewer.System(ctx)
	now := s.now()
	var out Expired
	users, err := s.client.User.Query().
		Where(user.ExpiresAtLTE(now), user.StateIn(states[user.State](lifecycle.User)...)).
		Order(user.ByExpiresAt()).Limit(expireBatch).IDs(ctx)
	if err != nil {
		return out, err
	}
	for _, id := range users {
		n, err := s.expireUser(ctx, id, now)
		if err != nil {
			return out, err
		}
		out.Users += n.Users
		out.Identities += n.Identities
		out.Assignments += n.Assignments
	}
	ids, err := s.client.Identity.Query().
		Where(identity.ExpiresAtLTE(now), identity.StateIn(states[identity.State](lifecycle.Identity)...)).
		Order(identity.ByExpiresAt()).Limit(expireBatch).IDs(ctx)
	if err != nil {
		return out, err
	}
	if out.Identities, err = s.expireEach(ctx, ids, out.Identities, func(tx *ent.Tx, id string) (bool, error) {
		return expireIdentity(ctx, s, tx, id, identity.ExpiresAtLTE(now))
	}); err != nil {
		return out, err
	}
	assignments, err := s.client.PolicyAssignment.Query().
		Where(policyassignment.ExpiresAtLTE(now), policyassignment.StateIn(liveAssignment...)).
		Order(policyassignment.ByExpiresAt()).Limit(expireBatch).IDs(ctx)
	if err != nil {
		return out, err
	}
	out.Assignments, err = s.expireEach(ctx, assignments, out.Assignments, func(tx *ent.Tx, id string) (bool, error) {
		return expireAssignment(ctx, s, tx, id, "expires_at passed", policyassignment.ExpiresAtLTE(now))
	})
	return out, err
}

// expireEach expires each id in a transaction of its own and adds those it
// expired (another replica may have got there first) to n.
func (s *Service) expireEach(ctx context.Context, ids []string, n int, expire func(*ent.Tx, string) (bool, error)) (int, error) {
	for _, id := range ids {
		var done bool
		err := s.inTx(ctx, func(tx *ent.Tx) (err error) {
			done, err = expire(tx, id)
			return err
		})
		if err != nil {
			return n, err
		}
		n += count(done)
	}
	return n, nil
}

// liveAssignment are the states of an assignment that grants access.
var liveAssignment = []policyassignment.State{policyassignment.StateActive, policyassignment.StateExpiring}

// expireUser expires a due user with its live identities and assignments.
func (s *Service) expireUser(ctx context.Context, id string, now time.Time) (Expired, error) {
	var n Expired
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.Get(ctx, id)
		if err != nil {
			return err
		}
		changed, err := tx.User.Update().Where(user.ID(id), user.ExpiresAtLTE(now),
			user.StateIn(states[user.State](lifecycle.User)...)).SetState(user.StateExpired).Save(ctx)
		if err != nil || changed == 0 {
			return err // another replica got there first
		}
		n.Users = 1
		if err := s.log(ctx, tx, event{tenant: u.TenantID, action: "user.expired", subject: &id, record: id,
			fields: map[string]change{"state": {Before: u.State, After: user.StateExpired}}}); err != nil {
			return err
		}
		identityIDs, err := tx.Identity.Query().Where(identity.UserID(id), identity.StateIn(identity.StateActive, identity.StateExpiring)).IDs(ctx)
		if err != nil {
			return err
		}
		for _, iid := range identityIDs {
			done, err := expireIdentity(ctx, s, tx, iid)
			if err != nil {
				return err
			}
			n.Identities += count(done)
		}
		assignmentIDs, err := tx.PolicyAssignment.Query().Where(policyassignment.UserID(id), policyassignment.StateIn(liveAssignment...)).IDs(ctx)
		if err != nil {
			return err
		}
		for _, aid := range assignmentIDs {
			done, err := expireAssignment(ctx, s, tx, aid, "the user expired")
			if err != nil {
				return err
			}
			n.Assignments += count(done)
		}
		return nil
	})
	return n, err
}

// expireIdentity expires an identity in tx if it is still in a state that
// expires (and passes the extra conditions), with its log entry.
func expireIdentity(ctx context.Context, s *Service, tx *ent.Tx, id string, when ...predicate.Identity) (bool, error) {
	i, err := tx.Identity.Get(ctx, id)
	if err != nil {
		return false, err
	}
	changed, err := tx.Identity.Update().Where(identity.ID(id), identity.StateIn(states[identity.State](lifecycle.Identity)...)).
		Where(when...).SetState(identity.StateExpired).Save(ctx)
	if err != nil || changed == 0 {
		return false, err
	}
	return true, s.log(ctx, tx, event{tenant: i.TenantID, action: "identity.expired", subject: i.UserID, parent: i.UserID, record: id,
		fields: map[string]change{"state": {Before: i.State, After: identity.StateExpired}}})
}

// expireAssignment expires an assignment in tx if it still grants access
// (and passes the extra conditions), with its log entry.
func expireAssignment(ctx context.Context, s *Service, tx *ent.Tx, id, reason string, when ...predicate.PolicyAssignment) (bool, error) {
	a, err := tx.PolicyAssignment.Get(ctx, id)
	if err != nil {
		return false, err
	}
	changed, err := tx.PolicyAssignment.Update().Where(policyassignment.ID(id), policyassignment.StateIn(liveAssignment...)).
		Where(when...).SetState(policyassignment.StateExpired).Save(ctx)
	if err != nil || changed == 0 {
		return false, err
	}
	return true, s.log(ctx, tx, event{tenant: a.TenantID, action: "policy_assignment.expired", subject: &a.UserID, parent: &a.RulesetID,
		record: id, fields: map[string]change{"state": {Before: a.State, After: policyassignment.StateExpired}, "reason": {After: reason}}})
}

// states converts the lifecycle's expirable states of kind to an ent enum.
func states[T ~string](kind lifecycle.Kind) []T {
	var out []T
	for _, st := range lifecycle.Expirable(kind) {
		out = append(out, T(st))
	}
	return out
}

func count(done bool) int {
	if done {
		return 1
	}
	return 0
}

// RunExpirations runs ExpireDue every interval until ctx ends, and reports
// each pass that expired something or failed.
func (s *Service) RunExpirations(ctx context.Context, every time.Duration, report func(Expired, error)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := s.ExpireDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil || n != (Expired{}) {
			report(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
