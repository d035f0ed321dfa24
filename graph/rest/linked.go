package rest

import "net/http"

// The linked-identities API: GET /v1/users/{id}/identities, a user's accounts
// across identity providers. Its requests name their tenant in X-Tenant-ID
// (idgraph's tenant id or slug), which must be the token's (403
// tenant_mismatch), and may send the token as X-API-Key. Its ids are the source
// system's: records with an external id answer with that.

// LinkedIdentities is GET /v1/users/{id}/identities.
type LinkedIdentities struct {
	Data []LinkedIdentity `json:"data"`
}

// LinkedIdentity is one account of the user.
type LinkedIdentity struct {
	ID                  string  `json:"id"`
	UserID              *string `json:"user_id"`
	IdentityProviderID  string  `json:"identity_provider_id"`
	ProviderName        string  `json:"provider_name"`
	ProviderType        string  `json:"provider_type"`
	ExternalID          string  `json:"external_id"`
	ExternalUsername    *string `json:"external_username"`
	ExternalEmail       *string `json:"external_email"`
	ExternalDisplayName *string `json:"external_display_name"`
	LinkedBy            string  `json:"linked_by"`
	LastSyncedAt        *Time   `json:"last_synced_at"`
	CreatedAt           Time    `json:"created_at"`
	UpdatedAt           Time    `json:"updated_at"`
}

// LinkedIdentitiesOperation answers GET /v1/users/{id}/identities, a page of
// identities at a time.
const LinkedIdentitiesOperation = `query RestLinkedIdentities($id: ID, $externalId: String, $after: Cursor) {
  user(id: $id, externalId: $externalId) { id externalId
    identities(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id externalId createdAt updatedAt
      vendorId username email displayName linkedBy lastSyncedAt integration { id externalId name vendor } } } }
}`

// maxLinkedPages bounds the pages one answer walks: 10,000 accounts of one person.
const maxLinkedPages = 100

func linkedIdentities(c *call) (any, error) {
	id := c.r.PathValue("id")
	out := LinkedIdentities{Data: []LinkedIdentity{}}
	vars := idVariables(id, "drusr")
	for page := 0; page < maxLinkedPages; page++ {
		var data struct {
			User *struct {
				ID         string
				ExternalID *string
				Identities struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Nodes []struct {
						ID                        string
						ExternalID                *string
						CreatedAt, UpdatedAt      Time
						VendorID, Username, Email string
						DisplayName               string
						LinkedBy                  *string
						LastSyncedAt              *Time
						Integration               struct {
							ID         string
							ExternalID *string
							Name       string
							Vendor     string
						}
					}
				}
			}
		}
		if err := c.run(LinkedIdentitiesOperation, vars, &data); err != nil {
			return nil, asNotFound(err, "User", id)
		}
		u := data.User
		if u == nil {
			return nil, notFound("User", id)
		}
		userID := sourceID(u.ID, u.ExternalID)
		for _, n := range u.Identities.Nodes {
			linked := LinkedIdentity{ID: sourceID(n.ID, n.ExternalID), UserID: &userID,
				IdentityProviderID: sourceID(n.Integration.ID, n.Integration.ExternalID), ProviderName: n.Integration.Name,
				ProviderType: n.Integration.Vendor, ExternalID: n.VendorID, ExternalUsername: nonEmpty(n.Username),
				ExternalEmail: nonEmpty(n.Email), ExternalDisplayName: nonEmpty(n.DisplayName), LinkedBy: "auto",
				LastSyncedAt: n.LastSyncedAt, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
			if n.LinkedBy != nil {
				linked.LinkedBy = *n.LinkedBy
			}
			out.Data = append(out.Data, linked)
		}
		if !u.Identities.PageInfo.HasNextPage {
			break
		}
		vars["after"] = u.Identities.PageInfo.EndCursor
	}
	return out, nil
}

// nonEmpty is s, or null for an empty string.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var linkedEndpoints = []endpoint{
	{method: http.MethodGet, path: "/v1/users/{id}/identities", summary: "List a user's identities across identity providers",
		response: LinkedIdentities{}, status: http.StatusOK, run: linkedIdentities},
}
