package graph_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

func TestErrors(t *testing.T) {
	srv := graphtest.New(t, 50)
	missingUser := "drusr_01hk240nm02rnpwbehf8hmr4wz"
	cases := []struct {
		name     string
		query    string
		status   int
		codes    []string
		nullData bool // there is no data: the operation did not run
	}{
		{"unknown user id", `{ user(id: "` + missingUser + `") { id } }`, 200, []string{"NOT_FOUND"}, false},
		{"unknown node id", `{ node(id: "wsint_01hk240nm02rnpwbehf8hmr4wz") { id } }`, 200, []string{"NOT_FOUND"}, false},
		{"malformed id", `{ user(id: "nope") { id } }`, 200, []string{"BAD_USER_INPUT"}, false},
		{"id of another type", `{ user(id: "dridt_01hk240nm02rnpwbehf8hmr4wz") { id } }`, 200, []string{"BAD_USER_INPUT"}, false},
		{"malformed node id", `{ node(id: "drusr_notaulid") { id } }`, 200, []string{"BAD_USER_INPUT"}, false},
		{"malformed cursor", `{ users(first: 2, after: "garbage!") { nodes { id } } }`, 200, []string{"BAD_USER_INPUT"}, false},
		{"malformed time", `{ users(first: 1, where: {createdAtGT: "yesterday"}) { nodes { id } } }`, 200, []string{"BAD_USER_INPUT"}, false},
		{"first above the cap", `{ users(first: 101) { nodes { id } } }`, 200, []string{"BAD_USER_INPUT"}, true},
		{"first below zero", `{ users(first: -1) { nodes { id } } }`, 200, []string{"BAD_USER_INPUT"}, true},
		{"last above the cap", `{ identities(last: 1000) { nodes { id } } }`, 200, []string{"BAD_USER_INPUT"}, true},
		{"nested first above the cap", `{ users(first: 1) { nodes { directReports(first: 500) { totalCount } } } }`, 200, []string{"BAD_USER_INPUT"}, true},
		{"syntax error", `{ users(first: 1 { nodes { id } } }`, 200, []string{"GRAPHQL_PARSE_FAILED"}, true},
		{"unknown field", `{ users(first: 1) { nodes { nope } } }`, 200, []string{"GRAPHQL_VALIDATION_FAILED"}, true},
		{"unknown enum value", `{ users(first: 1, where: {state: asleep}) { nodes { id } } }`, 200, []string{"GRAPHQL_VALIDATION_FAILED"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.Query(t, tc.query, nil)
			if resp.Status != tc.status {
				t.Errorf("status %d, want %d", resp.Status, tc.status)
			}
			if got := strings.Join(resp.Codes(), ","); got != strings.Join(tc.codes, ",") {
				t.Fatalf("codes %s, want %v: %+v", got, tc.codes, resp.Errors)
			}
			e := resp.Errors[0]
			if e.Extensions["correlationId"] == "" || e.Extensions["correlationId"] != resp.Header.Get("X-Correlation-ID") {
				t.Errorf("correlationId %v does not match header %q", e.Extensions["correlationId"], resp.Header.Get("X-Correlation-ID"))
			}
			if tc.nullData != (string(resp.Data) == "null" || len(resp.Data) == 0) {
				t.Errorf("data = %s", resp.Data)
			}
			if tc.codes[0] == "BAD_USER_INPUT" && !strings.Contains(tc.name, "cursor") && !strings.Contains(tc.name, "time") &&
				!strings.Contains(tc.name, "id") && !strings.Contains(e.Message, "100") {
				t.Errorf("page-size error does not state the limit: %q", e.Message)
			}
		})
	}
}

func TestNodesReportsEachBadIDAtItsIndex(t *testing.T) {
	srv := graphtest.New(t, 20)
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &out)
	real := out.Users.Nodes[0].ID
	resp := srv.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
		map[string]any{"ids": []string{real, "bad", "drusr_01hk240nm02rnpwbehf8hmr4wz"}})
	if got := strings.Join(resp.Codes(), ","); got != "BAD_USER_INPUT,NOT_FOUND" {
		t.Fatalf("codes %s: %+v", got, resp.Errors)
	}
	if want := `{"nodes":[{"id":"` + real + `"},null,null]}`; string(resp.Data) != want {
		t.Fatalf("data %s, want %s", resp.Data, want)
	}
	for i, e := range resp.Errors {
		if len(e.Path) != 2 || e.Path[1] != float64(i+1) {
			t.Errorf("error %d path %v", i, e.Path)
		}
	}
}

// TestPanicIsMaskedAndServerCarriesOn makes one resolver panic: the client sees an
// INTERNAL_SERVER_ERROR without the panic text or a stack, the log has both, and the
// next request is served normally.
func TestPanicIsMaskedAndServerCarriesOn(t *testing.T) {
	boom := func(ctx context.Context, next graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc.Field.Name == "department" {
			panic("secret database detail")
		}
		return next(ctx)
	}
	srv := graphtest.NewAt(t, storetest.DSN(t, "p.db"), 10, graph.Options{FieldMiddleware: []graphql.FieldMiddleware{boom}})
	resp := srv.Query(t, `{ users(first: 2) { nodes { fullName department } } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("errors %+v", resp.Errors)
	}
	body := string(resp.Data)
	for _, e := range resp.Errors {
		body += e.Message
	}
	if strings.Contains(body, "secret") || strings.Contains(body, "goroutine") {
		t.Errorf("panic detail leaked to the client: %s", body)
	}
	if !strings.Contains(srv.Logs.String(), "secret database detail") || !strings.Contains(srv.Logs.String(), "goroutine") {
		t.Errorf("panic not logged with its stack")
	}
	if ok := srv.Query(t, `{ users(first: 1) { totalCount } }`, nil); len(ok.Errors) > 0 || ok.Status != 200 {
		t.Fatalf("server did not carry on: %+v", ok)
	}
}

func TestHealthz(t *testing.T) {
	srv := graphtest.New(t, 0)
	rec := httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Fatalf("healthz: %d %q", rec.Code, rec.Body.String())
	}
}

// TestResolverErrorIsMasked: an error a resolver returns (a database failure,
// say) reaches the client as INTERNAL_SERVER_ERROR without its text, and the log
// has the text with the request's correlation id.
func TestResolverErrorIsMasked(t *testing.T) {
	fail := func(ctx context.Context, next graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc.Field.Name == "manager" {
			return nil, errors.New("sqlite: no such table: secret_users")
		}
		return next(ctx)
	}
	srv := graphtest.NewAt(t, storetest.DSN(t, "m.db"), 10, graph.Options{FieldMiddleware: []graphql.FieldMiddleware{fail}})
	resp := srv.Query(t, `{ users(first: 1) { nodes { fullName manager { id } } } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "INTERNAL_SERVER_ERROR" || strings.Contains(resp.Errors[0].Message, "secret") {
		t.Fatalf("errors %+v", resp.Errors)
	}
	if !strings.Contains(string(resp.Data), `"fullName"`) {
		t.Fatalf("the rest of the answer is gone: %s", resp.Data)
	}
	id := resp.Header.Get("X-Correlation-ID")
	if !strings.Contains(srv.Logs.String(), "secret_users") || !strings.Contains(srv.Logs.String(), id) {
		t.Fatalf("not logged with correlation id %s:\n%s", id, srv.Logs.String())
	}
}
