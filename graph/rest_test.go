package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/graph/rest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// restClient sends requests to the REST endpoints of a server, checks every
// answer against the OpenAPI document the server publishes, and decodes it.
type restClient struct {
	t   *testing.T
	srv *graphtest.Server
	doc map[string]any
}

func newRESTClient(t *testing.T, srv *graphtest.Server) *restClient {
	c := &restClient{t: t, srv: srv}
	resp := srv.SendRaw(t, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &c.doc) != nil || c.doc["openapi"] != "3.1.0" {
		t.Fatalf("/api/openapi.json: %d %.300s", resp.Status, resp.Body)
	}
	return c
}

// restAnswer is one answer of the shim.
type restAnswer struct {
	graphtest.RawResponse
	body any
}

// do sends method path with body as the token (X-API-Key when the header is
// given as "X-API-Key"), and the headers, name then value.
func (c *restClient) do(method, path string, body any, headers ...string) restAnswer {
	c.t.Helper()
	var reader *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		reader = bytes.NewReader(raw)
	} else {
		reader = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, reader)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.srv.Token)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	raw := c.srv.SendRaw(c.t, req)
	a := restAnswer{RawResponse: raw}
	if len(raw.Body) > 0 {
		if err := json.Unmarshal(raw.Body, &a.body); err != nil {
			c.t.Fatalf("%s %s: not JSON (%d): %.300s", method, path, raw.Status, raw.Body)
		}
	}
	c.conforms(method, path, a)
	return a
}

// conforms checks an answer against the OpenAPI document: the status is
// documented for the route, and the body has the documented shape.
func (c *restClient) conforms(method, path string, a restAnswer) {
	c.t.Helper()
	route := routeOf(c.doc, strings.SplitN(path, "?", 2)[0])
	op, _ := route[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return // an unknown route or method: checked by its own test
	}
	responses := op["responses"].(map[string]any)
	r, ok := responses[fmt.Sprint(a.Status)].(map[string]any)
	if !ok {
		if a.Status == http.StatusConflict || a.Status == http.StatusUnsupportedMediaType || a.Status == http.StatusRequestEntityTooLarge {
			return
		}
		c.t.Fatalf("%s %s answered %d, which the OpenAPI document does not list: %.300s", method, path, a.Status, a.Body)
	}
	content, _ := r["content"].(map[string]any)
	if content == nil {
		if len(a.Body) > 0 {
			c.t.Fatalf("%s %s: %d has a body, the document none", method, path, a.Status)
		}
		return
	}
	schema := content["application/json"].(map[string]any)["schema"].(map[string]any)
	if err := c.check(schema, a.body, "body"); err != nil {
		c.t.Fatalf("%s %s (%d) does not match its OpenAPI schema: %v\n%.500s", method, path, a.Status, err, a.Body)
	}
}

func routeOf(doc map[string]any, path string) map[string]any {
	for pattern, route := range doc["paths"].(map[string]any) {
		p, q := strings.Split(pattern, "/"), strings.Split(path, "/")
		if len(p) != len(q) {
			continue
		}
		match := true
		for i := range p {
			if !strings.HasPrefix(p[i], "{") && p[i] != q[i] {
				match = false
			}
		}
		if match {
			return route.(map[string]any)
		}
	}
	return nil
}

// check is the part of JSON Schema the document uses: $ref, type, properties,
// required, items, additionalProperties, oneOf with null.
func (c *restClient) check(schema map[string]any, v any, at string) error {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		def, ok := c.doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %s does not resolve", at, ref)
		}
		return c.check(def, v, at)
	}
	if one, ok := schema["oneOf"].([]any); ok {
		if v == nil {
			return nil
		}
		return c.check(one[0].(map[string]any), v, at)
	}
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an object", at, v)
		}
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, name := range req {
				if _, ok := m[name.(string)]; !ok {
					return fmt.Errorf("%s: no %s", at, name)
				}
			}
		}
		extra, _ := schema["additionalProperties"].(map[string]any)
		for k, value := range m {
			switch p, ok := props[k].(map[string]any); {
			case ok:
				if err := c.check(p, value, at+"."+k); err != nil {
					return err
				}
			case extra != nil:
				if err := c.check(extra, value, at+"."+k); err != nil {
					return err
				}
			case props != nil && k != "correlationId":
				return fmt.Errorf("%s: %s is not in the schema", at, k)
			}
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an array", at, v)
		}
		for i, e := range list {
			if err := c.check(schema["items"].(map[string]any), e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %T, want a string", at, v)
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: %v, want an integer", at, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %T, want a boolean", at, v)
		}
	}
	return nil
}

// pluck reads a path of a decoded JSON value: "a.b" for members, "a[].b" for
// the b of every element of the list a.
func pluck(v any, path string) any {
	if path == "" {
		return v
	}
	head, rest, _ := strings.Cut(path, ".")
	list := strings.HasSuffix(head, "[]")
	m, _ := v.(map[string]any)
	next, ok := m[strings.TrimSuffix(head, "[]")]
	if !ok {
		return "<absent>"
	}
	if !list {
		return pluck(next, rest)
	}
	items, _ := next.([]any)
	out := make([]any, len(items))
	for i, e := range items {
		out[i] = pluck(e, rest)
	}
	return out
}

// graphQL runs a query as the server's token and decodes its data.
func graphQL(t *testing.T, srv *graphtest.Server, query string, vars map[string]any) any {
	t.Helper()
	resp := srv.Query(t, query, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", query, resp.Errors)
	}
	var data any
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data
}

// samePaths holds pairs of paths that must agree: the REST answer's, then
// the GraphQL answer's.
func samePaths(t *testing.T, what string, restBody, gql any, pairs ...string) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		got, want := pluck(restBody, pairs[i]), pluck(gql, pairs[i+1])
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: REST %s = %v, GraphQL %s = %v", what, pairs[i], got, pairs[i+1], want)
		}
	}
}

// userCountNames pairs each count of the directory user API with its GraphQL field.
var userCountNames = map[string]string{
	"secondary_users": "secondaryUsers", "direct_report_users": "directReports", "directory_identities": "identities",
	"policy_conditions": "policyConditions", "policy_users": "policyAssignments", "policy_rulesets": "policyRulesets",
	"manifest_rules": "manifestRules", "qualified_rules": "qualifiedRules", "staged_rules": "stagedRules",
	"workspace_logs_parent": "workspaceLogsParent", "workspace_logs_record": "workspaceLogsRecord",
	"workspace_logs_related": "workspaceLogsRelated", "workspace_logs_subject": "workspaceLogsSubject",
	"directory_attributes": "directoryAttributes", "gitlab_groups": "gitlabGroups", "gitlab_projects": "gitlabProjects",
	"google_drive_docs": "googleDriveDocs", "google_drive_files": "googleDriveFiles", "google_drive_folders": "googleDriveFolders",
	"google_drive_decks": "googleDriveDecks", "google_drive_sheets": "googleDriveSheets",
	"google_identity_groups": "googleIdentityGroups", "google_workspace_drives": "googleWorkspaceDrives",
	"google_workspace_groups": "googleWorkspaceGroups", "okta_groups": "oktaGroups",
	"slack_public_channels": "slackPublicChannels", "slack_private_channels": "slackPrivateChannels", "slack_groups": "slackGroups",
}

// includeLists pairs each list include with the GraphQL connection it reads
// and the included member it fills.
var includeLists = []struct{ include, member, connection string }{
	{"secondary-users", "secondary_users", "secondaryUsers"},
	{"policy-conditions", "policy_conditions", "policyConditions"},
	{"policy-users", "policy_users", "policyAssignments"},
	{"policy-rules-manifest", "policy_rules_manifest", "manifestRules"},
	{"policy-rules-qualified", "policy_rules_qualified", "qualifiedRules"},
	{"policy-rules-staged", "policy_rules_staged", "stagedRules"},
	{"policy-rulesets", "policy_rulesets", "policyRulesets"},
}

// TestRESTDirectoryUserParity: GET /api/v1/directory/users/{user} with every
// include, and its -count and -exists forms, equals the GraphQL answer in the
// API's shape, costs what the persisted operation costs on /graphql, and the
// same whatever the user's fan-out.
func TestRESTDirectoryUserParity(t *testing.T) {
	srv := graphtest.New(t, 300)
	c := newRESTClient(t, srv)
	counts := make([]string, 0, len(userCountNames))
	for _, g := range userCountNames {
		counts = append(counts, g)
	}
	// The managers with most and fewest reports (both with a manager and
	// assignments), a user with a secondary user, and a leaf.
	data := graphQL(t, srv, `{
		most: users(first: 1, where: {hasDirectReports: true, hasManager: true, hasPolicyAssignments: true},
			orderBy: [{field: DIRECT_REPORTS_COUNT, direction: DESC}]) { nodes { id counts { directReports } } }
		fewest: users(first: 1, where: {hasDirectReports: true, hasManager: true, hasPolicyAssignments: true},
			orderBy: [{field: DIRECT_REPORTS_COUNT, direction: ASC}]) { nodes { id counts { directReports } } }
		s: users(first: 1, where: {hasParentUser: true}) { nodes { parentUser { id } } }
		leaf: users(first: 1, where: {hasDirectReports: false, hasManager: true}) { nodes { id } } }`, nil)
	first := func(path string) string { return pluck(data, path).([]any)[0].(string) }
	ids := []string{first("most.nodes[].id"), first("fewest.nodes[].id"), first("s.nodes[].parentUser.id"), first("leaf.nodes[].id")}
	if most, fewest := pluck(data, "most.nodes[].counts.directReports"), pluck(data, "fewest.nodes[].counts.directReports"); reflect.DeepEqual(most, fewest) {
		t.Fatalf("the two managers have as many reports: %v", most)
	}
	userFields := `id state isManager fullName email username metadata manager { id } attributes { key value }`
	statements := map[string]int64{}
	for _, id := range ids {
		gql := graphQL(t, srv, `query($id: ID!) { user(id: $id) { `+userFields+` firstName lastName badgeId employeeId employeeAltId
			createdAt updatedAt deletedAt expiresAt provisionedAt deprovisionedAt counts { `+strings.Join(counts, " ")+` }
			manager { id fullName } parentUser { id } directReports(first: 100) { nodes { id fullName manager { id } } }
			identities(first: 100) { nodes { id vendorId integration { id vendor } } }
			workspace: identities(first: 1, where: {hasIntegrationWith: {isPrimary: true}}) { nodes { id vendorId integration { id domain } } }
			secondaryUsers(first: 100) { nodes { id email } } policyConditions(first: 100) { nodes { id } }
			policyAssignments(first: 100) { nodes { id state ruleset { id } rule { id } user { id } } }
			manifestRules(first: 100) { nodes { id roleName } } qualifiedRules(first: 100) { nodes { id } }
			stagedRules(first: 100) { nodes { id } } policyRulesets(first: 100) { nodes { id type } } } }`, map[string]any{"id": id})
		u := pluck(gql, "user")
		base := c.do(http.MethodGet, "/api/v1/directory/users/"+id, nil)
		if base.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", id, base.Status, base.Body)
		}
		samePaths(t, id, base.body, u, "id", "id", "state", "state", "manager_id", "manager.id", "is_manager", "isManager",
			"first_name", "firstName", "last_name", "lastName", "full_name", "fullName", "email", "email",
			"username", "username", "badge_id", "badgeId", "employee_id", "employeeId", "employee_alt_id", "employeeAltId",
			"timestamp.created_at", "createdAt", "timestamp.updated_at", "updatedAt", "timestamp.expires_at", "expiresAt",
			"timestamp.provisioned_at", "provisionedAt", "timestamp.deprovisioned_at", "deprovisionedAt",
			"included.manager_user.id", "manager.id", "included.manager_user.full_name", "manager.fullName",
			"included.direct_report_users[].id", "directReports.nodes[].id",
			"included.direct_report_users[].full_name", "directReports.nodes[].fullName",
			"included.direct_report_users[].manager_id", "directReports.nodes[].manager.id",
			"included.directory_identities[].id", "identities.nodes[].id",
			"included.directory_identities[].vendor_id", "identities.nodes[].vendorId",
			"included.directory_identities[].workspace_integration_id", "identities.nodes[].integration.id")
		if p := pluck(u, "parentUser"); p != nil {
			samePaths(t, id, base.body, u, "included.parent_user.id", "parentUser.id")
		}
		if w := pluck(u, "workspace.nodes").([]any); len(w) > 0 {
			samePaths(t, id, base.body, w[0], "included.workspace_user.id", "id", "included.workspace_user.provider_id", "vendorId",
				"included.workspace_integration.id", "integration.id", "included.workspace_integration.domain", "integration.domain")
		}
		org := map[string]any{}
		for _, a := range pluck(u, "attributes").([]any) {
			org[a.(map[string]any)["key"].(string)] = a.(map[string]any)["value"]
		}
		if got := pluck(base.body, "org"); !reflect.DeepEqual(got, org) {
			t.Errorf("%s: org %v, attributes %v", id, got, org)
		}
		for restName, field := range userCountNames {
			samePaths(t, id, base.body, u, "count."+restName, "counts."+field)
		}
		for _, l := range includeLists {
			if got := pluck(base.body, "included."+l.member); got != "<absent>" {
				t.Errorf("%s: %s included without include=%s", id, l.member, l.include)
			}
			for _, form := range []string{l.include, l.include + "-count", l.include + "-exists"} {
				a := c.do(http.MethodGet, "/api/v1/directory/users/"+id+"?include="+form, nil)
				if a.Status != http.StatusOK {
					t.Fatalf("include=%s: %d %s", form, a.Status, a.Body)
				}
				switch {
				case form == l.include:
					samePaths(t, form, a.body, u, "included."+l.member+"[].id", l.connection+".nodes[].id")
				case strings.HasSuffix(form, "-exists"):
					total := len(pluck(u, l.connection+".nodes").([]any))
					if got := pluck(a.body, "exists."+l.member); got != (total > 0) {
						t.Errorf("%s include=%s: exists %v, %d records", id, form, got, total)
					}
				default:
					if pluck(a.body, "included."+l.member) != "<absent>" {
						t.Errorf("include=%s lists the records", form)
					}
				}
				// The shim's statements are the operation's on /graphql.
				direct := srv.Query(t, rest.DirectoryUserOperation, rest.DirectoryUserVariables(id, map[string]bool{form: true}))
				if len(direct.Errors) > 0 || a.Statements != direct.Statements {
					t.Errorf("include=%s: %d statements, the operation on /graphql %d (%v)", form, a.Statements, direct.Statements, direct.Errors)
				}
				// Both managers: the same shape, however many reports, rules and assignments.
				if id == ids[0] {
					statements[form] = a.Statements
				} else if id == ids[1] && statements[form] != a.Statements {
					t.Errorf("include=%s: %d statements for the manager with most reports, %d for the one with fewest",
						form, statements[form], a.Statements)
				}
			}
		}
		if id == ids[0] {
			a := c.do(http.MethodGet, "/api/v1/directory/users/"+id+"?include=policy-users", nil)
			samePaths(t, "policy-users", a.body, u, "included.policy_users[].state", "policyAssignments.nodes[].state",
				"included.policy_users[].included.policy_ruleset.id", "policyAssignments.nodes[].ruleset.id",
				"included.policy_users[].included.directory_user.id", "policyAssignments.nodes[].user.id")
		}
	}
	all := strings.Join(directoryIncludes(), ",")
	if a := c.do(http.MethodGet, "/api/v1/directory/users/"+ids[0]+"?include="+all, nil); a.Status != http.StatusOK {
		t.Fatalf("every include: %d %s", a.Status, a.Body)
	}
}

func directoryIncludes() []string {
	var out []string
	for _, l := range includeLists {
		out = append(out, l.include, l.include+"-count", l.include+"-exists")
	}
	return out
}

// TestRESTErrors: the seeds' error bodies and statuses, with the request's
// correlation id, for bad ids, unknown includes, missing permissions, tokens
// and tenants, unknown routes and methods.
func TestRESTErrors(t *testing.T) {
	srv := graphtest.New(t, 60)
	srv.SeedTenant(t, "other", 20)
	c := newRESTClient(t, srv)
	data := graphQL(t, srv, `{ users(first: 1, where: {hasIdentities: true}) { nodes { id identities(first: 1) { nodes { id } } } } }`, nil)
	user := pluck(data, "users.nodes[].id").([]any)[0].(string)
	identity := pluck(data, "users.nodes[].identities.nodes").([]any)[0].([]any)[0].(map[string]any)["id"].(string)
	otherToken := srv.TokenFor(t, "other", "*")
	var otherUser struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.QueryAs(t, otherToken, `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &otherUser)
	viewOnly := srv.TokenFor(t, "demo", "directory.user.view")

	type want struct {
		status int
		code   string
	}
	cases := []struct {
		name, method, path string
		headers            []string
		want               want
	}{
		{"unknown user", "GET", "/api/v1/directory/users/drusr_01aaaaaaaaaaaaaaaaaaaaaaaa", nil, want{404, "not_found"}},
		{"malformed id", "GET", "/api/v1/directory/users/not-an-id", nil, want{404, "not_found"}},
		{"another tenant's user", "GET", "/api/v1/directory/users/" + otherUser.Users.Nodes[0].ID, nil, want{404, "not_found"}},
		{"unknown include", "GET", "/api/v1/directory/users/" + user + "?include=friends", nil, want{400, "bad_request"}},
		{"unknown parameter", "GET", "/api/v1/directory/users/" + user + "?expand=all", nil, want{400, "bad_request"}},
		{"include without policy.view", "GET", "/api/v1/directory/users/" + user + "?include=policy-users",
			[]string{"Authorization", "Bearer " + viewOnly}, want{403, "forbidden"}},
		{"profile without directory.identity.view", "GET", "/api/v1/directory/identities/" + identity,
			[]string{"Authorization", "Bearer " + viewOnly}, want{403, "forbidden"}},
		{"no token", "GET", "/api/identities/" + user, []string{"Authorization", ""}, want{401, "unauthenticated"}},
		{"bad token", "GET", "/api/v1/users", []string{"Authorization", "Bearer idg_nope"}, want{401, "unauthenticated"}},
		{"unknown review identity", "GET", "/api/identities/d4a7e2b1-3f5c-4a8d-9e6b-1c2d3e4f5a6b", nil, want{404, "not_found"}},
		{"tenant header missing", "GET", "/v1/users/" + user + "/identities", nil, want{400, "bad_request"}},
		{"tenant header of another tenant", "GET", "/v1/users/" + user + "/identities",
			[]string{"X-Tenant-ID", "other"}, want{403, "tenant_mismatch"}},
		{"api key of another tenant", "GET", "/v1/users/" + user + "/identities",
			[]string{"Authorization", "", "X-API-Key", otherToken, "X-Tenant-ID", "demo"}, want{403, "tenant_mismatch"}},
		{"no api key", "GET", "/v1/users/" + user + "/identities", []string{"Authorization", "", "X-Tenant-ID", "demo"}, want{401, "unauthenticated"}},
		{"unknown route", "GET", "/api/v2/users", nil, want{404, "not_found"}},
		{"wrong method", "PATCH", "/api/v1/users/" + user, nil, want{405, "method_not_allowed"}},
	}
	for _, tc := range cases {
		a := c.do(tc.method, tc.path, nil, tc.headers...)
		codeKey, correlation := "error", pluck(a.body, "correlationId")
		if strings.HasPrefix(tc.path, "/v1/") {
			codeKey, correlation = "code", pluck(a.body, "details.correlationId")
		}
		if a.Status != tc.want.status || pluck(a.body, codeKey) != tc.want.code || pluck(a.body, "message") == "" {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.Status, a.Body, tc.want.status, tc.want.code)
		}
		if correlation != a.Header.Get("X-Correlation-ID") || correlation == "" {
			t.Errorf("%s: correlation id %v, header %q", tc.name, correlation, a.Header.Get("X-Correlation-ID"))
		}
		if tc.want.status == 401 && a.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
		if tc.want.status == 405 && a.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", tc.name)
		}
	}
	a := c.do("GET", "/api/identities/d4a7e2b1-3f5c-4a8d-9e6b-1c2d3e4f5a6b", nil)
	if pluck(a.body, "message") != "Identity with id d4a7e2b1-3f5c-4a8d-9e6b-1c2d3e4f5a6b not found" {
		t.Errorf("seed 002's 404 message: %s", a.Body)
	}
	// Counts the token may not read are left out, not refused.
	a = c.do("GET", "/api/v1/directory/users/"+user, nil, "Authorization", "Bearer "+viewOnly)
	count := pluck(a.body, "count").(map[string]any)
	if a.Status != 200 || count["policy_users"] != nil || count["workspace_logs_subject"] != nil || count["directory_identities"] == nil {
		t.Errorf("a view-only token's counts: %d %v", a.Status, count)
	}
}

// TestRESTLookups: every REST path takes idgraph's id or the source system's,
// and records with an external id answer with it (seeds 002-004).
func TestRESTLookups(t *testing.T) {
	srv := graphtest.New(t, 60)
	c := newRESTClient(t, srv)
	data := graphQL(t, srv, `{ users(first: 1, where: {hasIdentities: true, hasManager: true}) { nodes { id
		identities(first: 1) { nodes { id } } } } }`, nil)
	user := pluck(data, "users.nodes[].id").([]any)[0].(string)
	identity := pluck(data, "users.nodes[].identities.nodes").([]any)[0].([]any)[0].(map[string]any)["id"].(string)
	guid, identityGUID := "15679071-4a5e-41e3-a495-5d93b478257b", "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0"
	graphQL(t, srv, `mutation($u: ID!, $g: String!) { updateUser(input: {id: $u, externalId: $g}) { user { id } } }`,
		map[string]any{"u": user, "g": guid})
	srv.DB.Client.Identity.UpdateOneID(identity).SetExternalID(identityGUID).ExecX(viewer.System(t.Context()))

	gql := graphQL(t, srv, `query($id: ID!) { user(id: $id) { id firstName lastName email type title company division department office
		createdAt updatedAt deprovisionedAt manager { firstName lastName } privacyPolicyAgreedAt emailVerified
		identities(first: 100) { nodes { id vendorId email username displayName linkedBy lastSyncedAt createdAt
		integration { id name vendor } } } } }`, map[string]any{"id": user})
	u := pluck(gql, "user")
	for _, path := range []string{user, guid} {
		a := c.do("GET", "/api/identities/"+path, nil)
		samePaths(t, "review "+path, a.body, u, "firstName", "firstName", "lastName", "lastName", "emailAddress", "email",
			"title", "title", "company", "company", "division", "division", "department", "department", "office", "office",
			"createdDate", "createdAt", "updatedDate", "updatedAt", "inactivatedDate", "deprovisionedAt")
		m := pluck(u, "manager").(map[string]any)
		if a.Status != 200 || pluck(a.body, "id") != guid || pluck(a.body, "kind") != "Identity" || pluck(a.body, "status") != "Active" ||
			pluck(a.body, "supervisorName") != fmt.Sprintf("%s, %s", m["lastName"], m["firstName"]) {
			t.Errorf("review %s: %s", path, a.Body)
		}
		a = c.do("GET", "/api/v1/users/"+path, nil)
		samePaths(t, "account "+path, a.body, u, "first_name", "firstName", "email", "email", "created_at", "createdAt",
			"privacy_policy_agreed_at", "privacyPolicyAgreedAt", "metadata.email_verified", "emailVerified")
		if a.Status != 200 || pluck(a.body, "id") != guid || pluck(a.body, "metadata.user_id") != guid {
			t.Errorf("account %s: %s", path, a.Body)
		}
		a = c.do("GET", "/v1/users/"+path+"/identities", nil, "Authorization", "", "X-API-Key", srv.Token, "X-Tenant-ID", "demo")
		samePaths(t, "linked "+path, a.body, u, "data[].external_id", "identities.nodes[].vendorId",
			"data[].provider_name", "identities.nodes[].integration.name", "data[].provider_type", "identities.nodes[].integration.vendor",
			"data[].external_email", "identities.nodes[].email", "data[].last_synced_at", "identities.nodes[].lastSyncedAt",
			"data[].created_at", "identities.nodes[].createdAt")
		if a.Status != 200 || pluck(a.body, "data[].id").([]any)[0] != identityGUID || pluck(a.body, "data[].user_id").([]any)[0] != guid {
			t.Errorf("linked %s: %s", path, a.Body)
		}
	}
	gqlIdentity := graphQL(t, srv, `query($id: ID!) { identity(id: $id) { id state vendorId email username displayName profile
		provisionedAt lastAuthenticatedAt integration { id vendor handle domain isPrimary } user { id email } } }`, map[string]any{"id": identity})
	for _, path := range []string{identity, identityGUID} {
		a := c.do("GET", "/api/v1/directory/identities/"+path, nil)
		samePaths(t, "directory identity "+path, a.body, pluck(gqlIdentity, "identity"), "state", "state", "vendor_id", "vendorId",
			"email", "email", "username", "username", "display_name", "displayName", "profile", "profile",
			"timestamp.provisioned_at", "provisionedAt", "timestamp.last_authenticated_at", "lastAuthenticatedAt",
			"included.workspace_integration.id", "integration.id", "included.workspace_integration.vendor", "integration.vendor",
			"included.workspace_integration.domain", "integration.domain", "included.workspace_integration.is_primary", "integration.isPrimary",
			"included.directory_user.email", "user.email")
		if a.Status != 200 || pluck(a.body, "id") != identity || pluck(a.body, "included.directory_user.id") != user {
			t.Errorf("directory identity %s: %s", path, a.Body)
		}
	}
	// The tenant header takes the tenant's id as well as its slug.
	var v struct {
		Viewer struct{ Tenant struct{ ID string } }
	}
	srv.Query(t, `{ viewer { tenant { id } } }`, nil).Decode(t, &v)
	if a := c.do("GET", "/v1/users/"+guid+"/identities", nil, "X-Tenant-ID", v.Viewer.Tenant.ID); a.Status != 200 {
		t.Errorf("X-Tenant-ID by id: %d %s", a.Status, a.Body)
	}
}

// TestRESTAccountUsers: the user API's list, create, get, update and delete,
// through the same mutations (and audit log) as GraphQL.
func TestRESTAccountUsers(t *testing.T) {
	srv := graphtest.New(t, 45)
	c := newRESTClient(t, srv)
	var want struct {
		Users struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	srv.Query(t, `{ users(first: 100) { totalCount nodes { id } } }`, nil).Decode(t, &want)
	var listed []any
	next := "/api/v1/users?rpp=20"
	for pages := 0; next != ""; pages++ {
		a := c.do("GET", next, nil)
		if a.Status != 200 || a.Header.Get("X-Total-Results-Count") != fmt.Sprint(want.Users.TotalCount) || pages > 5 {
			t.Fatalf("%s: %d %v %.200s", next, a.Status, a.Header, a.Body)
		}
		listed = append(listed, pluck(map[string]any{"l": a.body}, "l[].id").([]any)...)
		next = ""
		if link := a.Header.Get("Link"); link != "" {
			next = strings.TrimSuffix(strings.TrimPrefix(strings.Split(link, ";")[0], "<"), ">")
		}
	}
	if len(listed) != want.Users.TotalCount {
		t.Fatalf("listed %d users, the connection has %d", len(listed), want.Users.TotalCount)
	}
	for i, n := range want.Users.Nodes {
		if listed[i] != n.ID {
			t.Fatalf("user %d: %v, want %s", i, listed[i], n.ID)
		}
	}
	if a := c.do("GET", "/api/v1/users?rpp=500", nil); a.Status != 400 {
		t.Errorf("rpp=500: %d", a.Status)
	}

	// Create: 201 with the record; the seed's rules for names.
	a := c.do("POST", "/api/v1/users", map[string]any{"email": "John.Young@provide.local", "first_name": "John", "last_name": "Young",
		"privacy_policy_agreed_at": "2021-02-09T14:37:33Z"})
	if a.Status != 201 || pluck(a.body, "name") != "John Young" || pluck(a.body, "privacy_policy_agreed_at") != "2021-02-09T14:37:33Z" {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	id := pluck(a.body, "id").(string)
	for name, body := range map[string]any{
		"a password":        map[string]any{"email": "p@provide.local", "password": "hunter2"},
		"an unknown member": map[string]any{"email": "u@provide.local", "nickname": "x"},
		"no email":          map[string]any{"first_name": "No"},
		"a bad address":     map[string]any{"email": "a@b"},
	} {
		if a := c.do("POST", "/api/v1/users", body); a.Status != 400 || pluck(a.body, "error") == nil {
			t.Errorf("create with %s: %d %s", name, a.Status, a.Body)
		}
	}
	if a := c.do("POST", "/api/v1/users", map[string]any{"email": "john.young@PROVIDE.local"}); a.Status != 409 {
		t.Errorf("the same address in other case: %d %s", a.Status, a.Body)
	}
	// Update: 204; a member left out keeps its value, null clears.
	if a := c.do("PUT", "/api/v1/users/"+id, map[string]any{"last_name": "Younger", "privacy_policy_agreed_at": nil}); a.Status != 204 || len(a.Body) != 0 {
		t.Fatalf("update: %d %s", a.Status, a.Body)
	}
	a = c.do("GET", "/api/v1/users/"+id, nil)
	if pluck(a.body, "last_name") != "Younger" || pluck(a.body, "first_name") != "John" || pluck(a.body, "privacy_policy_agreed_at") != nil {
		t.Errorf("after update: %s", a.Body)
	}
	// By the source system's id: the path's GUID finds the user to change.
	guid := "49a02f33-33f2-4d69-a301-ffb1933e77cc"
	graphQL(t, srv, `mutation($id: ID!, $g: String!) { updateUser(input: {id: $id, externalId: $g}) { user { id } } }`,
		map[string]any{"id": id, "g": guid})
	if a := c.do("PUT", "/api/v1/users/"+guid, map[string]any{"first_name": "Jon"}); a.Status != 204 {
		t.Fatalf("update by GUID: %d %s", a.Status, a.Body)
	}
	if a := c.do("GET", "/api/v1/users/"+guid, nil); pluck(a.body, "first_name") != "Jon" || pluck(a.body, "id") != guid {
		t.Errorf("after the update by GUID: %s", a.Body)
	}
	if a := c.do("PUT", "/api/v1/users/0000-no-such-guid", map[string]any{"first_name": "X"}); a.Status != 404 ||
		pluck(a.body, "message") != "User with id 0000-no-such-guid not found" {
		t.Errorf("update of an unknown GUID: %d %s", a.Status, a.Body)
	}
	// Delete: 204, then 404.
	if a := c.do("DELETE", "/api/v1/users/"+id, nil); a.Status != 204 {
		t.Fatalf("delete: %d %s", a.Status, a.Body)
	}
	if a := c.do("GET", "/api/v1/users/"+id, nil); a.Status != 404 {
		t.Errorf("get after delete: %d", a.Status)
	}
	if a := c.do("DELETE", "/api/v1/users/"+id, nil); a.Status != 404 {
		t.Errorf("delete twice: %d", a.Status)
	}
	var log struct {
		AuditEvents struct{ Nodes []struct{ Action string } }
	}
	srv.Query(t, `query($id: String!) { auditEvents(first: 10, where: {recordId: $id}, orderBy: [{field: OCCURRED_AT}]) { nodes { action } } }`,
		map[string]any{"id": id}).Decode(t, &log)
	var actions []string
	for _, n := range log.AuditEvents.Nodes {
		actions = append(actions, n.Action)
	}
	if strings.Join(actions, ",") != "user.created,user.updated,user.updated,user.updated,user.deleted" {
		t.Errorf("audit log of the REST writes: %v", actions)
	}
	// A body that is not JSON, or too large.
	req := httptest.NewRequest("POST", "/api/v1/users", strings.NewReader("email=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if raw := srv.Do(t, req); raw.Status != http.StatusUnsupportedMediaType {
		t.Errorf("a form post: %d", raw.Status)
	}
}
