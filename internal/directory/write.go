package directory

import (
	"context"
	"reflect"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/apierror"
)

// The write path. Every change to a record goes through modify, in one
// transaction:
//
//  1. read the row (ent's interceptors keep the read in the caller's tenant);
//  2. refuse the change with CONFLICT when the caller read another version;
//  3. let edit check the rules and set fields on the update;
//  4. diff the update against the row read: a change that changes nothing
//     writes nothing, not even a version;
//  5. save, guarded by the version read: a writer that got in between makes
//     the update match no row, which is a CONFLICT too;
//  6. log the diff.
//
// A kind is what modify needs of one entity type.
type kind[T any, M ent.Mutation, U saver[T, M]] struct {
	name string // in messages: "policy rule"
	id   func(T) string
	get  func(ctx context.Context, tx *ent.Tx, id string) (T, error)
	// update is an update of the row read, guarded by its version; ent reads
	// the old values of the diff from that row, without another statement.
	update  func(tx *ent.Tx, before T) U
	version func(T) int
	// entry is the log entry's subject and parent for the row.
	entry func(before T) event
	// saved, when set, turns a failed save into the API's error.
	saved func(error) error
}

// saver is an ent create or update builder.
type saver[T any, M ent.Mutation] interface {
	Mutation() M
	Save(context.Context) (T, error)
}

// edit checks a change against the row read and sets its fields on m; e is
// the log entry, to which it may add what the diff of m does not show.
type edit[T any, M ent.Mutation] func(tx *ent.Tx, before T, m M, e *event) error

func modify[T any, M ent.Mutation, U saver[T, M]](ctx context.Context, s *Service, k kind[T, M, U], id string,
	ifVersion *int, action string, edit edit[T, M]) (T, error) {
	var saved T
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		before, err := k.get(ctx, tx, id)
		if err != nil {
			return notFound(err, k.name, id)
		}
		if err := checkVersion(k.name, id, k.version(before), ifVersion); err != nil {
			return err
		}
		u := k.update(tx, before)
		e := k.entry(before)
		e.action, e.record, e.fields = action, id, map[string]change{}
		if err := edit(tx, before, u.Mutation(), &e); err != nil {
			return err
		}
		diffInto(ctx, u.Mutation(), e.fields)
		if len(e.fields) == 0 {
			saved = before
			return nil
		}
		if saved, err = u.Save(ctx); err != nil {
			err = versionOr(err, k.name, &id)
			if k.saved != nil {
				err = k.saved(err)
			}
			return err
		}
		return s.log(ctx, tx, e)
	})
	return saved, err
}

// insert is the write path of a new record, in one transaction: build checks
// the rules and returns the create, which is saved and logged with what it sets.
func insert[T any, M ent.Mutation, U saver[T, M], C saver[T, M]](ctx context.Context, s *Service, k kind[T, M, U],
	action string, build func(tx *ent.Tx) (C, error), after ...func(tx *ent.Tx, created T, fields map[string]change) error) (T, error) {
	var created T
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		c, err := build(tx)
		if err != nil {
			return err
		}
		fields := map[string]change{}
		diffInto(ctx, c.Mutation(), fields)
		if created, err = c.Save(ctx); err != nil {
			if k.saved != nil {
				err = k.saved(err)
			}
			return err
		}
		for _, f := range after {
			if err := f(tx, created, fields); err != nil {
				return err
			}
		}
		e := k.entry(created)
		e.action, e.record, e.fields = action, k.id(created), fields
		return s.log(ctx, tx, e)
	})
	return created, err
}

// diffInto records what m changes, with the old values of an update, for the
// workspace log: a field set to the value it had is no change.
func diffInto(ctx context.Context, m ent.Mutation, into map[string]change) {
	update := m.Op().Is(ent.OpUpdateOne)
	for _, name := range m.Fields() {
		if bookkeeping[name] {
			continue
		}
		after, _ := m.Field(name)
		var before any
		if update {
			before, _ = m.OldField(ctx, name)
			before = deref(before)
			if same(before, after) {
				continue
			}
		}
		into[name] = change{Before: before, After: after}
	}
	if !update {
		return
	}
	for _, name := range m.ClearedFields() {
		if before, _ := m.OldField(ctx, name); deref(before) != nil {
			into[name] = change{Before: deref(before)}
		}
	}
}

// same reports whether a field's old and new values are one value: two times
// are the same instant whatever their location (PostgreSQL's driver and a
// client's RFC 3339 text give one instant in two).
func same(before, after any) bool {
	if b, ok := before.(time.Time); ok {
		a, ok := after.(time.Time)
		return ok && a.Equal(b)
	}
	return reflect.DeepEqual(before, after)
}

// bookkeeping fields change with every write and are not logged.
var bookkeeping = map[string]bool{"id": true, "tenant_id": true, "version": true, "created_at": true, "updated_at": true}

// deref turns the pointer ent gives for an optional field's old value into
// the value, or nil; a nil map or slice is nil too.
func deref(v any) any {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer:
		if r.IsNil() {
			return nil
		}
		return r.Elem().Interface()
	case reflect.Map, reflect.Slice:
		// An unset JSON field: clearing it is no change.
		if r.IsNil() {
			return nil
		}
	}
	return v
}

// The kinds of record the directory changes.
var (
	users = kind[*ent.User, *ent.UserMutation, *ent.UserUpdateOne]{
		name: "user",
		id:   func(r *ent.User) string { return r.ID },
		get:  func(ctx context.Context, tx *ent.Tx, id string) (*ent.User, error) { return tx.User.Get(ctx, id) },
		update: func(tx *ent.Tx, u *ent.User) *ent.UserUpdateOne {
			return tx.User.UpdateOne(u).Where(user.Version(u.Version))
		},
		version: func(u *ent.User) int { return u.Version },
		entry:   func(u *ent.User) event { return event{subject: &u.ID} },
		saved:   conflictOnExternalID(conflictOnEmail),
	}
	identities = kind[*ent.Identity, *ent.IdentityMutation, *ent.IdentityUpdateOne]{
		name: "identity",
		id:   func(r *ent.Identity) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.Identity, error) {
			return tx.Identity.Get(ctx, id)
		},
		update: func(tx *ent.Tx, i *ent.Identity) *ent.IdentityUpdateOne {
			return tx.Identity.UpdateOne(i).Where(identity.Version(i.Version))
		},
		version: func(i *ent.Identity) int { return i.Version },
		entry:   func(i *ent.Identity) event { return event{subject: i.UserID, parent: i.UserID} },
	}
	integrations = kind[*ent.Integration, *ent.IntegrationMutation, *ent.IntegrationUpdateOne]{
		name: "integration",
		id:   func(r *ent.Integration) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.Integration, error) {
			return tx.Integration.Get(ctx, id)
		},
		update: func(tx *ent.Tx, i *ent.Integration) *ent.IntegrationUpdateOne {
			return tx.Integration.UpdateOne(i).Where(integration.Version(i.Version))
		},
		version: func(i *ent.Integration) int { return i.Version },
		entry:   func(*ent.Integration) event { return event{} },
		saved:   conflictOnExternalID(nil),
	}
	resources = kind[*ent.Resource, *ent.ResourceMutation, *ent.ResourceUpdateOne]{
		name: "resource",
		id:   func(r *ent.Resource) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.Resource, error) {
			return tx.Resource.Get(ctx, id)
		},
		update: func(tx *ent.Tx, r *ent.Resource) *ent.ResourceUpdateOne {
			return tx.Resource.UpdateOne(r).Where(resource.Version(r.Version))
		},
		version: func(r *ent.Resource) int { return r.Version },
		entry:   func(r *ent.Resource) event { return event{parent: &r.IntegrationID} },
		saved: conflictOnExternalID(func(err error) error {
			if ent.IsConstraintError(err) {
				return &apierror.Error{Code: apierror.CodeConflict, Message: "vendorId: the integration already has a resource with that vendor id",
					Extensions: map[string]any{"field": "vendorId"}, Err: err}
			}
			return err
		}),
	}
	rulesets = kind[*ent.PolicyRuleset, *ent.PolicyRulesetMutation, *ent.PolicyRulesetUpdateOne]{
		name: "policy ruleset",
		id:   func(r *ent.PolicyRuleset) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.PolicyRuleset, error) {
			return tx.PolicyRuleset.Get(ctx, id)
		},
		update: func(tx *ent.Tx, r *ent.PolicyRuleset) *ent.PolicyRulesetUpdateOne {
			return tx.PolicyRuleset.UpdateOne(r).Where(policyruleset.Version(r.Version))
		},
		version: func(r *ent.PolicyRuleset) int { return r.Version },
		entry:   func(r *ent.PolicyRuleset) event { return event{parent: r.ResourceID} },
	}
	rules = kind[*ent.PolicyRule, *ent.PolicyRuleMutation, *ent.PolicyRuleUpdateOne]{
		name: "policy rule",
		id:   func(r *ent.PolicyRule) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.PolicyRule, error) {
			return tx.PolicyRule.Get(ctx, id)
		},
		update: func(tx *ent.Tx, r *ent.PolicyRule) *ent.PolicyRuleUpdateOne {
			return tx.PolicyRule.UpdateOne(r).Where(policyrule.Version(r.Version))
		},
		version: func(r *ent.PolicyRule) int { return r.Version },
		entry:   func(r *ent.PolicyRule) event { return event{parent: &r.RulesetID} },
	}
	conditions = kind[*ent.PolicyCondition, *ent.PolicyConditionMutation, *ent.PolicyConditionUpdateOne]{
		name: "policy condition",
		id:   func(r *ent.PolicyCondition) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.PolicyCondition, error) {
			return tx.PolicyCondition.Get(ctx, id)
		},
		update: func(tx *ent.Tx, c *ent.PolicyCondition) *ent.PolicyConditionUpdateOne {
			return tx.PolicyCondition.UpdateOne(c).Where(policycondition.Version(c.Version))
		},
		version: func(c *ent.PolicyCondition) int { return c.Version },
		entry:   func(c *ent.PolicyCondition) event { return event{subject: c.UserID, parent: &c.RulesetID} },
	}
	assignments = kind[*ent.PolicyAssignment, *ent.PolicyAssignmentMutation, *ent.PolicyAssignmentUpdateOne]{
		name: "policy assignment",
		id:   func(r *ent.PolicyAssignment) string { return r.ID },
		get: func(ctx context.Context, tx *ent.Tx, id string) (*ent.PolicyAssignment, error) {
			return tx.PolicyAssignment.Get(ctx, id)
		},
		update: func(tx *ent.Tx, a *ent.PolicyAssignment) *ent.PolicyAssignmentUpdateOne {
			return tx.PolicyAssignment.UpdateOne(a).Where(policyassignment.Version(a.Version))
		},
		version: func(a *ent.PolicyAssignment) int { return a.Version },
		entry:   func(a *ent.PolicyAssignment) event { return event{subject: &a.UserID, parent: &a.RulesetID} },
	}
)
