package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/directory"
)

// The record shapes. Members a record may carry but the import does not
// read, because they are derived (counts, links, is_manager) or kept by
// idgraph itself (created and updated times), are declared as ignored, so
// that any other unknown member is refused as the typo it likely is.
type ignored = json.RawMessage

// nullable is a member that may be absent (leave as is), null (clear) or set.
type nullable[T any] struct {
	Set   bool
	Value *T
}

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		return nil
	}
	n.Value = new(T)
	return json.Unmarshal(b, n.Value)
}

// enum reads an enum member: nil when absent, an error naming the member and
// the value when the value is not one of the enum's.
func enum[T ~string](member string, v *string, valid func(T) error) (*T, error) {
	if v == nil {
		return nil, nil
	}
	e := T(*v)
	if err := valid(e); err != nil {
		return nil, fmt.Errorf("%s %q: %w", member, *v, err)
	}
	return &e, nil
}

// nullableInto sets *into from a nullable member, or names the field among
// those cleared when the member is null.
func nullableInto[T any](f *directory.UserFields, name string, n nullable[T], into **T) {
	switch {
	case n.Value != nil:
		*into = n.Value
	case n.Set:
		f.Cleared = append(f.Cleared, name)
	}
}

// timeOf turns a nullable time into the import's: nil leaves it, a nil At clears it.
func timeOf(n nullable[time.Time]) *directory.SetTime {
	if !n.Set {
		return nil
	}
	return &directory.SetTime{At: n.Value}
}

type userRecord struct {
	RecordType    ignored                  `json:"record_type"`
	ID            string                   `json:"id"`
	State         *string                  `json:"state"`
	Type          *string                  `json:"type"`
	ManagerID     nullable[string]         `json:"manager_id"`
	ParentUserID  nullable[string]         `json:"parent_user_id"`
	FirstName     *string                  `json:"first_name"`
	LastName      *string                  `json:"last_name"`
	FullName      *string                  `json:"full_name"`
	Email         *string                  `json:"email"`
	Username      *string                  `json:"username"`
	BadgeID       nullable[string]         `json:"badge_id"`
	EmployeeID    nullable[string]         `json:"employee_id"`
	EmployeeAltID nullable[string]         `json:"employee_alt_id"`
	Org           *map[string]string       `json:"org"`
	Metadata      nullable[map[string]any] `json:"metadata"`
	Timestamp     *struct {
		CreatedAt       ignored             `json:"created_at"`
		UpdatedAt       ignored             `json:"updated_at"`
		DeletedAt       ignored             `json:"deleted_at"`
		ExpiresAt       nullable[time.Time] `json:"expires_at"`
		ProvisionedAt   nullable[time.Time] `json:"provisioned_at"`
		DeprovisionedAt nullable[time.Time] `json:"deprovisioned_at"`
	} `json:"timestamp"`
	EmailVerified          *bool                    `json:"email_verified"`
	PrivacyPolicyAgreedAt  nullable[time.Time]      `json:"privacy_policy_agreed_at"`
	TermsOfServiceAgreedAt nullable[time.Time]      `json:"terms_of_service_agreed_at"`
	AppMetadata            nullable[map[string]any] `json:"app_metadata"`
	UserMetadata           nullable[map[string]any] `json:"user_metadata"`
	IsManager              ignored                  `json:"is_manager"`
	Count                  ignored                  `json:"count"`
	Exists                 ignored                  `json:"exists"`
	Included               ignored                  `json:"included"`
	Links                  ignored                  `json:"links"`
}

// orgColumns are the keys of org that are columns of users.
var orgColumns = map[string]func(*directory.UserFields, *string){
	"title":       func(f *directory.UserFields, v *string) { f.Title = v },
	"department":  func(f *directory.UserFields, v *string) { f.Department = v },
	"division":    func(f *directory.UserFields, v *string) { f.Division = v },
	"company":     func(f *directory.UserFields, v *string) { f.Company = v },
	"office":      func(f *directory.UserFields, v *string) { f.Office = v },
	"cost_center": func(f *directory.UserFields, v *string) { f.CostCenter = v },
}

func readUser(r *Reader, origin string, raw []byte) error {
	var rec userRecord
	if err := decodeStrict(raw, &rec); err != nil {
		return err
	}
	u := directory.ImportUser{Origin: origin, ExternalID: rec.ID}
	f := &u.Fields
	f.FirstName, f.LastName, f.FullName, f.Email, f.Username = rec.FirstName, rec.LastName, rec.FullName, rec.Email, rec.Username
	f.EmailVerified = rec.EmailVerified
	var err error
	if u.State, err = enum("state", rec.State, user.StateValidator); err != nil {
		return err
	}
	if f.Type, err = enum("type", rec.Type, user.TypeValidator); err != nil {
		return err
	}
	nullableInto(f, "badgeId", rec.BadgeID, &f.BadgeID)
	nullableInto(f, "employeeId", rec.EmployeeID, &f.EmployeeID)
	nullableInto(f, "employeeAltId", rec.EmployeeAltID, &f.EmployeeAltID)
	// An empty object is no metadata, as null is: the APIs answer {} for both.
	nullableMap := func(name string, n nullable[map[string]any], into *map[string]any) {
		switch {
		case n.Value != nil && len(*n.Value) > 0:
			*into = *n.Value
		case n.Set:
			f.Cleared = append(f.Cleared, name)
		}
	}
	nullableMap("metadata", rec.Metadata, &f.Metadata)
	nullableMap("appMetadata", rec.AppMetadata, &f.AppMetadata)
	nullableMap("userMetadata", rec.UserMetadata, &f.UserMetadata)
	nullableInto(f, "privacyPolicyAgreedAt", rec.PrivacyPolicyAgreedAt, &f.PrivacyPolicyAgreedAt)
	nullableInto(f, "termsOfServiceAgreedAt", rec.TermsOfServiceAgreedAt, &f.TermsOfServiceAgreedAt)
	// org is the user's whole org: a column it leaves out is emptied and an
	// open attribute it leaves out removed.
	if rec.Org != nil {
		u.WholeOrg = true
		empty := ""
		for _, set := range orgColumns {
			set(f, &empty)
		}
		for key, value := range *rec.Org {
			v := value
			if set, ok := orgColumns[key]; ok {
				set(f, &v)
				continue
			}
			f.Attributes = append(f.Attributes, directory.Attribute{Key: key, Value: &v})
		}
		slices.SortFunc(f.Attributes, func(a, b directory.Attribute) int { return strings.Compare(a.Key, b.Key) })
	}
	// The directory API names a user's parent in included.parent_user.
	if !rec.ParentUserID.Set && len(rec.Included) > 0 {
		var included struct {
			ParentUser *struct {
				ID string `json:"id"`
			} `json:"parent_user"`
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(rec.Included, &members) == nil && members["parent_user"] != nil &&
			json.Unmarshal(rec.Included, &included) == nil {
			rec.ParentUserID.Set = true
			if included.ParentUser != nil {
				rec.ParentUserID.Value = &included.ParentUser.ID
			}
		}
	}
	u.Manager, u.ClearManager = rec.ManagerID.Value, rec.ManagerID.Set && rec.ManagerID.Value == nil
	u.Parent, u.ClearParent = rec.ParentUserID.Value, rec.ParentUserID.Set && rec.ParentUserID.Value == nil
	if t := rec.Timestamp; t != nil {
		u.Times = directory.RecordTimes{ExpiresAt: timeOf(t.ExpiresAt), ProvisionedAt: timeOf(t.ProvisionedAt),
			DeprovisionedAt: timeOf(t.DeprovisionedAt)}
	}
	r.Set.Users = append(r.Set.Users, u)
	return nil
}

type integrationRecord struct {
	RecordType ignored `json:"record_type"`
	ID         string  `json:"id"`
	IsPrimary  *bool   `json:"is_primary"`
	Vendor     *string `json:"vendor"`
	Kind       *string `json:"kind"`
	Name       *string `json:"name"`
	Handle     *string `json:"handle"`
	Domain     *string `json:"domain"`
	Links      ignored `json:"links"`
}

func (rec integrationRecord) read(origin string) (directory.ImportIntegration, error) {
	in := directory.ImportIntegration{Origin: origin, ExternalID: rec.ID, Primary: rec.IsPrimary != nil && *rec.IsPrimary}
	f := &in.Fields
	f.Name, f.Handle, f.Domain = rec.Name, rec.Handle, rec.Domain
	var err error
	if f.Vendor, err = enum("vendor", rec.Vendor, integration.VendorValidator); err != nil {
		return in, err
	}
	f.Kind, err = enum("kind", rec.Kind, integration.KindValidator)
	return in, err
}

func readIntegration(r *Reader, origin string, raw []byte) error {
	var rec integrationRecord
	if err := decodeStrict(raw, &rec); err != nil {
		return err
	}
	in, err := rec.read(origin)
	if err != nil {
		return err
	}
	r.addIntegration(in, false)
	return nil
}

// addIntegration adds an integration to the set once: an integration record
// replaces a copy an identity included, and later copies are dropped.
func (r *Reader) addIntegration(in directory.ImportIntegration, included bool) {
	i, seen := r.integrations[in.ExternalID]
	switch {
	case !seen:
		r.integrations[in.ExternalID] = len(r.Set.Integrations)
		r.included[in.ExternalID] = included
		r.Set.Integrations = append(r.Set.Integrations, in)
	case included:
		// another copy: the first stands
	case r.included[in.ExternalID]:
		r.Set.Integrations[i], r.included[in.ExternalID] = in, false
	default:
		r.Set.Integrations = append(r.Set.Integrations, in) // a second record: the import refuses it
	}
}

type identityRecord struct {
	RecordType             ignored                  `json:"record_type"`
	ID                     string                   `json:"id"`
	State                  *string                  `json:"state"`
	VendorID               *string                  `json:"vendor_id"`
	Email                  *string                  `json:"email"`
	Username               *string                  `json:"username"`
	DisplayName            *string                  `json:"display_name"`
	FullName               *string                  `json:"full_name"`
	Profile                nullable[map[string]any] `json:"profile"`
	LinkedBy               *string                  `json:"linked_by"`
	LastSyncedAt           nullable[time.Time]      `json:"last_synced_at"`
	WorkspaceIntegrationID *string                  `json:"workspace_integration_id"`
	DirectoryUserID        nullable[string]         `json:"directory_user_id"`
	Timestamp              *struct {
		CreatedAt           ignored             `json:"created_at"`
		UpdatedAt           ignored             `json:"updated_at"`
		DeletedAt           ignored             `json:"deleted_at"`
		ProvisionedAt       nullable[time.Time] `json:"provisioned_at"`
		DeprovisionedAt     nullable[time.Time] `json:"deprovisioned_at"`
		ProfileChangedAt    nullable[time.Time] `json:"profile_changed_at"`
		LastAuthenticatedAt nullable[time.Time] `json:"last_authenticated_at"`
		ExpiresAt           nullable[time.Time] `json:"expires_at"`
	} `json:"timestamp"`
	Included *struct {
		WorkspaceIntegration *integrationRecord `json:"workspace_integration"`
		// The included user carries the user's other fields: only its id is read.
		DirectoryUser json.RawMessage `json:"directory_user"`
	} `json:"included"`
	// Copies of the integration's and user's fields a listing carries.
	IntegrationVendor ignored `json:"integration_vendor"`
	IntegrationHandle ignored `json:"integration_handle"`
	Org               ignored `json:"org"`
	Count             ignored `json:"count"`
	Links             ignored `json:"links"`
}

func readIdentity(r *Reader, origin string, raw []byte) error {
	var rec identityRecord
	if err := decodeStrict(raw, &rec); err != nil {
		return err
	}
	in := directory.ImportIdentity{Origin: origin, ExternalID: rec.ID, VendorID: rec.VendorID, Email: rec.Email,
		Username: rec.Username, DisplayName: rec.DisplayName, LastSyncedAt: timeOf(rec.LastSyncedAt)}
	if in.DisplayName == nil {
		in.DisplayName = rec.FullName
	}
	if rec.Profile.Value != nil && len(*rec.Profile.Value) > 0 {
		in.Profile = *rec.Profile.Value
	}
	var err error
	if in.State, err = enum("state", rec.State, identity.StateValidator); err != nil {
		return err
	}
	if in.LinkedBy, err = enum("linked_by", rec.LinkedBy, identity.LinkedByValidator); err != nil {
		return err
	}
	if t := rec.Timestamp; t != nil {
		in.ProvisionedAt, in.DeprovisionedAt = timeOf(t.ProvisionedAt), timeOf(t.DeprovisionedAt)
		in.ProfileChangedAt, in.LastAuthenticatedAt, in.Expires = timeOf(t.ProfileChangedAt), timeOf(t.LastAuthenticatedAt), timeOf(t.ExpiresAt)
	}
	in.User, in.ClearUser = rec.DirectoryUserID.Value, rec.DirectoryUserID.Set && rec.DirectoryUserID.Value == nil
	if rec.WorkspaceIntegrationID != nil {
		in.Integration = *rec.WorkspaceIntegrationID
	}
	if inc := rec.Included; inc != nil {
		if inc.WorkspaceIntegration != nil {
			integration, err := inc.WorkspaceIntegration.read(origin)
			if err != nil {
				return fmt.Errorf("included.workspace_integration: %w", err)
			}
			if in.Integration == "" {
				in.Integration = integration.ExternalID
			}
			r.addIntegration(integration, true)
		}
		var included struct {
			ID string `json:"id"`
		}
		if len(inc.DirectoryUser) > 0 && json.Unmarshal(inc.DirectoryUser, &included) == nil && included.ID != "" && in.User == nil {
			in.User = &included.ID
		}
	}
	if in.Integration == "" {
		return fmt.Errorf("workspace_integration_id: is required (or included.workspace_integration)")
	}
	r.Set.Identities = append(r.Set.Identities, in)
	return nil
}

type resourceRecord struct {
	RecordType             ignored `json:"record_type"`
	ID                     string  `json:"id"`
	Kind                   *string `json:"kind"`
	VendorID               *string `json:"vendor_id"`
	Name                   *string `json:"name"`
	Handle                 *string `json:"handle"`
	WorkspaceIntegrationID string  `json:"workspace_integration_id"`
}

func readResource(r *Reader, origin string, raw []byte) error {
	var rec resourceRecord
	if err := decodeStrict(raw, &rec); err != nil {
		return err
	}
	in := directory.ImportResource{Origin: origin, ExternalID: rec.ID, Integration: rec.WorkspaceIntegrationID,
		VendorID: rec.VendorID, Name: rec.Name, Handle: rec.Handle}
	var err error
	if in.Kind, err = enum("kind", rec.Kind, resource.KindValidator); err != nil {
		return err
	}
	if in.Integration == "" {
		return fmt.Errorf("workspace_integration_id: is required")
	}
	r.Set.Resources = append(r.Set.Resources, in)
	return nil
}

type membershipRecord struct {
	RecordType          ignored `json:"record_type"`
	ResourceID          string  `json:"resource_id"`
	DirectoryIdentityID string  `json:"directory_identity_id"`
	Role                *string `json:"role"`
}

func readMembership(r *Reader, origin string, raw []byte) error {
	var rec membershipRecord
	if err := decodeStrict(raw, &rec); err != nil {
		return err
	}
	in := directory.ImportMembership{Origin: origin, Resource: rec.ResourceID, Identity: rec.DirectoryIdentityID}
	var err error
	if in.Role, err = enum("role", rec.Role, membership.RoleValidator); err != nil {
		return err
	}
	r.Set.Memberships = append(r.Set.Memberships, in)
	return nil
}

// readers read each kind of record.
var readers = map[string]func(r *Reader, origin string, raw []byte) error{
	"user": readUser, "integration": readIntegration, "identity": readIdentity,
	"resource": readResource, "membership": readMembership,
}
