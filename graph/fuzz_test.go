package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
)

// Fuzz targets for what clients control: the HTTP body, and the where filters
// that become SQL. Whatever they send, the answer is JSON with a status below
// 500 and no INTERNAL_SERVER_ERROR: bad input is the client's, with its code.
// CI runs each for a bounded time (.ci/run); the seeds below and
// testdata/fuzz are the corpus.

func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("the answer is not JSON (%d): %.300s", rec.Code, rec.Body)
	}
	for _, e := range out.Errors {
		if e.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
			t.Fatalf("internal error: %.500s", rec.Body)
		}
	}
}

func FuzzTransport(f *testing.F) {
	srv := graphtest.New(f, 10)
	for _, seed := range []string{
		`{"query":"{ users(first: 2) { nodes { id } } }"}`,
		`{"query":"query($n: Int) { users(first: $n) { totalCount } }","variables":{"n":3}}`,
		`{"query":"mutation { createUser(input: {email: \"a@b.io\"}) { user { id } } }"}`,
		`[{"query":"{ viewer { permissions } }"}]`,
		`{"query":"{ node(id: \"drusr_x\") { id } }"}`,
		`{"query":1}`, `{"variables":[]}`, `null`, `{"query":"{","operationName":7}`,
		`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkAnswer(t, postBody(srv, body)) })
}

func FuzzWhere(f *testing.F) {
	srv := graphtest.New(f, 20)
	for _, seed := range []string{
		`{}`, `{"state":"active"}`, `{"and":[{"state":"active"},{}]}`, `{"or":[{"emailHasPrefix":"a"},{"not":{"hasManager":true}}]}`,
		`{"hasIdentitiesWith":[{"hasIntegrationWith":[{"vendor":"okta"}]}]}`, `{"emailIn":["x",1,null]}`,
		`{"createdAtGT":"yesterday"}`, `{"idIn":["drusr_01"]}`, `{"hasManagerWith":[{"hasManagerWith":[{"fullNameContainsFold":"%_"}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, where []byte) {
		var w any
		if json.Unmarshal(where, &w) != nil {
			return
		}
		body, _ := json.Marshal(map[string]any{
			"query":     `query($w: UserWhereInput) { users(first: 3, where: $w) { totalCount nodes { id manager { id } } } }`,
			"variables": map[string]any{"w": w},
		})
		checkAnswer(t, postBody(srv, body))
	})
}

// postBody posts body to /graphql as JSON with the server's token.
func postBody(srv *graphtest.Server, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	rec := httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, req)
	return rec
}

// FuzzREST: whatever path, query, method, headers and body a client sends to
// the REST endpoints, the answer is JSON (or an empty 204) with a status
// below 500.
func FuzzREST(f *testing.F) {
	srv := graphtest.New(f, 10)
	var data struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(f, `{ users(first: 1) { nodes { id } } }`, nil).Decode(f, &data)
	user := data.Users.Nodes[0].ID
	for _, seed := range []struct{ method, path, body string }{
		{"GET", "/api/v1/directory/users/" + user + "?include=policy-users,secondary-users-exists", ""},
		{"GET", "/api/v1/directory/users/" + user + "?include=,,&include=x", ""},
		{"GET", "/api/v1/directory/identities/dridt_zz", ""},
		{"GET", "/api/identities/%00", ""},
		{"GET", "/api/v1/users?rpp=1&after=bm9wZQ", ""},
		{"POST", "/api/v1/users", `{"email":"a@b.io","first_name":"A","privacy_policy_agreed_at":"x"}`},
		{"PUT", "/api/v1/users/" + user, `{"app_metadata":{"a":[1,{"b":null}]},"email":null}`},
		{"DELETE", "/api/v1/users/nope", ""},
		{"GET", "/v1/users/" + user + "/identities", ""},
		{"PATCH", "/api/v1/users", "[]"},
	} {
		f.Add(seed.method, seed.path, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		req, err := http.NewRequest(method, "http://idgraph"+path, bytes.NewReader([]byte(body)))
		if err != nil || req.URL.Path == "" || req.URL.Path[0] != '/' {
			return // not a request a client can send
		}
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Tenant-ID", "demo")
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s: status %d: %s\nlog: %.2000s", method, path, rec.Code, rec.Body, srv.Logs.String())
		}
		// A path that is not clean (/api//0) is redirected to its clean form,
		// as for every route: a redirect has no JSON to give.
		redirect := rec.Code >= 300 && rec.Code < 400
		if rec.Code != http.StatusNoContent && !redirect && !json.Valid(rec.Body.Bytes()) &&
			(strings.HasPrefix(req.URL.Path, "/api/") || strings.HasPrefix(req.URL.Path, "/v1/")) {
			t.Fatalf("%s %s: the answer is not JSON (%d): %.300s", method, path, rec.Code, rec.Body)
		}
	})
}
