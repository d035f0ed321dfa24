package rest

import (
	"net/http"
	"strings"
)

// The access-review API: GET /api/identities/{id}. Its "identity" is a person,
// an idgraph directory user; its ids are the source system's, so a user with
// an external id answers with that, and either id works in the path.

// ReviewIdentity is GET /api/identities/{id}.
type ReviewIdentity struct {
	ID             string `json:"id"`
	Kind           string `json:"kind"`
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	EmailAddress   string `json:"emailAddress"`
	Type           string `json:"type"`
	Title          string `json:"title"`
	Company        string `json:"company"`
	Division       string `json:"division"`
	Department     string `json:"department"`
	Office         string `json:"office"`
	SupervisorName string `json:"supervisorName"`
	// CreatedDate and FirstSeenDate are both when idgraph first held the record.
	CreatedDate     Time  `json:"createdDate"`
	UpdatedDate     Time  `json:"updatedDate"`
	FirstSeenDate   Time  `json:"firstSeenDate"`
	InactivatedDate *Time `json:"inactivatedDate"`
	// Status is Active for a staged, active or expiring user, Disabled for a
	// suspended, deactivated or expired one.
	Status string `json:"status"`
}

// ReviewIdentityOperation answers GET /api/identities/{id}.
const ReviewIdentityOperation = `query RestReviewIdentity($id: ID, $externalId: String) {
  user(id: $id, externalId: $externalId) {
    id externalId firstName lastName email type title company division department office
    manager { firstName lastName fullName } createdAt updatedAt deprovisionedAt state
  }
}`

// reviewTypes spells idgraph's user types as the review API does.
var reviewTypes = map[string]string{
	"employee": "Employee", "service_account": "Service Account", "vendor": "Vendor", "shared": "Shared",
	"mailbox": "Mailbox", "client": "Client", "temporary": "Temporary", "administrator": "Administrator",
	"auditor": "Auditor", "unknown": "Unknown",
}

func reviewIdentity(c *call) (any, error) {
	id := c.r.PathValue("id")
	var data struct {
		User *struct {
			ID                                                  string
			ExternalID                                          *string
			FirstName, LastName, Email, Type                    string
			Title, Company, Division, Department, Office, State string
			Manager                                             *struct{ FirstName, LastName, FullName string }
			CreatedAt, UpdatedAt                                Time
			DeprovisionedAt                                     *Time
		}
	}
	if err := c.run(ReviewIdentityOperation, idVariables(id, "drusr"), &data); err != nil {
		return nil, asNotFound(err, "Identity", id)
	}
	u := data.User
	if u == nil {
		return nil, notFound("Identity", id)
	}
	out := ReviewIdentity{ID: sourceID(u.ID, u.ExternalID), Kind: "Identity", FirstName: u.FirstName, LastName: u.LastName,
		EmailAddress: u.Email, Type: reviewTypes[u.Type], Title: u.Title, Company: u.Company, Division: u.Division,
		Department: u.Department, Office: u.Office, CreatedDate: u.CreatedAt, UpdatedDate: u.UpdatedAt,
		FirstSeenDate: u.CreatedAt, InactivatedDate: u.DeprovisionedAt, Status: "Active"}
	switch u.State {
	case "suspended", "deactivated", "expired":
		out.Status = "Disabled"
	}
	if m := u.Manager; m != nil {
		// "Last, First", as the review API names people; a manager with only a
		// full name keeps it.
		out.SupervisorName = strings.Trim(m.LastName+", "+m.FirstName, ", ")
		if m.LastName == "" || m.FirstName == "" {
			out.SupervisorName = m.FullName
		}
	}
	return out, nil
}

// sourceID is the id a source system's client knows a record by: its external
// id when it has one, else idgraph's.
func sourceID(id string, externalID *string) string {
	if externalID != nil && *externalID != "" {
		return *externalID
	}
	return id
}

var reviewEndpoints = []endpoint{
	{method: http.MethodGet, path: "/api/identities/{id}", summary: "Get an identity (a directory user) by either id",
		response: ReviewIdentity{}, status: http.StatusOK, run: reviewIdentity},
}
