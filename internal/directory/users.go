package directory

import (
	"context"

	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/lifecycle"
	"github.com/idgraph/idgraph/internal/orgchart"
	"github.com/idgraph/idgraph/internal/viewer"
)

// UserFields are the fields a client may set on a user; nil leaves a field as it is.
type UserFields struct {
	Email, FirstName, LastName, FullName, Username           *string
	ExternalID                                               *string
	Title, Department, Division, Company, Office, CostCenter *string
	BadgeID, EmployeeID, EmployeeAltID                       *string
	Type                                                     *user.Type
	Metadata                                                 map[string]any
	Attributes                                               Attributes
	// Account facts of directories that hold sign-ups.
	EmailVerified                                 *bool
	PrivacyPolicyAgreedAt, TermsOfServiceAgreedAt *time.Time
	AppMetadata, UserMetadata                     map[string]any
	// Cleared names the fields that may be empty (badgeId, employeeId,
	// employeeAltId, metadata, the consent times, app and user metadata) that
	// the write empties.
	Cleared []string
}

// userFieldLimits bound each text field of a user, in characters: a name is
// not a document, and an address is at most 254 (RFC 5321).
var userFieldLimits = []struct {
	field string
	value func(UserFields) *string
	limit int
}{
	{"email", func(f UserFields) *string { return f.Email }, 254},
	{"externalId", func(f UserFields) *string { return f.ExternalID }, maxExternalID},
	{"firstName", func(f UserFields) *string { return f.FirstName }, 100},
	{"lastName", func(f UserFields) *string { return f.LastName }, 100},
	{"fullName", func(f UserFields) *string { return f.FullName }, 256}, // two names and a space always fit
	{"username", func(f UserFields) *string { return f.Username }, 100},
	{"title", func(f UserFields) *string { return f.Title }, 200},
	{"department", func(f UserFields) *string { return f.Department }, 200},
	{"division", func(f UserFields) *string { return f.Division }, 200},
	{"company", func(f UserFields) *string { return f.Company }, 200},
	{"office", func(f UserFields) *string { return f.Office }, 200},
	{"costCenter", func(f UserFields) *string { return f.CostCenter }, 200},
	{"badgeId", func(f UserFields) *string { return f.BadgeID }, 64},
	{"employeeId", func(f UserFields) *string { return f.EmployeeID }, 64},
	{"employeeAltId", func(f UserFields) *string { return f.EmployeeAltID }, 64},
}

func (f UserFields) validate() error {
	for _, l := range userFieldLimits {
		if v := l.value(f); v != nil && utf8.RuneCountInString(*v) > l.limit {
			return fieldError(l.field, "is %d characters; the limit is %d", utf8.RuneCountInString(*v), l.limit)
		}
	}
	if f.Email != nil {
		if err := validEmail("email", *f.Email); err != nil {
			return err
		}
	}
	if err := validExternalID(f.ExternalID); err != nil {
		return err
	}
	if err := f.Attributes.validate(f); err != nil {
		return err
	}
	if err := validMetadata("appMetadata", f.AppMetadata); err != nil {
		return err
	}
	if err := validMetadata("userMetadata", f.UserMetadata); err != nil {
		return err
	}
	return validMetadata("metadata", f.Metadata)
}

// apply sets the given fields on m; the write path logs those that change.
func (f UserFields) apply(m *ent.UserMutation) {
	setIf(f.Email, m.SetEmail)
	setIf(f.ExternalID, m.SetExternalID)
	setIf(f.FirstName, m.SetFirstName)
	setIf(f.LastName, m.SetLastName)
	setIf(f.FullName, m.SetFullName)
	setIf(f.Username, m.SetUsername)
	setIf(f.Title, m.SetTitle)
	setIf(f.Department, m.SetDepartment)
	setIf(f.Division, m.SetDivision)
	setIf(f.Company, m.SetCompany)
	setIf(f.Office, m.SetOffice)
	setIf(f.CostCenter, m.SetCostCenter)
	setIf(f.BadgeID, m.SetBadgeID)
	setIf(f.EmployeeID, m.SetEmployeeID)
	setIf(f.EmployeeAltID, m.SetEmployeeAltID)
	setIf(f.Type, m.SetType)
	if f.Metadata != nil {
		m.SetMetadata(f.Metadata)
	}
	setIf(f.EmailVerified, m.SetEmailVerified)
	setIf(f.PrivacyPolicyAgreedAt, m.SetPrivacyPolicyAgreedAt)
	setIf(f.TermsOfServiceAgreedAt, m.SetTermsOfServiceAgreedAt)
	if f.AppMetadata != nil {
		m.SetAppMetadata(f.AppMetadata)
	}
	if f.UserMetadata != nil {
		m.SetUserMetadata(f.UserMetadata)
	}
	for _, name := range f.Cleared {
		switch name {
		case "externalId":
			m.ClearExternalID()
		case "privacyPolicyAgreedAt":
			m.ClearPrivacyPolicyAgreedAt()
		case "termsOfServiceAgreedAt":
			m.ClearTermsOfServiceAgreedAt()
		case "appMetadata":
			m.ClearAppMetadata()
		case "userMetadata":
			m.ClearUserMetadata()
		case "badgeId":
			m.ClearBadgeID()
		case "employeeId":
			m.ClearEmployeeID()
		case "employeeAltId":
			m.ClearEmployeeAltID()
		case "metadata":
			m.ClearMetadata()
		}
	}
	f.Attributes.applyFixed(m)
}

// derivedFullName is the full name a user gets from its first and last names.
func derivedFullName(first, last string) string { return strings.TrimSpace(first + " " + last) }

// derivedUsername is the username a user gets from its email: the local part.
func derivedUsername(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// derive fills in what a write leaves out and the user's other fields decide,
// as the source directories do: the full name from the first and last names,
// the username from the email. On an update (before set) a derived value
// follows its sources only while it still is the derived one, so a full name
// or username someone chose stays.
func (f *UserFields) derive(before *ent.User) {
	first, last, email := "", "", ""
	if before != nil {
		first, last, email = before.FirstName, before.LastName, before.Email
	}
	if f.FullName == nil && (f.FirstName != nil || f.LastName != nil) &&
		(before == nil || before.FullName == derivedFullName(first, last)) {
		if f.FirstName != nil {
			first = *f.FirstName
		}
		if f.LastName != nil {
			last = *f.LastName
		}
		full := derivedFullName(first, last)
		f.FullName = &full
	}
	if f.Username == nil && f.Email != nil && (before == nil || before.Username == derivedUsername(email)) {
		name := derivedUsername(*f.Email)
		f.Username = &name
	}
}

// emailFree refuses an email another live user of the tenant has, in any
// case: email is what matches identities to users, so John.Young@ and
// john.young@ are one person. The address is stored as given.
func emailFree(ctx context.Context, tx *ent.Tx, email *string, self string) error {
	if email == nil {
		return nil
	}
	// Two writers must not both find an address free: SQLite runs one write
	// transaction at a time; on PostgreSQL the tenant's row is locked first,
	// so the check and the write of the tenant's emails happen one at a time.
	if v := viewer.FromContext(ctx); v != nil && v.TenantID != "" {
		if _, err := tx.Tenant.Query().Where(tenant.ID(v.TenantID)).Select(tenant.FieldID).Modify(func(s *sql.Selector) {
			if s.Dialect() == dialect.Postgres {
				s.For(sql.LockNoKeyUpdate)
			}
		}).Strings(ctx); err != nil {
			return err
		}
	}
	taken, err := tx.User.Query().Where(user.EmailEqualFold(*email), user.IDNEQ(self)).Exist(ctx)
	if err != nil || !taken {
		return err
	}
	return conflictOnEmail(&ent.ConstraintError{})
}

// CreateUser adds a user, staged unless state says active.
func (s *Service) CreateUser(ctx context.Context, f UserFields, managerID *string, state *user.State) (*ent.User, error) {
	if f.Email == nil || *f.Email == "" {
		return nil, fieldError("email", "is required")
	}
	f.derive(nil)
	if err := f.validate(); err != nil {
		return nil, err
	}
	initial := user.StateStaged
	if state != nil {
		if *state != user.StateStaged && *state != user.StateActive {
			return nil, fieldError("state", "a new user is staged or active, not %s", *state)
		}
		initial = *state
	}
	return insert(ctx, s, users, "user.created", func(tx *ent.Tx) (*ent.UserCreate, error) {
		if err := emailFree(ctx, tx, f.Email, ""); err != nil {
			return nil, err
		}
		create := tx.User.Create().SetState(initial)
		f.apply(create.Mutation())
		if managerID != nil {
			if _, err := tx.User.Get(ctx, *managerID); err != nil {
				return nil, notFound(err, "manager", *managerID)
			}
			create.SetManagerID(*managerID)
		}
		return create, nil
	}, func(tx *ent.Tx, created *ent.User, fields map[string]change) error {
		return f.Attributes.writeOpen(ctx, tx, created.ID, fields)
	})
}

// UpdateUser changes the given fields of a user.
func (s *Service) UpdateUser(ctx context.Context, id string, ifVersion *int, f UserFields) (*ent.User, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	return modify(ctx, s, users, id, ifVersion, "user.updated", func(tx *ent.Tx, before *ent.User, m *ent.UserMutation, e *event) error {
		if err := emailFree(ctx, tx, f.Email, id); err != nil {
			return err
		}
		f.derive(before)
		if err := f.validate(); err != nil {
			return err
		}
		f.apply(m)
		return f.Attributes.writeOpen(ctx, tx, id, e.fields)
	})
}

// SetManager makes managerID the user's manager (nil: no manager), refusing
// any assignment that would make the user manage itself through the chain.
func (s *Service) SetManager(ctx context.Context, id string, managerID *string, ifVersion *int) (*ent.User, error) {
	return modify(ctx, s, users, id, ifVersion, "user.manager_changed", func(tx *ent.Tx, _ *ent.User, m *ent.UserMutation, _ *event) error {
		if managerID == nil {
			m.ClearManagerID()
			return nil
		}
		managerOf := func(ctx context.Context, ids []string) (map[string]string, error) {
			rows, err := tx.User.Query().Where(user.IDIn(ids...)).Select(user.FieldID, user.FieldManagerID).All(ctx)
			if err != nil {
				return nil, err
			}
			if len(rows) < len(ids) {
				return nil, apierror.NotFound("manager", ids[0])
			}
			out := make(map[string]string, len(rows))
			for _, r := range rows {
				if r.ManagerID != nil {
					out[r.ID] = *r.ManagerID
				}
			}
			return out, nil
		}
		if err := orgchart.CheckManager(ctx, id, *managerID, managerOf); err != nil {
			if _, ok := err.(*orgchart.CycleError); ok {
				return fieldError("managerId", "%s", err)
			}
			return err
		}
		m.SetManagerID(*managerID)
		return nil
	})
}

// SetParentUser makes the user a secondary account (admin, test...) of parentID,
// or a primary user again (nil). Secondary accounts are one level deep: a user
// cannot be its own parent, cannot hang under a secondary account, and cannot
// become one while it has secondaries of its own.
func (s *Service) SetParentUser(ctx context.Context, id string, parentID *string, ifVersion *int) (*ent.User, error) {
	return modify(ctx, s, users, id, ifVersion, "user.parent_changed", func(tx *ent.Tx, _ *ent.User, m *ent.UserMutation, _ *event) error {
		if parentID == nil {
			m.ClearParentUserID()
			return nil
		}
		if *parentID == id {
			return fieldError("parentUserId", "a user cannot be its own parent")
		}
		parent, err := tx.User.Get(ctx, *parentID)
		if err != nil {
			return notFound(err, "user", *parentID)
		}
		if parent.ParentUserID != nil {
			return fieldError("parentUserId", "user %s is itself a secondary account of %s", *parentID, *parent.ParentUserID)
		}
		secondaries, err := tx.User.Query().Where(user.ParentUserID(id)).Count(ctx)
		if err != nil {
			return err
		}
		if secondaries > 0 {
			return fieldError("parentUserId", "user %s has %d secondary accounts of its own", id, secondaries)
		}
		m.SetParentUserID(*parentID)
		return nil
	})
}

// Transition applies a lifecycle action; at is the expiration for ScheduleExpiration.
func (s *Service) Transition(ctx context.Context, id string, action lifecycle.Action, at *time.Time, ifVersion *int) (*ent.User, error) {
	name := map[lifecycle.Action]string{
		lifecycle.Activate: "user.activated", lifecycle.Suspend: "user.suspended",
		lifecycle.Deactivate: "user.deactivated", lifecycle.ScheduleExpiration: "user.expiration_scheduled",
	}[action]
	return modify(ctx, s, users, id, ifVersion, name, func(_ *ent.Tx, before *ent.User, m *ent.UserMutation, _ *event) error {
		from := lifecycle.State(before.State)
		var to lifecycle.State
		var err error
		if action == lifecycle.ScheduleExpiration {
			to, err = lifecycle.Schedule(lifecycle.User, from, *at, s.now())
		} else {
			to, err = lifecycle.Next(lifecycle.User, from, action)
		}
		if err != nil {
			return &apierror.Error{Code: apierror.CodeBadUserInput, Message: err.Error(), Err: err,
				Extensions: map[string]any{"state": string(from), "allowedActions": lifecycle.Allowed(lifecycle.User, from)}}
		}
		m.SetState(user.State(to))
		switch {
		case action == lifecycle.ScheduleExpiration:
			m.SetExpiresAt(*at)
		case to == lifecycle.Active:
			// Activating removes a scheduled expiration.
			m.ClearExpiresAt()
		}
		if to == lifecycle.Deactivated {
			m.SetDeprovisionedAt(s.now())
		}
		return nil
	})
}

// DeleteUser soft-deletes a user: it leaves every list, count and lookup. A user
// who still manages people or owns secondary accounts is refused (move them
// first); its identities become orphans and its policy assignments end, in the
// same transaction.
func (s *Service) DeleteUser(ctx context.Context, id string, ifVersion *int) (*ent.User, error) {
	return modify(ctx, s, users, id, ifVersion, "user.deleted", func(tx *ent.Tx, _ *ent.User, m *ent.UserMutation, e *event) error {
		detached, err := detachUser(ctx, tx, id)
		if err != nil {
			return err
		}
		maps.Copy(e.fields, detached)
		m.SetDeletedAt(s.now())
		return nil
	})
}

// PurgeUser deletes a user for good, deleted or not: its identities become
// orphans, its policy assignments go, and log entries about it keep its id but
// lose the link. Refused while the user manages people or owns secondary accounts.
func (s *Service) PurgeUser(ctx context.Context, id string) error {
	ctx = viewer.IncludeDeleted(ctx)
	return s.inTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.User.Get(ctx, id); err != nil {
			return notFound(err, "user", id)
		}
		fields, err := detachUser(ctx, tx, id)
		if err != nil {
			return err
		}
		// Attributes are part of the person's record: they go with it.
		if _, err := tx.UserAttribute.Delete().Where(userattribute.UserID(id)).Exec(ctx); err != nil {
			return err
		}
		if err := tx.User.DeleteOneID(id).Exec(ctx); err != nil {
			return notFound(err, "user", id)
		}
		if err := redactLog(ctx, tx, id); err != nil {
			return err
		}
		return s.log(ctx, tx, event{action: "user.purged", record: id, fields: fields})
	})
}

// detachUser prepares a user's removal: it refuses while live users report to
// it or are its secondary accounts, turns its identities into orphans and ends
// its policy assignments, and returns what it changed for the log.
func detachUser(ctx context.Context, tx *ent.Tx, id string) (map[string]change, error) {
	dependents, err := tx.User.Query().
		Where(user.Or(user.ManagerID(id), user.ParentUserID(id)), user.DeletedAtIsNil()).Count(ctx)
	if err != nil {
		return nil, err
	}
	if dependents > 0 {
		return nil, &apierror.Error{Code: apierror.CodeConflict,
			Message:    fmt.Sprintf("user %s still has %d direct reports or secondary users: move them first", id, dependents),
			Extensions: map[string]any{"dependents": dependents}}
	}
	orphaned, err := tx.Identity.Query().Where(identity.UserID(id)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	if len(orphaned) > 0 {
		if err := tx.Identity.Update().Where(identity.IDIn(orphaned...)).
			ClearUserID().ClearLinkedBy().SetState(identity.StateOrphan).Exec(ctx); err != nil {
			return nil, err
		}
	}
	ended, err := tx.PolicyAssignment.Delete().Where(policyassignment.UserID(id)).Exec(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]change{"orphaned_identities": {After: orphaned}, "ended_assignments": {After: ended}}, nil
}

// redactLog removes a purged person's values from the log: entries about the
// user, or with the user as their subject, keep what happened and which fields
// changed, and lose the values (names, addresses, badge numbers). Entries that
// changed the same fields are rewritten by one statement, so a long history
// costs a few statements, not one per entry.
func redactLog(ctx context.Context, tx *ent.Tx, id string) error {
	events, err := tx.AuditEvent.Query().
		Where(auditevent.Or(auditevent.RecordID(id), auditevent.SubjectUserID(id))).All(ctx)
	if err != nil {
		return err
	}
	byFields := map[string][]string{}
	redacted := map[string]map[string]any{}
	for _, ev := range events {
		if len(ev.Changes) == 0 {
			continue
		}
		fields := make([]string, 0, len(ev.Changes))
		for field := range ev.Changes {
			fields = append(fields, field)
		}
		slices.Sort(fields)
		key := strings.Join(fields, ",")
		if _, ok := redacted[key]; !ok {
			r := make(map[string]any, len(fields))
			for _, field := range fields {
				r[field] = map[string]any{"before": purgedValue, "after": purgedValue}
			}
			redacted[key] = r
		}
		byFields[key] = append(byFields[key], ev.ID)
	}
	for key, ids := range byFields {
		if err := tx.AuditEvent.Update().Where(auditevent.IDIn(ids...)).SetChanges(redacted[key]).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// purgedValue stands in the log for a value of a purged user.
const purgedValue = "[purged]"
