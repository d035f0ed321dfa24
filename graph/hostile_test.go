package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Hostile input: each case states the exact status and error code it gets,
// that a request refused before execution sent no SQL at all, and that the
// server answers a normal query afterwards.

const normalQuery = `{ users(first: 2) { totalCount nodes { fullName } } }`

func post(body string) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
}

func postQuery(query string) *http.Request {
	b, _ := jsonMarshal(map[string]any{"query": query})
	return httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
}

func repeat(s string, n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.ReplaceAll(s, "#", itoa(i))
	}
	return strings.Join(parts, sep)
}

func nested(depth int) string {
	return strings.Repeat("manager { ", depth) + "id" + strings.Repeat(" }", depth)
}

func TestHostileInput(t *testing.T) {
	srv := graphtest.New(t, 30)
	var ten struct {
		Users struct {
			Edges []struct{ Cursor string }
		}
	}
	srv.Query(t, `{ users(first: 3) { edges { cursor } } }`, nil).Decode(t, &ten)
	cursor := ten.Users.Edges[2].Cursor
	tampered := cursor[:len(cursor)-4] + "%!*~" // no longer base64 of a cursor
	var doubling strings.Builder
	doubling.WriteString(`{ viewer { tenant { ...F0 } } } fragment F30 on Tenant { id }`)
	for i := range 30 {
		fmt.Fprintf(&doubling, " fragment F%d on Tenant { a: id ...F%d b: id ...F%d }", i, i+1, i+1)
	}

	cases := []struct {
		name   string
		req    *http.Request
		status int
		code   string
		noSQL  bool // refused before execution
	}{
		{"alias bomb", postQuery("{ " + repeat("a#: users(first: 100) { nodes { id } }", 1000, " ") + " }"), 200, "QUERY_TOO_COMPLEX", true},
		{"cost bomb within the field cap", postQuery(`{ users(first: 100) { nodes { directReports(first: 100) { nodes { identities(first: 100) { nodes { id } } } } } } }`),
			200, "QUERY_TOO_COMPLEX", true},
		{"manager chain 50 deep", postQuery("{ users(first: 1) { nodes { " + nested(50) + " } } }"), 200, "QUERY_TOO_COMPLEX", true},
		{"directReports 50 deep", postQuery("{ users(first: 1) { nodes { " + strings.Repeat("directReports(first: 1) { nodes { ", 50) + "id" + strings.Repeat(" } }", 50) + " } } }"),
			200, "QUERY_TOO_COMPLEX", true},
		{"fragment cycle", postQuery(`{ users(first: 1) { nodes { ...A } } } fragment A on User { manager { ...B } } fragment B on User { manager { ...A } }`),
			200, "GRAPHQL_VALIDATION_FAILED", true},
		{"fragment that doubles 30 times", postQuery(doubling.String()), 200, "QUERY_TOO_COMPLEX", true},
		{"first: 1000000", postQuery(`{ users(first: 1000000) { nodes { id } } }`), 200, "BAD_USER_INPUT", true},
		{"first: -1", postQuery(`{ users(first: -1) { nodes { id } } }`), 200, "BAD_USER_INPUT", true},
		{"nested last: 1000", postQuery(`{ users(first: 1) { nodes { identities(last: 1000) { totalCount } } } }`), 200, "BAD_USER_INPUT", true},
		{"forged cursor", postQuery(`{ users(first: 2, after: "'; DROP TABLE users; --") { nodes { id } } }`), 200, "BAD_USER_INPUT", true},
		{"tampered cursor", postQuery(`{ users(first: 2, after: "` + tampered + `") { nodes { id } } }`), 200, "BAD_USER_INPUT", true},
		{"another tenant's kind of id", postQuery(`{ node(id: "tnt_01jzzzzzzzzzzzzzzzzzzzzzzz") { id } }`), 200, "NOT_FOUND", true},
		{"10 MB string", post(`{"query": "{ users { totalCount } }", "variables": {"x": "` + strings.Repeat("x", 10<<20) + `"}}`), 413, "PAYLOAD_TOO_LARGE", true},
		{"invalid UTF-8", post("{\"query\": \"{ users(where: {fullName: \\\"\xff\xfe\\\"}) { totalCount } }\"}"), 400, "BAD_REQUEST", true},
		{"a NUL in a filter", post(`{"query": "{ users(where: {fullName: \"a\\u0000b\"}) { totalCount } }"}`), 200, "BAD_USER_INPUT", true},
		{"a NUL in a variable's JSON", post(`{"query": "mutation($m: Map) { createUser(input: {email: \"n@x.io\", metadata: $m}) { user { id } } }", "variables": {"m": {"k": "\u0000"}}}`),
			200, "BAD_USER_INPUT", true},
		{"malformed JSON", post(`{"query": "{ users { totalCount } }"`), 400, "BAD_REQUEST", true},
		{"JSON of the wrong shape", post(`{"query": 42}`), 400, "BAD_REQUEST", true},
		{"trailing garbage", post(`{"query": "{ viewer { permissions } }"} {"query": "x"}`), 400, "BAD_REQUEST", true},
		{"empty body", post(``), 400, "BAD_REQUEST", true},
		{"wrong content type", func() *http.Request {
			r := post(`query={ users { totalCount } }`)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), 415, "UNSUPPORTED_MEDIA_TYPE", true},
		{"1,000 batched operations", post("[" + repeat(`{"query": "{ users { totalCount } }"}`, 1000, ",") + "]"), 400, "BAD_REQUEST", true},
		{"a directive 1,000 times", postQuery("{ users(first: 1) " + strings.Repeat("@include(if: true) ", 1000) + "{ totalCount } }"),
			200, "GRAPHQL_VALIDATION_FAILED", true},
		{"10,000 unknown fields", postQuery("{ " + repeat("f#", 10_000, " ") + " }"), 200, "GRAPHQL_VALIDATION_FAILED", true},
		{"20,000 fields: past the parser's token limit", postQuery("{ " + repeat("f#", 20_000, " ") + " }"), 200, "GRAPHQL_PARSE_FAILED", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			resp := srv.Do(t, tc.req)
			if resp.Status != tc.status || len(resp.Errors) == 0 || resp.Errors[0].Code() != tc.code {
				t.Fatalf("status %d, codes %v, want %d %s: %.300v", resp.Status, resp.Codes(), tc.status, tc.code, resp.Errors)
			}
			if tc.noSQL && resp.Statements != 0 {
				t.Errorf("a request refused before execution sent %d SQL statements", resp.Statements)
			}
			if n := len(resp.Errors); n > 21 || (n == 21 && resp.Errors[20].Code() != "TOO_MANY_ERRORS") {
				t.Errorf("%d errors in one response, the last %+v", n, resp.Errors[n-1])
			}
			for _, e := range resp.Errors {
				if len(e.Message) > 1000 || strings.Contains(e.Message, "xxxxxxxxxx") {
					t.Errorf("an error quotes the request back: %.200s", e.Message)
				}
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %s", elapsed)
			}
			if ok := srv.Query(t, normalQuery, nil); ok.Status != 200 || len(ok.Errors) > 0 {
				t.Fatalf("the next normal query failed: %d %+v", ok.Status, ok.Errors)
			}
		})
	}
}

// TestStringFiltersArePlainText: LIKE wildcards, quotes, backslashes and SQL in
// string filters match only themselves.
func TestStringFiltersArePlainText(t *testing.T) {
	srv := graphtest.New(t, 30)
	ctx := viewer.System(context.Background())
	odd := `Zoë 100%_off \ 'quoted' "double"; DROP TABLE users; --`
	if _, err := srv.DB.Client.User.Create().SetTenantID(srv.Seed.TenantID).SetEmail("odd@example.com").SetFullName(odd).Save(ctx); err != nil {
		t.Fatal(err)
	}
	cases := map[string]int{
		"%": 1, "_": 1, `\`: 1, "'": 1, `"`: 1, "; DROP TABLE users; --": 1, "100%_off": 1,
		"%%": 0, "__": 0, `\\`: 0, "' OR '1'='1": 0, "0%_o%": 0, "*": 0,
	}
	for needle, want := range cases {
		var out struct{ Users struct{ TotalCount int } }
		srv.Query(t, `query($s: String!) { users(where: {fullNameContains: $s}) { totalCount } }`, map[string]any{"s": needle}).Decode(t, &out)
		if out.Users.TotalCount != want {
			t.Errorf("fullNameContains %q matched %d users, want %d", needle, out.Users.TotalCount, want)
		}
	}
	var out struct{ Users struct{ TotalCount int } }
	srv.Query(t, `query($s: String!) { users(where: {fullName: $s}) { totalCount } }`, map[string]any{"s": odd}).Decode(t, &out)
	if out.Users.TotalCount != 1 {
		t.Errorf("exact match on the odd name found %d", out.Users.TotalCount)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
