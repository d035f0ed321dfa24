package rest

import (
	"net/http"
)

// The directory API: GET /api/v1/directory/users/{user} with include= and its
// count object (directoryuser.go), and GET /api/v1/directory/identities/{identity}
// (here, with the shapes of records both include). Its ids are idgraph's own
// (drusr_..., dridt_...); an external id works in the path too.

// Time is an RFC 3339 timestamp.
type Time string

// UserSummary is a directory user as other records include it.
type UserSummary struct {
	ID        string            `json:"id"`
	State     string            `json:"state"`
	ManagerID *string           `json:"manager_id"`
	IsManager bool              `json:"is_manager"`
	FullName  string            `json:"full_name"`
	Email     string            `json:"email"`
	Username  string            `json:"username"`
	Org       map[string]string `json:"org"`
	Metadata  map[string]any    `json:"metadata"`
}

// WorkspaceUser is the user's account on the primary integration.
type WorkspaceUser struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Provider   string `json:"provider"`
	ProviderID string `json:"provider_id"`
	Name       string `json:"name"`
	Handle     string `json:"handle"`
	Email      string `json:"email"`
}

// IntegrationSummary is a workspace integration as records include it.
type IntegrationSummary struct {
	ID        string `json:"id"`
	IsPrimary bool   `json:"is_primary"`
	Vendor    string `json:"vendor"`
	Handle    string `json:"handle"`
	Domain    string `json:"domain"`
}

// IdentitySummary is a directory identity as a user includes it.
type IdentitySummary struct {
	ID                     string            `json:"id"`
	WorkspaceIntegrationID string            `json:"workspace_integration_id"`
	DirectoryUserID        *string           `json:"directory_user_id"`
	IntegrationVendor      string            `json:"integration_vendor"`
	IntegrationHandle      string            `json:"integration_handle"`
	VendorID               string            `json:"vendor_id"`
	FullName               string            `json:"full_name"`
	Email                  string            `json:"email"`
	Org                    map[string]string `json:"org"`
	State                  string            `json:"state"`
}

// DirectoryIdentity is GET /api/v1/directory/identities/{identity}.
type DirectoryIdentity struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	VendorID string `json:"vendor_id"`
	Email    string `json:"email"`
	// Username and DisplayName are the account's name on the vendor, beside
	// the API's own members, so that an export through it loses nothing.
	Username    string         `json:"username"`
	DisplayName string         `json:"display_name"`
	Profile     map[string]any `json:"profile"`
	Timestamp   struct {
		CreatedAt           Time  `json:"created_at"`
		UpdatedAt           Time  `json:"updated_at"`
		DeletedAt           *Time `json:"deleted_at"`
		ProvisionedAt       *Time `json:"provisioned_at"`
		DeprovisionedAt     *Time `json:"deprovisioned_at"`
		ProfileChangedAt    *Time `json:"profile_changed_at"`
		LastAuthenticatedAt *Time `json:"last_authenticated_at"`
	} `json:"timestamp"`
	Count struct {
		WorkspaceLogsParent  *int `json:"workspace_logs_parent,omitempty"`
		WorkspaceLogsRecord  *int `json:"workspace_logs_record,omitempty"`
		WorkspaceLogsRelated *int `json:"workspace_logs_related,omitempty"`
	} `json:"count"`
	Included struct {
		WorkspaceIntegration IntegrationSummary `json:"workspace_integration"`
		DirectoryUser        *UserSummary       `json:"directory_user"`
	} `json:"included"`
	Links struct {
		Self          string  `json:"self"`
		DirectoryUser *string `json:"directory_user"`
	} `json:"links"`
}

// The GraphQL shapes the directory operations answer with.
type (
	gqlRef          struct{ ID string }
	gqlNodes[T any] struct{ Nodes []T }
	gqlUser         struct {
		ID         string
		State      string
		Manager    *gqlRef
		IsManager  bool
		FullName   string
		Email      string
		Username   string
		Attributes []struct{ Key, Value string }
		Metadata   map[string]any
	}
	gqlRule struct {
		ID, State, RoleName, RoleHandle, Description string
		IsImported, ExpiresAfterDaysInherited        bool
		ExpiresAfterDays                             *int
		Priority                                     int
	}
	gqlRuleset struct {
		ID, State, Type  string
		Resource         *gqlRef
		IsAuthoritative  bool
		ExpiresAfterDays *int
	}
	gqlIntegration struct {
		ID, Vendor, Handle, Domain string
		IsPrimary                  bool
	}
)

func (u gqlUser) summary() UserSummary {
	return UserSummary{ID: u.ID, State: u.State, ManagerID: refID(u.Manager), IsManager: u.IsManager, FullName: u.FullName,
		Email: u.Email, Username: u.Username, Org: org(u.Attributes), Metadata: object(u.Metadata)}
}

func summaries(users []gqlUser) []UserSummary {
	out := make([]UserSummary, len(users))
	for i, u := range users {
		out[i] = u.summary()
	}
	return out
}

// id is the user's id, nil for no user.
func (u *gqlUser) id() *string {
	if u == nil {
		return nil
	}
	return &u.ID
}

func (u *gqlUser) optionalSummary() *UserSummary {
	if u == nil {
		return nil
	}
	s := u.summary()
	return &s
}

func (i gqlIntegration) summary() IntegrationSummary {
	return IntegrationSummary{ID: i.ID, IsPrimary: i.IsPrimary, Vendor: i.Vendor, Handle: i.Handle, Domain: i.Domain}
}

func refID(r *gqlRef) *string {
	if r == nil {
		return nil
	}
	return &r.ID
}

// org is a user's directory attributes as one object: the org columns that are
// set and the open attributes.
func org(attributes []struct{ Key, Value string }) map[string]string {
	out := make(map[string]string, len(attributes))
	for _, a := range attributes {
		out[a.Key] = a.Value
	}
	return out
}

// object is m, or an empty object where the record has none.
func object(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// The fragments of the directory operations: records as others include them,
// and policy records.
const (
	recordFragments = `
fragment RestUser on User { id state manager { id } isManager fullName email username attributes { key value } metadata }
fragment RestIntegration on Integration { id isPrimary vendor handle domain }`
	policyFragments = `
fragment RestRule on PolicyRule { id state roleName roleHandle isImported description expiresAfterDays expiresAfterDaysInherited priority }
fragment RestRuleset on PolicyRuleset { id state type resource { id } isAuthoritative expiresAfterDays }`
)

// DirectoryIdentityOperation answers GET /api/v1/directory/identities/{identity}.
const DirectoryIdentityOperation = `query RestDirectoryIdentity($id: ID, $externalId: String) {
  identity(id: $id, externalId: $externalId) {
    id state vendorId email username displayName profile createdAt updatedAt deletedAt provisionedAt deprovisionedAt profileChangedAt lastAuthenticatedAt
    counts { workspaceLogsParent workspaceLogsRecord workspaceLogsRelated }
    integration { ...RestIntegration }
    user { ...RestUser }
  }
}` + recordFragments

func directoryIdentity(c *call) (any, error) {
	id := c.r.PathValue("identity")
	var data struct {
		Identity *struct {
			ID, State, VendorID, Email, Username, DisplayName string
			Profile                                           map[string]any
			CreatedAt, UpdatedAt                              Time
			DeletedAt, ProvisionedAt, DeprovisionedAt         *Time
			ProfileChangedAt, LastAuthenticatedAt             *Time
			Counts                                            struct{ WorkspaceLogsParent, WorkspaceLogsRecord, WorkspaceLogsRelated *int }
			Integration                                       gqlIntegration
			User                                              *gqlUser
		}
	}
	if err := c.run(DirectoryIdentityOperation, idVariables(id, "dridt"), &data); err != nil {
		return nil, asNotFound(err, "Identity", id)
	}
	n := data.Identity
	if n == nil {
		return nil, notFound("Identity", id)
	}
	out := DirectoryIdentity{ID: n.ID, State: n.State, VendorID: n.VendorID, Email: n.Email, Username: n.Username,
		DisplayName: n.DisplayName, Profile: object(n.Profile)}
	t := &out.Timestamp
	t.CreatedAt, t.UpdatedAt, t.DeletedAt, t.ProvisionedAt = n.CreatedAt, n.UpdatedAt, n.DeletedAt, n.ProvisionedAt
	t.DeprovisionedAt, t.ProfileChangedAt, t.LastAuthenticatedAt = n.DeprovisionedAt, n.ProfileChangedAt, n.LastAuthenticatedAt
	out.Count.WorkspaceLogsParent, out.Count.WorkspaceLogsRecord, out.Count.WorkspaceLogsRelated =
		n.Counts.WorkspaceLogsParent, n.Counts.WorkspaceLogsRecord, n.Counts.WorkspaceLogsRelated
	out.Included.WorkspaceIntegration = n.Integration.summary()
	out.Included.DirectoryUser = n.User.optionalSummary()
	out.Links.Self = "/api/v1/directory/identities/" + n.ID
	if n.User != nil {
		link := "/api/v1/directory/users/" + n.User.ID
		out.Links.DirectoryUser = &link
	}
	return out, nil
}

var directoryEndpoints = []endpoint{
	{method: http.MethodGet, path: "/api/v1/directory/users/{user}", summary: "Describe a directory user",
		includes: directoryUserIncludes, response: DirectoryUser{}, status: http.StatusOK, run: directoryUser},
	{method: http.MethodGet, path: "/api/v1/directory/identities/{identity}",
		summary:  "Describe a directory identity (its raw profile needs directory.identity.view)",
		response: DirectoryIdentity{}, status: http.StatusOK, run: directoryIdentity},
}
