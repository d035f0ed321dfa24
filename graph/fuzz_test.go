package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
