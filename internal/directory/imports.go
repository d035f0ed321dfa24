package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
)

// An import upserts records of another system, each keyed by its id there
// (the external id), with references between them by those ids, in any order.
// A record that exists is updated with what changed, a new one created, each
// with its audit entry; a record that changes nothing writes nothing. A record
// that breaks a rule is refused, with where it came from, and the others load;
// with AllOrNothing one refusal loads nothing. The whole import is one
// transaction: a failure leaves the database as it was.

// ImportSet is the records of one import, by type.
type ImportSet struct {
	Integrations []ImportIntegration
	Users        []ImportUser
	Identities   []ImportIdentity
	Resources    []ImportResource
	Memberships  []ImportMembership
	// Unread are records refused before the import (unreadable, of no known
	// type): they count as refused, and AllOrNothing loads nothing.
	Unread []ImportRefusal
}

// Len is the number of records in the set.
func (s ImportSet) Len() int {
	return len(s.Integrations) + len(s.Users) + len(s.Identities) + len(s.Resources) + len(s.Memberships)
}

// ImportUser is a directory user to upsert. Fields left nil keep their value;
// Fields.Cleared empties nullable ones. Manager and Parent are external ids
// (ClearManager, ClearParent: the record says it has none).
type ImportUser struct {
	Origin                    string
	ExternalID                string
	Fields                    UserFields
	State                     *user.State
	Manager, Parent           *string
	ClearManager, ClearParent bool
	// WholeOrg: Fields.Attributes are all the user's attributes, and open
	// attributes it leaves out are removed.
	WholeOrg bool
	Times    RecordTimes
}

// RecordTimes are the times of a record's life its source keeps.
type RecordTimes struct {
	ExpiresAt, ProvisionedAt, DeprovisionedAt *SetTime
}

// SetTime is a time a record sets (At) or clears (At nil); a nil *SetTime
// leaves it as it is.
type SetTime struct{ At *time.Time }

func setTime(t *SetTime, set func(time.Time), clear func()) {
	switch {
	case t == nil:
	case t.At == nil:
		clear()
	default:
		set(*t.At)
	}
}

// ImportIntegration is an integration to upsert; Primary makes it the
// tenant's primary.
type ImportIntegration struct {
	Origin     string
	ExternalID string
	Fields     IntegrationFields
	Primary    bool
}

// ImportIdentity is an account to upsert, on an integration and (when
// linked) of a user, both by external id.
type ImportIdentity struct {
	Origin      string
	ExternalID  string
	Integration string
	User        *string
	// ClearUser: the record says the account has no user (an orphan).
	ClearUser                               bool
	State                                   *identity.State
	VendorID, Email, Username, DisplayName  *string
	Profile                                 map[string]any
	LinkedBy                                *identity.LinkedBy
	LastSyncedAt, ProfileChangedAt          *SetTime
	LastAuthenticatedAt                     *SetTime
	ProvisionedAt, DeprovisionedAt, Expires *SetTime
}

// ImportResource is a group, channel or project to upsert, on an integration.
type ImportResource struct {
	Origin                 string
	ExternalID             string
	Integration            string
	Kind                   *resource.Kind
	VendorID, Name, Handle *string
}

// ImportMembership makes an identity a member of a resource (by external
// ids), with a role (member unless given).
type ImportMembership struct {
	Origin             string
	Resource, Identity string
	Role               *membership.Role
}

// ImportOptions change how an import runs.
type ImportOptions struct {
	// AllOrNothing loads nothing when any record is refused.
	AllOrNothing bool
	// Progress, when set, hears how far each type has got.
	Progress func(kind string, done, total int)
}

// ImportCounts are what happened to the records of one type.
type ImportCounts struct {
	Created, Updated, Unchanged, Refused int
}

// ImportRefusal is a record the import refused, and why.
type ImportRefusal struct {
	Origin, Kind, ExternalID string
	Error                    *apierror.Error
}

// ImportReport says what an import did.
type ImportReport struct {
	Integrations, Users, Identities, Resources, Memberships ImportCounts
	Refusals                                                []ImportRefusal
}

// countsOf is the counts of a kind of record, nil for an unknown kind.
func (r *ImportReport) countsOf(kind string) *ImportCounts {
	switch kind {
	case "integration":
		return &r.Integrations
	case "user":
		return &r.Users
	case "identity":
		return &r.Identities
	case "resource":
		return &r.Resources
	case "membership":
		return &r.Memberships
	}
	return nil
}

// ErrNothingLoaded is returned, beside the refusals, by an AllOrNothing
// import that refused a record.
var ErrNothingLoaded = errors.New("records were refused: nothing was loaded")

// Import upserts set in one transaction. It consumes set: each kind's records
// are let go once written, so a large import holds one kind at a time beside
// the maps of ids.
func (s *Service) Import(ctx context.Context, set *ImportSet, opts ImportOptions) (ImportReport, error) {
	report := ImportReport{Refusals: slices.Clone(set.Unread)}
	for _, r := range set.Unread {
		if c := report.countsOf(r.Kind); c != nil {
			c.Refused++
		}
	}
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		run := &importRun{s: s, ctx: ctx, tx: tx, opts: opts, report: &report}
		steps := []func() error{
			func() error { defer func() { set.Integrations = nil }(); return run.integrations(set.Integrations) },
			func() error { defer func() { set.Users = nil }(); return run.users(set.Users) },
			func() error { defer func() { set.Identities = nil }(); return run.identities(set.Identities) },
			func() error { defer func() { set.Resources = nil }(); return run.resources(set.Resources) },
			func() error { defer func() { set.Memberships = nil }(); return run.memberships(set.Memberships) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		if err := run.flushLog(); err != nil {
			return err
		}
		if opts.AllOrNothing && len(report.Refusals) > 0 {
			return ErrNothingLoaded
		}
		return nil
	})
	if errors.Is(err, ErrNothingLoaded) {
		for _, c := range []*ImportCounts{&report.Integrations, &report.Users, &report.Identities, &report.Resources, &report.Memberships} {
			*c = ImportCounts{Refused: c.Refused}
		}
	}
	return report, err
}

// importRun is one import in its transaction.
type importRun struct {
	s      *Service
	ctx    context.Context
	tx     *ent.Tx
	opts   ImportOptions
	report *ImportReport
	// ids of the tenant's records by external id, as the import writes them.
	integrationIDs, userIDs, identityIDs, resourceIDs map[string]string
	// pending are log entries not written yet: they go in batches.
	pending []event
}

// importChunk is how many records are read, created or logged in one statement.
const importChunk = 500

func (r *importRun) refuse(counts *ImportCounts, origin, kind, externalID string, err error) {
	counts.Refused++
	e, ok := apierror.As(err)
	if !ok {
		e = &apierror.Error{Code: apierror.CodeBadUserInput, Message: err.Error()}
	}
	r.report.Refusals = append(r.report.Refusals, ImportRefusal{Origin: origin, Kind: kind, ExternalID: externalID, Error: e})
}

func (r *importRun) progress(kind string, done, total int) {
	if r.opts.Progress != nil {
		r.opts.Progress(kind, done, total)
	}
}

// logLater queues a log entry; entries are written in batches.
func (r *importRun) logLater(e event) error {
	r.pending = append(r.pending, e)
	if len(r.pending) >= importChunk {
		return r.flushLog()
	}
	return nil
}

func (r *importRun) flushLog() error {
	if len(r.pending) == 0 {
		return nil
	}
	err := r.s.logAll(r.ctx, r.tx, r.pending)
	r.pending = r.pending[:0]
	return err
}

// externalIDMap maps the external ids of a table's live records to their ids.
func externalIDMap[T any](rows []T, id func(T) string, ext func(T) *string) map[string]string {
	out := make(map[string]string, len(rows))
	for _, row := range rows {
		if x := ext(row); x != nil {
			out[*x] = id(row)
		}
	}
	return out
}

// resolve returns the id of the record with external id ext, or an error
// naming the reference (field) that does not resolve.
func resolve(ids map[string]string, field, what, ext string) (string, error) {
	if id, ok := ids[ext]; ok {
		return id, nil
	}
	return "", fieldError(field, "no %s has id %q, in the import or the tenant", what, apierror.Clip(ext))
}

// firstTime sees whether an external id came before in the import.
type firstTime map[string]string

func (f firstTime) check(ext, origin string) error {
	if ext == "" {
		return fieldError("id", "is required: it is the record's id in its source system")
	}
	if err := validExternalID(&ext); err != nil {
		return err
	}
	if prev, ok := f[ext]; ok {
		return fieldError("id", "%q is also the id of the record at %s", apierror.Clip(ext), prev)
	}
	f[ext] = origin
	return nil
}

// integrations go through the write path of integrations record by record
// (a tenant has a handful), inside the import's transaction.
func (r *importRun) integrations(list []ImportIntegration) error {
	rows, err := r.tx.Integration.Query().All(r.ctx)
	if err != nil {
		return err
	}
	r.integrationIDs = externalIDMap(rows, func(i *ent.Integration) string { return i.ID },
		func(i *ent.Integration) *string { return i.ExternalID })
	byID := map[string]*ent.Integration{}
	for _, row := range rows {
		byID[row.ID] = row
	}
	ctx := withTx(r.ctx, r.tx)
	counts, seen := &r.report.Integrations, firstTime{}
	for i, in := range list {
		r.progress("integrations", i, len(list))
		refuse := func(err error) { r.refuse(counts, in.Origin, "integration", in.ExternalID, err) }
		if err := seen.check(in.ExternalID, in.Origin); err != nil {
			refuse(err)
			continue
		}
		f := in.Fields
		f.ExternalID = &in.ExternalID
		before := byID[r.integrationIDs[in.ExternalID]]
		if before == nil {
			if f.Kind == nil {
				app := integration.KindApp
				f.Kind = &app
			}
			if (f.Name == nil || *f.Name == "") && f.Vendor != nil {
				name := string(*f.Vendor)
				if f.Handle != nil && *f.Handle != "" {
					name = *f.Handle
				}
				f.Name = &name
			}
			created, err := r.s.CreateIntegration(ctx, f, in.Primary)
			if err != nil {
				refuse(err)
				continue
			}
			r.integrationIDs[in.ExternalID], byID[created.ID] = created.ID, created
			counts.Created++
			continue
		}
		if f.Vendor != nil && *f.Vendor != before.Vendor || f.Kind != nil && *f.Kind != before.Kind {
			refuse(fieldError("vendor", "an integration's vendor and kind cannot change: give the new one another id"))
			continue
		}
		f.Vendor, f.Kind = nil, nil
		after, err := r.s.UpdateIntegration(ctx, before.ID, nil, f)
		if err == nil && in.Primary && !after.IsPrimary {
			after, err = r.s.MakePrimary(ctx, before.ID, nil)
		}
		switch {
		case err != nil:
			refuse(err)
		case after.Version != before.Version:
			counts.Updated++
		default:
			counts.Unchanged++
		}
	}
	return nil
}

// identityLimits bound the text an account carries.
var identityLimits = []struct {
	field string
	value func(ImportIdentity) *string
	limit int
}{
	{"vendor_id", func(i ImportIdentity) *string { return i.VendorID }, 256},
	{"email", func(i ImportIdentity) *string { return i.Email }, 254},
	{"username", func(i ImportIdentity) *string { return i.Username }, 256},
	{"display_name", func(i ImportIdentity) *string { return i.DisplayName }, 256},
}

func (r *importRun) identities(list []ImportIdentity) error {
	counts, seen := &r.report.Identities, firstTime{}
	refuse := func(in ImportIdentity, err error) { r.refuse(counts, in.Origin, "identity", in.ExternalID, err) }
	rows, err := r.tx.Identity.Query().Select(identity.FieldID, identity.FieldExternalID, identity.FieldIntegrationID, identity.FieldVendorID).All(r.ctx)
	if err != nil {
		return err
	}
	r.identityIDs = externalIDMap(rows, func(i *ent.Identity) string { return i.ID }, func(i *ent.Identity) *string { return i.ExternalID })
	vendorIDs := map[[2]string]string{} // (integration, vendor id) → the identity's id
	for _, row := range rows {
		vendorIDs[[2]string{row.IntegrationID, row.VendorID}] = row.ID
	}
	for start := 0; start < len(list); start += importChunk {
		chunk := list[start:min(start+importChunk, len(list))]
		r.progress("identities", start, len(list))
		existing, err := r.tx.Identity.Query().Where(identity.IDIn(idsOf(chunk, func(i ImportIdentity) string { return r.identityIDs[i.ExternalID] })...)).All(r.ctx)
		if err != nil {
			return err
		}
		byID := map[string]*ent.Identity{}
		for _, row := range existing {
			byID[row.ID] = row
		}
		var creates []*ent.IdentityCreate
		for _, in := range chunk {
			if err := seen.check(in.ExternalID, in.Origin); err != nil {
				refuse(in, err)
				continue
			}
			if err := checkLimits(in, identityLimits); err != nil {
				refuse(in, err)
				continue
			}
			integrationID, err := resolve(r.integrationIDs, "workspace_integration_id", "integration", in.Integration)
			if err != nil {
				refuse(in, err)
				continue
			}
			var userID *string
			if in.User != nil {
				id, err := resolve(r.userIDs, "directory_user_id", "user", *in.User)
				if err != nil {
					refuse(in, err)
					continue
				}
				userID = &id
			}
			before := byID[r.identityIDs[in.ExternalID]]
			if before != nil && before.IntegrationID != integrationID {
				refuse(in, fieldError("workspace_integration_id", "an identity cannot move to another integration: give it another id"))
				continue
			}
			vendorID := in.VendorID
			if vendorID == nil && before == nil {
				refuse(in, fieldError("vendor_id", "is required"))
				continue
			}
			if vendorID != nil {
				if owner, ok := vendorIDs[[2]string{integrationID, *vendorID}]; ok && (before == nil || owner != before.ID) {
					refuse(in, &apierror.Error{Code: apierror.CodeConflict, Extensions: map[string]any{"field": "vendor_id"},
						Message: fmt.Sprintf("vendor_id: the integration already has an identity with vendor id %q", apierror.Clip(*vendorID))})
					continue
				}
			}
			state := in.State
			if state == nil && before == nil {
				s := identity.StateActive
				if userID == nil {
					s = identity.StateOrphan
				}
				state = &s
			}
			linkedBy := in.LinkedBy
			if linkedBy == nil && userID != nil && (before == nil || before.LinkedBy == nil) {
				auto := identity.LinkedByAuto
				linkedBy = &auto
			}
			set := func(m *ent.IdentityMutation) {
				m.SetExternalID(in.ExternalID)
				setIf(state, m.SetState)
				setIf(in.VendorID, m.SetVendorID)
				setIf(in.Email, m.SetEmail)
				setIf(in.Username, m.SetUsername)
				setIf(in.DisplayName, m.SetDisplayName)
				if in.Profile != nil {
					m.SetProfile(in.Profile)
				}
				switch {
				case userID != nil:
					m.SetUserID(*userID)
				case in.ClearUser && before != nil && before.UserID != nil:
					m.ClearUserID()
					m.ClearLinkedBy()
					if in.State == nil {
						m.SetState(identity.StateOrphan)
					}
				}
				setIf(linkedBy, m.SetLinkedBy)
				setTime(in.LastSyncedAt, m.SetLastSyncedAt, m.ClearLastSyncedAt)
				setTime(in.ProfileChangedAt, m.SetProfileChangedAt, m.ClearProfileChangedAt)
				setTime(in.LastAuthenticatedAt, m.SetLastAuthenticatedAt, m.ClearLastAuthenticatedAt)
				setTime(in.ProvisionedAt, m.SetProvisionedAt, m.ClearProvisionedAt)
				setTime(in.DeprovisionedAt, m.SetDeprovisionedAt, m.ClearDeprovisionedAt)
				setTime(in.Expires, m.SetExpiresAt, m.ClearExpiresAt)
			}
			if before == nil {
				id := gid.New(gid.Identity)
				create := r.tx.Identity.Create().SetID(id).SetIntegrationID(integrationID)
				set(create.Mutation())
				creates = append(creates, create)
				r.identityIDs[in.ExternalID] = id
				if vendorID != nil {
					vendorIDs[[2]string{integrationID, *vendorID}] = id
				}
				counts.Created++
				if err := r.logCreate(create.Mutation(), "identity.created", id, userID, userID); err != nil {
					return err
				}
				continue
			}
			update := r.tx.Identity.UpdateOne(before).Where(identity.Version(before.Version))
			set(update.Mutation())
			changed, err := r.save(update.Mutation(), func() error { return update.Exec(r.ctx) }, "identity.updated", before.ID, before.UserID, before.UserID)
			switch {
			case err != nil:
				return err
			case changed:
				counts.Updated++
			default:
				counts.Unchanged++
			}
		}
		if len(creates) > 0 {
			if err := r.tx.Identity.CreateBulk(creates...).Exec(r.ctx); err != nil {
				return err
			}
		}
	}
	r.progress("identities", len(list), len(list))
	return nil
}

func (r *importRun) resources(list []ImportResource) error {
	counts, seen := &r.report.Resources, firstTime{}
	refuse := func(in ImportResource, err error) { r.refuse(counts, in.Origin, "resource", in.ExternalID, err) }
	rows, err := r.tx.Resource.Query().All(r.ctx)
	if err != nil {
		return err
	}
	r.resourceIDs = externalIDMap(rows, func(x *ent.Resource) string { return x.ID }, func(x *ent.Resource) *string { return x.ExternalID })
	byID, vendorIDs := map[string]*ent.Resource{}, map[[2]string]string{}
	for _, row := range rows {
		byID[row.ID] = row
		vendorIDs[[2]string{row.IntegrationID, row.VendorID}] = row.ID
	}
	var creates []*ent.ResourceCreate
	for i, in := range list {
		r.progress("resources", i, len(list))
		if err := seen.check(in.ExternalID, in.Origin); err != nil {
			refuse(in, err)
			continue
		}
		integrationID, err := resolve(r.integrationIDs, "workspace_integration_id", "integration", in.Integration)
		if err != nil {
			refuse(in, err)
			continue
		}
		before := byID[r.resourceIDs[in.ExternalID]]
		switch {
		case before != nil && before.IntegrationID != integrationID:
			refuse(in, fieldError("workspace_integration_id", "a resource cannot move to another integration: give it another id"))
			continue
		case before != nil && in.Kind != nil && *in.Kind != before.Kind:
			refuse(in, fieldError("kind", "a resource's kind cannot change: give it another id"))
			continue
		case before == nil && in.Kind == nil:
			refuse(in, fieldError("kind", "is required"))
			continue
		case before == nil && (in.VendorID == nil || *in.VendorID == ""):
			refuse(in, fieldError("vendor_id", "is required"))
			continue
		case before == nil && (in.Name == nil || *in.Name == ""):
			refuse(in, fieldError("name", "is required"))
			continue
		}
		if in.VendorID != nil {
			if owner, ok := vendorIDs[[2]string{integrationID, *in.VendorID}]; ok && (before == nil || owner != before.ID) {
				refuse(in, &apierror.Error{Code: apierror.CodeConflict, Extensions: map[string]any{"field": "vendor_id"},
					Message: fmt.Sprintf("vendor_id: the integration already has a resource with vendor id %q", apierror.Clip(*in.VendorID))})
				continue
			}
		}
		set := func(m *ent.ResourceMutation) {
			m.SetExternalID(in.ExternalID)
			setIf(in.VendorID, m.SetVendorID)
			setIf(in.Name, m.SetName)
			setIf(in.Handle, m.SetHandle)
		}
		if before == nil {
			id := gid.New(gid.Resource)
			create := r.tx.Resource.Create().SetID(id).SetIntegrationID(integrationID).SetKind(*in.Kind)
			set(create.Mutation())
			creates = append(creates, create)
			r.resourceIDs[in.ExternalID] = id
			vendorIDs[[2]string{integrationID, *in.VendorID}] = id
			counts.Created++
			if err := r.logCreate(create.Mutation(), "resource.created", id, nil, &integrationID); err != nil {
				return err
			}
			continue
		}
		update := r.tx.Resource.UpdateOne(before).Where(resource.Version(before.Version))
		set(update.Mutation())
		changed, err := r.save(update.Mutation(), func() error { return update.Exec(r.ctx) }, "resource.updated", before.ID, nil, &before.IntegrationID)
		switch {
		case err != nil:
			return err
		case changed:
			counts.Updated++
		default:
			counts.Unchanged++
		}
	}
	for start := 0; start < len(creates); start += importChunk {
		if err := r.tx.Resource.CreateBulk(creates[start:min(start+importChunk, len(creates))]...).Exec(r.ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r *importRun) memberships(list []ImportMembership) error {
	counts := &r.report.Memberships
	refuse := func(in ImportMembership, err error) {
		r.refuse(counts, in.Origin, "membership", in.Identity+" in "+in.Resource, err)
	}
	seen := map[[2]string]string{}
	for start := 0; start < len(list); start += importChunk {
		chunk := list[start:min(start+importChunk, len(list))]
		r.progress("memberships", start, len(list))
		identityIDs := idsOf(chunk, func(m ImportMembership) string { return r.identityIDs[m.Identity] })
		identities, err := r.tx.Identity.Query().Where(identity.IDIn(identityIDs...)).Select(identity.FieldID, identity.FieldIntegrationID, identity.FieldUserID).All(r.ctx)
		if err != nil {
			return err
		}
		integrationOf, userOf := map[string]string{}, map[string]*string{}
		for _, i := range identities {
			integrationOf[i.ID], userOf[i.ID] = i.IntegrationID, i.UserID
		}
		resources, err := r.tx.Resource.Query().Where(resource.IDIn(idsOf(chunk, func(m ImportMembership) string { return r.resourceIDs[m.Resource] })...)).
			Select(resource.FieldID, resource.FieldIntegrationID).All(r.ctx)
		if err != nil {
			return err
		}
		for _, x := range resources {
			integrationOf[x.ID] = x.IntegrationID
		}
		current, err := r.tx.Membership.Query().Where(membership.IdentityIDIn(identityIDs...)).All(r.ctx)
		if err != nil {
			return err
		}
		existing := map[[2]string]*ent.Membership{}
		for _, m := range current {
			existing[[2]string{m.IdentityID, m.ResourceID}] = m
		}
		var creates []*ent.MembershipCreate
		for _, in := range chunk {
			identityID, err := resolve(r.identityIDs, "directory_identity_id", "identity", in.Identity)
			if err != nil {
				refuse(in, err)
				continue
			}
			resourceID, err := resolve(r.resourceIDs, "resource_id", "resource", in.Resource)
			if err != nil {
				refuse(in, err)
				continue
			}
			key := [2]string{identityID, resourceID}
			if prev, ok := seen[key]; ok {
				refuse(in, fieldError("resource_id", "the membership is also at %s", prev))
				continue
			}
			seen[key] = in.Origin
			if integrationOf[identityID] != integrationOf[resourceID] {
				refuse(in, fieldError("resource_id", "the resource is on integration %s, the identity on %s", integrationOf[resourceID], integrationOf[identityID]))
				continue
			}
			role := membership.RoleMember
			if in.Role != nil {
				role = *in.Role
			}
			e := event{action: "membership.added", subject: userOf[identityID], record: identityID, parent: userOf[identityID],
				fields: map[string]change{"resource_id": {After: resourceID}, "role": {After: role}}}
			switch m := existing[key]; {
			case m == nil:
				creates = append(creates, r.tx.Membership.Create().SetIdentityID(identityID).SetResourceID(resourceID).SetRole(role))
				counts.Created++
			case m.Role != role:
				if err := r.tx.Membership.UpdateOne(m).SetRole(role).Exec(r.ctx); err != nil {
					return err
				}
				e.fields["role"] = change{Before: m.Role, After: role}
				counts.Updated++
			default:
				counts.Unchanged++
				continue
			}
			if err := r.logLater(e); err != nil {
				return err
			}
		}
		if len(creates) > 0 {
			if err := r.tx.Membership.CreateBulk(creates...).Exec(r.ctx); err != nil {
				return err
			}
		}
	}
	r.progress("memberships", len(list), len(list))
	return nil
}

// logCreate queues the log entry of a record a create will write.
func (r *importRun) logCreate(m ent.Mutation, action, id string, subject, parent *string) error {
	fields := map[string]change{}
	diffInto(r.ctx, m, fields)
	return r.logLater(event{action: action, record: id, subject: subject, parent: parent, fields: fields})
}

// save writes an update that changes something, with its log entry, and
// reports whether it did.
func (r *importRun) save(m ent.Mutation, exec func() error, action, id string, subject, parent *string) (bool, error) {
	fields := map[string]change{}
	diffInto(r.ctx, m, fields)
	if len(fields) == 0 {
		return false, nil
	}
	if err := exec(); err != nil {
		return false, err
	}
	return true, r.logLater(event{action: action, record: id, subject: subject, parent: parent, fields: fields})
}

// idsOf lists the known ids of a chunk's records.
func idsOf[T any](chunk []T, id func(T) string) []string {
	out := make([]string, 0, len(chunk))
	for _, x := range chunk {
		if v := id(x); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func checkLimits[T any](x T, limits []struct {
	field string
	value func(T) *string
	limit int
}) error {
	for _, l := range limits {
		if v := l.value(x); v != nil && utf8.RuneCountInString(*v) > l.limit {
			return fieldError(l.field, "is %d characters; the limit is %d", utf8.RuneCountInString(*v), l.limit)
		}
	}
	return nil
}
