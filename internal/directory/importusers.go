package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/orgchart"
	"github.com/idgraph/idgraph/internal/orgpath"
	"github.com/idgraph/idgraph/internal/policy"
)

// importedUser is a user record on its way in.
type importedUser struct {
	in     *ImportUser
	f      UserFields
	before *ent.User
	// open are the user's open attributes before the import.
	open    map[string]*ent.UserAttribute
	id      string
	refused bool
}

// userFacts are what the import knows of the tenant's users before it writes.
type userFacts struct {
	emailOwner  map[string]string // lower-cased address → user id
	paths       map[string]string // user id → reporting path
	parentOf    map[string]*string
	secondaries map[string]int
}

// users upserts directory users: each is checked by the rules of createUser
// and updateUser, ordered so that managers and parents come before the users
// that name them, and written in statements of many rows.
func (r *importRun) users(list []ImportUser) error {
	counts := &r.report.Users
	facts, err := r.userFacts()
	if err != nil {
		return err
	}
	records, err := r.acceptUsers(list, facts)
	if err != nil {
		return err
	}
	order := r.orderUsers(records, facts)
	// Ids first, so that a reference to a record later in a batch resolves.
	for _, u := range order {
		if u.before != nil {
			u.id = u.before.ID
		} else {
			u.id = gid.New(gid.User)
		}
		r.userIDs[u.in.ExternalID] = u.id
	}
	w := userWriter{run: r, paths: facts.paths}
	for i, u := range order {
		if i%importChunk == 0 {
			r.progress("users", i, len(order))
		}
		changed, err := w.write(u)
		if err != nil {
			// Only an update is refused here (a move under one's own
			// report): the user stays as it was, and references to it stand.
			if e, ok := apierror.As(err); ok {
				r.refuse(counts, u.in.Origin, "user", u.in.ExternalID, e)
				continue
			}
			return err
		}
		switch {
		case u.before == nil:
			counts.Created++
		case changed:
			counts.Updated++
		default:
			counts.Unchanged++
		}
	}
	r.progress("users", len(order), len(order))
	return w.flush()
}

func (r *importRun) userFacts() (userFacts, error) {
	rows, err := r.tx.User.Query().Select(user.FieldID, user.FieldExternalID, user.FieldEmail, user.FieldParentUserID,
		user.FieldReportingPath).All(r.ctx)
	if err != nil {
		return userFacts{}, err
	}
	r.userIDs = externalIDMap(rows, func(u *ent.User) string { return u.ID }, func(u *ent.User) *string { return u.ExternalID })
	facts := userFacts{emailOwner: map[string]string{}, paths: map[string]string{}, parentOf: map[string]*string{}, secondaries: map[string]int{}}
	for _, row := range rows {
		facts.emailOwner[strings.ToLower(row.Email)] = row.ID
		facts.paths[row.ID] = row.ReportingPath
		facts.parentOf[row.ID] = row.ParentUserID
		if row.ParentUserID != nil {
			facts.secondaries[*row.ParentUserID]++
		}
	}
	return facts, nil
}

// acceptUsers reads the existing rows of the records and checks each record's
// fields; the refused are reported and left out.
func (r *importRun) acceptUsers(list []ImportUser, facts userFacts) ([]*importedUser, error) {
	counts, seen := &r.report.Users, firstTime{}
	records := make([]*importedUser, 0, len(list))
	for i := range list {
		in := &list[i]
		if err := seen.check(in.ExternalID, in.Origin); err != nil {
			r.refuse(counts, in.Origin, "user", in.ExternalID, err)
			continue
		}
		records = append(records, &importedUser{in: in})
	}
	for start := 0; start < len(records); start += importChunk {
		chunk := records[start:min(start+importChunk, len(records))]
		ids := idsOf(chunk, func(u *importedUser) string { return r.userIDs[u.in.ExternalID] })
		rows, err := r.tx.User.Query().Where(user.IDIn(ids...)).All(r.ctx)
		if err != nil {
			return nil, err
		}
		attributes, err := r.tx.UserAttribute.Query().Where(userattribute.UserIDIn(ids...)).All(r.ctx)
		if err != nil {
			return nil, err
		}
		byID, open := map[string]*ent.User{}, map[string]map[string]*ent.UserAttribute{}
		for _, row := range rows {
			byID[row.ID] = row
		}
		for _, a := range attributes {
			if open[a.UserID] == nil {
				open[a.UserID] = map[string]*ent.UserAttribute{}
			}
			open[a.UserID][a.Key] = a
		}
		for _, u := range chunk {
			u.before = byID[r.userIDs[u.in.ExternalID]]
			if u.before != nil {
				u.open = open[u.before.ID]
			}
		}
	}
	claimed := map[string]*importedUser{}
	accepted := records[:0]
	for _, u := range records {
		if err := r.checkUser(u, facts, claimed); err != nil {
			r.refuse(counts, u.in.Origin, "user", u.in.ExternalID, err)
			continue
		}
		accepted = append(accepted, u)
	}
	return accepted, nil
}

// checkUser applies the rules of a user's fields and address to a record.
func (r *importRun) checkUser(u *importedUser, facts userFacts, claimed map[string]*importedUser) error {
	f := u.in.Fields
	f.ExternalID = &u.in.ExternalID
	if u.before == nil && (f.Email == nil || *f.Email == "") {
		return fieldError("email", "is required")
	}
	f.derive(u.before)
	if err := f.validate(); err != nil {
		return err
	}
	if f.Email != nil {
		key := strings.ToLower(*f.Email)
		if owner, ok := facts.emailOwner[key]; ok && (u.before == nil || owner != u.before.ID) {
			return conflictOnEmail(&ent.ConstraintError{})
		}
		if other, ok := claimed[key]; ok {
			return &apierror.Error{Code: apierror.CodeConflict, Extensions: map[string]any{"field": "email"},
				Message: "email: the record at " + other.in.Origin + " has the same address"}
		}
		claimed[key] = u
	}
	u.f = f
	return nil
}

// orderUsers puts managers and parents before the users that name them, and
// refuses the records whose references do not resolve, break the rules of
// secondary accounts, or go round in a loop.
func (r *importRun) orderUsers(records []*importedUser, facts userFacts) []*importedUser {
	counts := &r.report.Users
	byExt := make(map[string]*importedUser, len(records))
	for _, u := range records {
		byExt[u.in.ExternalID] = u
	}
	refuse := func(u *importedUser, err error) {
		u.refused = true
		r.refuse(counts, u.in.Origin, "user", u.in.ExternalID, err)
	}
	isSecondary := func(ext string) bool {
		if u, ok := byExt[ext]; ok && (u.in.Parent != nil || u.in.ClearParent) {
			return u.in.Parent != nil
		}
		return facts.parentOf[r.userIDs[ext]] != nil
	}
	parents := map[string]bool{}
	for _, u := range records {
		if u.in.Parent != nil {
			parents[*u.in.Parent] = true
		}
	}
	for _, u := range records {
		p := u.in.Parent
		switch {
		case p == nil:
		case *p == u.in.ExternalID:
			refuse(u, fieldError("parent_user_id", "a user cannot be its own parent"))
		case isSecondary(*p):
			refuse(u, fieldError("parent_user_id", "user %q is itself a secondary account", apierror.Clip(*p)))
		case parents[u.in.ExternalID] || u.before != nil && facts.secondaries[u.before.ID] > 0:
			refuse(u, fieldError("parent_user_id", "the user has secondary accounts of its own"))
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[*importedUser]int{}
	order := make([]*importedUser, 0, len(records))
	var visit func(u *importedUser) bool
	visit = func(u *importedUser) bool {
		switch state[u] {
		case visiting:
			return false // a loop
		case done:
			return !u.refused
		}
		state[u] = visiting
		defer func() { state[u] = done }()
		if u.refused {
			return false
		}
		for _, ref := range []struct {
			field string
			ext   *string
		}{{"manager_id", u.in.Manager}, {"parent_user_id", u.in.Parent}} {
			if ref.ext == nil {
				continue
			}
			if dep, ok := byExt[*ref.ext]; ok {
				// A user already in the tenant stands whatever its record's
				// fate; a new one whose record is refused, or that loops, does not.
				if !visit(dep) && dep.before == nil {
					refuse(u, fieldError(ref.field, "the record of user %q was refused, or the users' %s references go round in a loop",
						apierror.Clip(*ref.ext), ref.field))
					return false
				}
				continue
			}
			if _, ok := r.userIDs[*ref.ext]; !ok {
				refuse(u, fieldError(ref.field, "no user has id %q, in the import or the tenant", apierror.Clip(*ref.ext)))
				return false
			}
		}
		order = append(order, u)
		return true
	}
	for _, u := range records {
		visit(u)
	}
	return order
}

// userWriter writes users: new ones in batches, changes one by one.
type userWriter struct {
	run        *importRun
	creates    []*ent.UserCreate
	attributes []*ent.UserAttributeCreate
	// paths are the users' reporting paths, so that a new user's is written
	// with it rather than computed by the trigger a row at a time; once a
	// user moves (and the trigger rewrites its team's paths), the trigger
	// computes the rest.
	paths map[string]string
	moved bool
}

// write creates or updates u, and reports whether an update changed anything.
func (w *userWriter) write(u *importedUser) (bool, error) {
	r := w.run
	f, in := u.f, u.in
	ref := func(ext *string) *string {
		if ext == nil {
			return nil
		}
		id := r.userIDs[*ext]
		return &id
	}
	manager, parent := ref(in.Manager), ref(in.Parent)
	openKeys := openAttributes(f.Attributes, in, u.open)
	if u.before == nil {
		state := user.StateStaged
		if in.State != nil {
			state = *in.State
		}
		create := r.tx.User.Create().SetID(u.id).SetState(state)
		m := create.Mutation()
		f.apply(m)
		setIf(manager, m.SetManagerID)
		setIf(parent, m.SetParentUserID)
		setTimes(in.Times, m)
		fields := map[string]change{}
		diffInto(r.ctx, m, fields)
		if !w.moved {
			path := orgpath.Top
			if manager != nil {
				path = orgpath.Under(w.paths[*manager], *manager)
			}
			m.SetReportingPath(path)
			w.paths[u.id] = path
		}
		for _, key := range sortedKeys(openKeys) {
			if v := openKeys[key]; v != nil {
				w.attributes = append(w.attributes, r.tx.UserAttribute.Create().SetUserID(u.id).SetKey(key).SetValue(*v))
				fields["attributes."+key] = change{After: *v}
			}
		}
		w.creates = append(w.creates, create)
		if len(w.creates) >= importChunk {
			if err := w.flush(); err != nil {
				return false, err
			}
		}
		return true, r.logLater(event{action: "user.created", record: u.id, subject: &u.id, fields: fields})
	}
	// A change of manager is checked against the rows written so far.
	if err := w.flush(); err != nil {
		return false, err
	}
	update := r.tx.User.UpdateOne(u.before).Where(user.Version(u.before.Version))
	m := update.Mutation()
	f.apply(m)
	setIf(in.State, m.SetState)
	if manager != nil && !equalRef(manager, u.before.ManagerID) {
		if err := w.checkManager(u.id, *manager); err != nil {
			return false, err
		}
		m.SetManagerID(*manager)
		w.moved = true
	} else if in.ClearManager && u.before.ManagerID != nil {
		m.ClearManagerID()
		w.moved = true
	}
	if parent != nil {
		m.SetParentUserID(*parent)
	} else if in.ClearParent && u.before.ParentUserID != nil {
		m.ClearParentUserID()
	}
	setTimes(in.Times, m)
	fields := map[string]change{}
	diffInto(r.ctx, m, fields)
	if err := w.writeOpen(u, openKeys, fields); err != nil {
		return false, err
	}
	if len(fields) == 0 {
		return false, nil
	}
	if err := update.Exec(r.ctx); err != nil {
		return false, err
	}
	return true, r.logLater(event{action: "user.updated", record: u.id, subject: &u.id, fields: fields})
}

// checkManager refuses a manager that would make the user manage itself.
func (w *userWriter) checkManager(id, managerID string) error {
	r := w.run
	err := orgchart.CheckManager(r.ctx, id, managerID, func(ctx context.Context, ids []string) (map[string]string, error) {
		rows, err := r.tx.User.Query().Where(user.IDIn(ids...)).Select(user.FieldID, user.FieldManagerID).All(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[string]string, len(rows))
		for _, row := range rows {
			if row.ManagerID != nil {
				out[row.ID] = *row.ManagerID
			}
		}
		return out, nil
	})
	if _, ok := err.(*orgchart.CycleError); ok {
		return fieldError("manager_id", "%s", err)
	}
	return err
}

// writeOpen brings an existing user's open attributes to what the record
// says, adding the changes to fields.
func (w *userWriter) writeOpen(u *importedUser, want map[string]*string, fields map[string]change) error {
	r := w.run
	for _, key := range sortedKeys(want) {
		v, row := want[key], u.open[key]
		var err error
		switch {
		case v == nil && row == nil:
			continue
		case v == nil:
			err = r.tx.UserAttribute.DeleteOne(row).Exec(r.ctx)
			fields["attributes."+key] = change{Before: row.Value}
		case row == nil:
			err = r.tx.UserAttribute.Create().SetUserID(u.id).SetKey(key).SetValue(*v).Exec(r.ctx)
			fields["attributes."+key] = change{After: *v}
		case row.Value != *v:
			err = r.tx.UserAttribute.UpdateOne(row).SetValue(*v).Exec(r.ctx)
			fields["attributes."+key] = change{Before: row.Value, After: *v}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// flush writes the new users gathered so far, then their attributes.
func (w *userWriter) flush() error {
	r := w.run
	if len(w.creates) > 0 {
		if err := r.tx.User.CreateBulk(w.creates...).Exec(r.ctx); err != nil {
			return err
		}
		w.creates = w.creates[:0]
	}
	for len(w.attributes) > 0 {
		n := min(len(w.attributes), importChunk)
		if err := r.tx.UserAttribute.CreateBulk(w.attributes[:n]...).Exec(r.ctx); err != nil {
			return err
		}
		w.attributes = w.attributes[n:]
	}
	return nil
}

// openAttributes are the open attributes a record sets (nil removes one):
// those it names and, when it gives the whole org, the removal of the others.
func openAttributes(given Attributes, in *ImportUser, current map[string]*ent.UserAttribute) map[string]*string {
	out := map[string]*string{}
	for _, a := range given {
		if !policy.IsFixed(a.Key) {
			out[a.Key] = a.Value
		}
	}
	if in.WholeOrg {
		for key := range current {
			if _, ok := out[key]; !ok {
				out[key] = nil
			}
		}
	}
	return out
}

func setTimes(t RecordTimes, m *ent.UserMutation) {
	setTime(t.ExpiresAt, m.SetExpiresAt, m.ClearExpiresAt)
	setTime(t.ProvisionedAt, m.SetProvisionedAt, m.ClearProvisionedAt)
	setTime(t.DeprovisionedAt, m.SetDeprovisionedAt, m.ClearDeprovisionedAt)
}

func equalRef(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
