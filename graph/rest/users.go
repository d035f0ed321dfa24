package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// The user API of an identity service: list, create, get, update and delete
// users under /api/v1/users. Its ids are the source system's: a user with an
// external id answers with that, and either id works in the path. idgraph is a
// directory, not an identity provider: a password is refused, and every user
// it creates is what that API calls a virtual user.

// AccountUser is a user as GET /api/v1/users lists it and POST returns it.
type AccountUser struct {
	ID                     string `json:"id"`
	CreatedAt              Time   `json:"created_at"`
	Name                   string `json:"name"`
	FirstName              string `json:"first_name"`
	LastName               string `json:"last_name"`
	Email                  string `json:"email"`
	PrivacyPolicyAgreedAt  *Time  `json:"privacy_policy_agreed_at"`
	TermsOfServiceAgreedAt *Time  `json:"terms_of_service_agreed_at"`
}

// AccountUserDetail is GET /api/v1/users/{id}.
type AccountUserDetail struct {
	AccountUser
	Metadata AccountMetadata `json:"metadata"`
}

// AccountMetadata is the verification and metadata block of a user.
type AccountMetadata struct {
	UserID        string         `json:"user_id"`
	Name          string         `json:"name"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
}

// AccountUserInput is the body of POST and PUT /api/v1/users[/{id}]: on PUT,
// members left out keep their value and null clears a nullable one.
type AccountUserInput struct {
	Email                  *string         `json:"email,omitempty"`
	FirstName              *string         `json:"first_name,omitempty"`
	LastName               *string         `json:"last_name,omitempty"`
	Name                   *string         `json:"name,omitempty"`
	EmailVerified          *bool           `json:"email_verified,omitempty"`
	PrivacyPolicyAgreedAt  optional[Time]  `json:"privacy_policy_agreed_at,omitempty"`
	TermsOfServiceAgreedAt optional[Time]  `json:"terms_of_service_agreed_at,omitempty"`
	AppMetadata            optional[mapOf] `json:"app_metadata,omitempty"`
	UserMetadata           optional[mapOf] `json:"user_metadata,omitempty"`
	// Password is refused: idgraph keeps no passwords.
	Password *string `json:"password,omitempty"`
}

type mapOf = map[string]any

const accountFragment = `
fragment RestAccount on User { id externalId createdAt fullName firstName lastName email privacyPolicyAgreedAt
  termsOfServiceAgreedAt emailVerified appMetadata userMetadata }`

// AccountUsersOperation answers GET /api/v1/users.
const AccountUsersOperation = `query RestAccountUsers($first: Int!, $after: Cursor) {
  users(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ...RestAccount } }
}` + accountFragment

// AccountUserOperation answers GET /api/v1/users/{id}.
const AccountUserOperation = `query RestAccountUser($id: ID, $externalId: String) {
  user(id: $id, externalId: $externalId) { ...RestAccount }
}` + accountFragment

const (
	createAccountOperation = `mutation RestCreateAccountUser($input: CreateUserInput!) {
  createUser(input: $input) { user { ...RestAccount } }
}` + accountFragment
	updateAccountOperation = `mutation RestUpdateAccountUser($input: UpdateUserInput!) { updateUser(input: $input) { user { id } } }`
	deleteAccountOperation = `mutation RestDeleteAccountUser($input: UserActionInput!) { deleteUser(input: $input) { user { id } } }`
	accountIDOperation     = `query RestAccountUserID($externalId: String) { user(externalId: $externalId) { id } }`
)

// gqlAccount is the RestAccount fragment's answer.
type gqlAccount struct {
	ID                                            string
	ExternalID                                    *string
	CreatedAt                                     Time
	FullName, FirstName, LastName, Email          string
	PrivacyPolicyAgreedAt, TermsOfServiceAgreedAt *Time
	EmailVerified                                 bool
	AppMetadata, UserMetadata                     map[string]any
}

func (a gqlAccount) rest() AccountUser {
	return AccountUser{ID: sourceID(a.ID, a.ExternalID), CreatedAt: a.CreatedAt, Name: a.FullName, FirstName: a.FirstName,
		LastName: a.LastName, Email: a.Email, PrivacyPolicyAgreedAt: a.PrivacyPolicyAgreedAt,
		TermsOfServiceAgreedAt: a.TermsOfServiceAgreedAt}
}

// The list is paged: rpp users a page (default and most 100), after the cursor
// the previous page's Link header names; X-Total-Results-Count has the total.
func listAccounts(c *call) (any, error) {
	q := c.r.URL.Query()
	vars := map[string]any{"first": 100}
	if raw := q.Get("rpp"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 100 {
			return nil, badRequest("rpp must be a whole number from 1 to 100, not %q", raw)
		}
		vars["first"] = n
	}
	if after := q.Get("after"); after != "" {
		vars["after"] = after
	}
	var data struct {
		Users struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Nodes []gqlAccount
		}
	}
	if err := c.run(AccountUsersOperation, vars, &data); err != nil {
		return nil, err
	}
	out := make([]AccountUser, len(data.Users.Nodes))
	for i, n := range data.Users.Nodes {
		out[i] = n.rest()
	}
	c.w.Header().Set("X-Total-Results-Count", strconv.Itoa(data.Users.TotalCount))
	if data.Users.PageInfo.HasNextPage {
		next := url.Values{"after": {data.Users.PageInfo.EndCursor}, "rpp": {fmt.Sprint(vars["first"])}}
		c.w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, c.r.URL.Path, next.Encode()))
	}
	return out, nil
}

func getAccount(c *call) (any, error) {
	id := c.r.PathValue("id")
	var data struct{ User *gqlAccount }
	if err := c.run(AccountUserOperation, idVariables(id, "drusr"), &data); err != nil {
		return nil, asNotFound(err, "User", id)
	}
	a := data.User
	if a == nil {
		return nil, notFound("User", id)
	}
	return AccountUserDetail{AccountUser: a.rest(), Metadata: AccountMetadata{UserID: sourceID(a.ID, a.ExternalID),
		Name: a.FullName, Email: a.Email, EmailVerified: a.EmailVerified,
		AppMetadata: object(a.AppMetadata), UserMetadata: object(a.UserMetadata)}}, nil
}

// input maps a body onto a createUser or updateUser input: members left out
// stay out, a null stays null.
func (in AccountUserInput) input() (map[string]any, error) {
	if in.Password != nil {
		return nil, badRequest("idgraph keeps no passwords: leave password out (the user is created without one)")
	}
	out := map[string]any{}
	set := func(name string, v any, present bool) {
		if present {
			out[name] = v
		}
	}
	set("email", in.Email, in.Email != nil)
	set("firstName", in.FirstName, in.FirstName != nil)
	set("lastName", in.LastName, in.LastName != nil)
	set("fullName", in.Name, in.Name != nil)
	set("emailVerified", in.EmailVerified, in.EmailVerified != nil)
	set("privacyPolicyAgreedAt", in.PrivacyPolicyAgreedAt.Value, in.PrivacyPolicyAgreedAt.Set)
	set("termsOfServiceAgreedAt", in.TermsOfServiceAgreedAt.Value, in.TermsOfServiceAgreedAt.Set)
	set("appMetadata", in.AppMetadata.Value, in.AppMetadata.Set)
	set("userMetadata", in.UserMetadata.Value, in.UserMetadata.Set)
	return out, nil
}

func createAccount(c *call) (any, error) {
	var body AccountUserInput
	if err := c.decodeBody(&body); err != nil {
		return nil, err
	}
	input, err := body.input()
	if err != nil {
		return nil, err
	}
	if body.Email == nil {
		return nil, badRequest("email is required")
	}
	var data struct {
		CreateUser struct{ User gqlAccount }
	}
	if err := c.run(createAccountOperation, map[string]any{"input": input}, &data); err != nil {
		return nil, err
	}
	return data.CreateUser.User.rest(), nil
}

// accountID returns idgraph's id of the user a path names.
func (c *call) accountID() (string, error) {
	id := c.r.PathValue("id")
	vars := idVariables(id, "drusr")
	if _, ok := vars["id"]; ok {
		return id, nil
	}
	var data struct{ User *gqlRef }
	if err := c.run(accountIDOperation, vars, &data); err != nil {
		return "", asNotFound(err, "User", id)
	}
	if data.User == nil {
		return "", notFound("User", id)
	}
	return data.User.ID, nil
}

func updateAccount(c *call) (any, error) {
	var body AccountUserInput
	if err := c.decodeBody(&body); err != nil {
		return nil, err
	}
	input, err := body.input()
	if err != nil {
		return nil, err
	}
	id, err := c.accountID()
	if err != nil {
		return nil, err
	}
	input["id"] = id
	var data any
	return nil, c.run(updateAccountOperation, map[string]any{"input": input}, &data)
}

func deleteAccount(c *call) (any, error) {
	id, err := c.accountID()
	if err != nil {
		return nil, err
	}
	var data any
	return nil, c.run(deleteAccountOperation, map[string]any{"input": map[string]any{"id": id}}, &data)
}

var accountEndpoints = []endpoint{
	{method: http.MethodGet, path: "/api/v1/users", summary: "List users, a page at a time (rpp, after; Link and X-Total-Results-Count headers)",
		query: []string{"rpp", "after"}, response: []AccountUser{}, status: http.StatusOK, run: listAccounts},
	{method: http.MethodPost, path: "/api/v1/users", summary: "Create a user (without a password)",
		request: AccountUserInput{}, response: AccountUser{}, status: http.StatusCreated, run: createAccount},
	{method: http.MethodGet, path: "/api/v1/users/{id}", summary: "Get a user by either id",
		response: AccountUserDetail{}, status: http.StatusOK, run: getAccount},
	{method: http.MethodPut, path: "/api/v1/users/{id}", summary: "Update a user: members left out keep their value, null clears",
		request: AccountUserInput{}, status: http.StatusNoContent, run: updateAccount},
	{method: http.MethodDelete, path: "/api/v1/users/{id}", summary: "Delete a user (soft delete)",
		status: http.StatusNoContent, run: deleteAccount},
}

// optional is a body member that tells "left out" from null.
type optional[T any] struct {
	Set   bool
	Value *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		return nil
	}
	o.Value = new(T)
	return json.Unmarshal(b, o.Value)
}
