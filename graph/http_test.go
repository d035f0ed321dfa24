package graph_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// GraphQL over HTTP: methods, media types, status codes and authentication.
func TestHTTP(t *testing.T) {
	srv := graphtest.New(t, 10)
	get := func(query string, vars string) *http.Request {
		v := url.Values{"query": {query}}
		if vars != "" {
			v.Set("variables", vars)
		}
		return httptest.NewRequest(http.MethodGet, "/graphql?"+v.Encode(), nil)
	}
	with := func(r *http.Request, header, value string) *http.Request {
		r.Header.Set(header, value)
		return r
	}
	cases := []struct {
		name        string
		req         *http.Request
		status      int
		code        string // first error's code; "" for none
		contentType string
		header      string // a response header that must be set, "Name: value"
	}{
		{"POST query", postQuery(`{ users { totalCount } }`), 200, "", "application/json", ""},
		{"GET query", get(`query($n: Int) { users(first: $n) { totalCount } }`, `{"n": 1}`), 200, "", "application/json", ""},
		{"GET with broken variables", get(`{ users { totalCount } }`, `{"n":`), 400, "BAD_REQUEST", "application/json", ""},
		{"PUT", httptest.NewRequest(http.MethodPut, "/graphql", strings.NewReader(`{}`)), 405, "METHOD_NOT_ALLOWED", "application/json", "Allow: GET, POST"},
		{"OPTIONS without CORS", httptest.NewRequest(http.MethodOptions, "/graphql", nil), 405, "METHOD_NOT_ALLOWED", "application/json", "Allow: GET, POST"},
		{"text/plain", with(post(`{"query":"{ users { totalCount } }"}`), "Content-Type", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE", "application/json", ""},
		{"form", with(post(`query=x`), "Content-Type", "application/x-www-form-urlencoded"), 415, "UNSUPPORTED_MEDIA_TYPE", "application/json", ""},
		{"multipart", with(post("--b\r\n\r\nx\r\n--b--"), "Content-Type", "multipart/form-data; boundary=b"), 415, "UNSUPPORTED_MEDIA_TYPE", "application/json", ""},
		{"JSON in latin-1", with(post(`{"query":"{ users { totalCount } }"}`), "Content-Type", "application/json; charset=latin1"), 415, "UNSUPPORTED_MEDIA_TYPE", "application/json", ""},
		{"JSON with charset", with(postQuery(`{ users { totalCount } }`), "Content-Type", "application/json; charset=utf-8"), 200, "", "application/json", ""},
		{"accepts graphql-response+json", with(postQuery(`{ users { totalCount } }`), "Accept", "application/graphql-response+json"), 200, "", "application/graphql-response+json", ""},
		{"accepts both, prefers graphql-response+json", with(postQuery(`{ users { totalCount } }`), "Accept", "application/json;q=0.9, application/graphql-response+json"), 200, "", "application/graphql-response+json", ""},
		{"validation error as graphql-response+json", with(postQuery(`{ users { nope } }`), "Accept", "application/graphql-response+json"), 400, "GRAPHQL_VALIDATION_FAILED", "application/graphql-response+json", ""},
		{"parse error as graphql-response+json", with(postQuery(`{ users {`), "Accept", "application/graphql-response+json"), 400, "GRAPHQL_PARSE_FAILED", "application/graphql-response+json", ""},
		{"too complex as graphql-response+json", with(postQuery("{ users(first: 1) { nodes { "+nested(20)+" } } }"), "Accept", "application/graphql-response+json"), 400, "QUERY_TOO_COMPLEX", "application/graphql-response+json", ""},
		{"validation error as json", postQuery(`{ users { nope } }`), 200, "GRAPHQL_VALIDATION_FAILED", "application/json", ""},
		{"accepts only HTML", with(postQuery(`{ users { totalCount } }`), "Accept", "text/html"), 406, "NOT_ACCEPTABLE", "application/json", ""},
		{"no token", with(postQuery(`{ users { totalCount } }`), "Authorization", ""), 401, "UNAUTHENTICATED", "application/json", `WWW-Authenticate: Bearer realm="idgraph"`},
		{"basic auth", with(postQuery(`{ users { totalCount } }`), "Authorization", "Basic YTpi"), 401, "UNAUTHENTICATED", "application/json", ""},
		{"unknown token", with(postQuery(`{ users { totalCount } }`), "Authorization", "Bearer tok_01jzzzzzzzzzzzzzzzzzzzzzzz."+strings.Repeat("A", 43)), 401, "UNAUTHENTICATED", "application/json", ""},
		{"GET without a token", with(get(`{ users { totalCount } }`, ""), "Authorization", ""), 401, "UNAUTHENTICATED", "application/json", ""},
		{"persisted query not yet known", post(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("a", 64) + `"}}}`), 200, "PERSISTED_QUERY_NOT_FOUND", "application/json", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.Do(t, tc.req)
			code := ""
			if len(resp.Errors) > 0 {
				code = resp.Errors[0].Code()
			}
			if resp.Status != tc.status || code != tc.code {
				t.Fatalf("got %d %q, want %d %q: %+v", resp.Status, code, tc.status, tc.code, resp.Errors)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.contentType)
			}
			if name, value, ok := strings.Cut(tc.header, ": "); ok && resp.Header.Get(name) != value {
				t.Errorf("%s: %q, want %q", name, resp.Header.Get(name), value)
			}
			if tc.status == 401 && (len(resp.Data) != 0 || resp.Statements > 1) {
				t.Errorf("refused request: data %s, %d statements", resp.Data, resp.Statements)
			}
		})
	}
}

func TestPersistedQueries(t *testing.T) {
	srv := graphtest.New(t, 5)
	const query = `{ users { totalCount } }`
	const hash = "b8c1f7e4e0a3a7cb4f25f6a4b23f9a0d3a7ac76b8b4a7e98c2fd1f44ba6f4d83" // not the query's hash
	ext := func(h string) string { return `"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + h + `"}}` }
	real := sha256Hex(query)
	if resp := srv.Do(t, post(`{"query":"`+query+`",`+ext(hash)+`}`)); resp.Errors[0].Code() != "BAD_REQUEST" || !strings.Contains(resp.Errors[0].Message, "does not match") {
		t.Fatalf("wrong hash accepted: %+v", resp.Errors)
	}
	if resp := srv.Do(t, post(`{"query":"`+query+`",`+ext(real)+`}`)); len(resp.Errors) > 0 {
		t.Fatalf("registering: %+v", resp.Errors)
	}
	if resp := srv.Do(t, post(`{`+ext(real)+`}`)); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), "totalCount") {
		t.Fatalf("by hash: %s %+v", resp.Data, resp.Errors)
	}
	// Another tenant cannot tell, by sending the hash, that the query was registered.
	srv.SeedTenant(t, "acme", 3)
	other := post(`{` + ext(real) + `}`)
	other.Header.Set("Authorization", "Bearer "+srv.TokenFor(t, "acme", viewer.All))
	if resp := srv.Do(t, other); len(resp.Errors) != 1 || resp.Errors[0].Code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("another tenant's hash: %s %+v", resp.Data, resp.Errors)
	}
}

func TestBatchingWhenEnabled(t *testing.T) {
	srv := graphtest.NewAt(t, storetest.DSN(t, "b.db"), 5, graph.Options{Limits: graph.Limits{MaxBatch: 3}})
	rec := httptest.NewRecorder()
	req := post(`[{"query":"{ users { totalCount } }"}, {"query":"{ viewer { tenant { slug } } }"}]`)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	srv.Handler.ServeHTTP(rec, req)
	var out []struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 || len(out) != 2 || out[1].Data["viewer"] == nil {
		t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
	}
	if resp := srv.Do(t, post("["+repeat(`{"query":"{ users { totalCount } }"}`, 4, ",")+"]")); resp.Status != 400 || resp.Errors[0].Code() != "BAD_REQUEST" {
		t.Fatalf("4 operations with a limit of 3: %d %+v", resp.Status, resp.Errors)
	}
}

func TestCORS(t *testing.T) {
	preflight := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	closed := graphtest.New(t, 1)
	if rec := preflight(closed.Handler, "https://evil.example"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS open by default: %v", rec.Header())
	}
	req := postQuery(`{ users { totalCount } }`)
	req.Header.Set("Origin", "https://evil.example")
	if resp := closed.Do(t, req); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a cross-origin POST got an Allow-Origin header")
	}

	open := graphtest.NewAt(t, storetest.DSN(t, "c.db"), 1, graph.Options{Limits: graph.Limits{CORSOrigins: []string{"https://app.example"}}})
	if rec := preflight(open.Handler, "https://app.example"); rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("allowed origin refused: %d %v", rec.Code, rec.Header())
	}
	if rec := preflight(open.Handler, "https://evil.example"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin allowed: %v", rec.Header())
	}
	// The REST endpoints answer the same origins, with PUT and X-API-Key.
	req = httptest.NewRequest(http.MethodOptions, "/api/v1/users/someone", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-api-key") // as browsers send it: sorted, lower-case
	rec := httptest.NewRecorder()
	open.Handler.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "PUT") {
		t.Fatalf("REST preflight: %d %v", rec.Code, rec.Header())
	}
	req.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	open.Handler.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("REST preflight from another origin: %v", rec.Header())
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	on := graphtest.New(t, 1)
	if resp := on.Query(t, `{ __schema { queryType { name } } }`, nil); len(resp.Errors) > 0 {
		t.Fatalf("introspection on: %+v", resp.Errors)
	}
	if resp := on.Query(t, `{ userz { totalCount } }`, nil); !strings.Contains(resp.Errors[0].Message, "Did you mean") {
		t.Fatalf("suggestions on: %q", resp.Errors[0].Message)
	}
	off := graphtest.NewAt(t, storetest.DSN(t, "i.db"), 1, graph.Options{Limits: graph.Limits{DisableIntrospection: true}})
	if resp := off.Query(t, `{ __schema { queryType { name } } }`, nil); len(resp.Errors) == 0 || strings.Contains(string(resp.Data), "Query") {
		t.Fatalf("introspection off but answered: %s", resp.Data)
	}
	if resp := off.Query(t, `{ userz { totalCount } }`, nil); len(resp.Errors) == 0 || strings.Contains(resp.Errors[0].Message, "Did you mean") {
		t.Fatalf("suggestions with introspection off: %+v", resp.Errors)
	}
}

// TestTimeoutCancelsTheRequest: a request that outlives its limit gets
// REQUEST_TIMEOUT, its SQL is cancelled, and the server carries on.
func TestTimeoutCancelsTheRequest(t *testing.T) {
	stall := func(ctx context.Context, next graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc.Field.Name == "users" && fc.Field.Alias == "slow" {
			<-ctx.Done() // the SQL below then runs on a cancelled context
		}
		return next(ctx)
	}
	srv := graphtest.NewAt(t, storetest.DSN(t, "t.db"), 5, graph.Options{
		Limits:          graph.Limits{Timeout: 50 * time.Millisecond},
		FieldMiddleware: []graphql.FieldMiddleware{stall},
	})
	start := time.Now()
	resp := srv.Query(t, `{ slow: users { totalCount } }`, nil)
	if resp.Status != 200 || len(resp.Errors) != 1 || resp.Errors[0].Code() != "REQUEST_TIMEOUT" || !strings.Contains(resp.Errors[0].Message, "50ms") {
		t.Fatalf("%d %+v", resp.Status, resp.Errors)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("took %s", elapsed)
	}
	if ok := srv.Query(t, `{ users { totalCount } }`, nil); len(ok.Errors) > 0 {
		t.Fatalf("after a timeout: %+v", ok.Errors)
	}
}

// TestNoFieldStartsAfterTheDeadline: work that does not watch the context (here
// a pause in every field) stops at the time limit: no field resolver starts
// once the request is out of time, and the answer says REQUEST_TIMEOUT.
func TestNoFieldStartsAfterTheDeadline(t *testing.T) {
	var started, late atomic.Int64
	slowField := func(ctx context.Context, next graphql.Resolver) (any, error) {
		started.Add(1)
		if ctx.Err() != nil {
			late.Add(1)
		}
		time.Sleep(2 * time.Millisecond) // CPU-bound work that ignores ctx
		return next(ctx)
	}
	srv := graphtest.NewAt(t, storetest.DSN(t, "t.db"), 60, graph.Options{
		Limits:          graph.Limits{Timeout: 100 * time.Millisecond},
		FieldMiddleware: []graphql.FieldMiddleware{slowField},
	})
	// About 300 fields of 2 ms each: three times the limit.
	resp := srv.Query(t, `{ users(first: 60) { nodes { id fullName email state title } } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "REQUEST_TIMEOUT" {
		t.Fatalf("want REQUEST_TIMEOUT, got %+v", resp.Errors)
	}
	if late.Load() > 0 {
		t.Errorf("%d of %d fields started after the deadline", late.Load(), started.Load())
	}
	if started.Load() >= 300 {
		t.Errorf("every field ran (%d)", started.Load())
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestExpiredAndRevokedTokensGet401 goes through the HTTP handler: the refusal
// carries UNAUTHENTICATED, says why, and no data.
func TestExpiredAndRevokedTokensGet401(t *testing.T) {
	srv := graphtest.New(t, 3)
	ctx := context.Background()
	past := time.Now().Add(-time.Minute)
	expired, _, err := auth.Issue(ctx, srv.DB.Client, auth.IssueOptions{Tenant: "demo", Permissions: []string{"*"}, ExpiresAt: &past})
	if err != nil {
		t.Fatal(err)
	}
	revoked, row, err := auth.Issue(ctx, srv.DB.Client, auth.IssueOptions{Tenant: "demo", Permissions: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.Revoke(ctx, srv.DB.Client, row.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for token, why := range map[string]string{expired: "expired", revoked: "revoked"} {
		resp := srv.QueryAs(t, token, `{ users { totalCount } }`, nil)
		if resp.Status != 401 || len(resp.Errors) != 1 || resp.Errors[0].Code() != "UNAUTHENTICATED" ||
			!strings.Contains(resp.Errors[0].Message, why) || len(resp.Data) != 0 {
			t.Errorf("%s token: %d %+v %s", why, resp.Status, resp.Errors, resp.Data)
		}
	}
}

// TestExecutionSlots: with one slot, a request that arrives while another runs
// waits for it, and gets 503 REQUEST_TIMEOUT if its time limit passes first;
// the slot is free again afterwards.
func TestExecutionSlots(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	hold := func(ctx context.Context, next graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Alias == "held" {
			close(entered)
			<-release
		}
		return next(ctx)
	}
	srv := graphtest.NewAt(t, storetest.DSN(t, "slots.db"), 5, graph.Options{
		Limits:          graph.Limits{MaxConcurrent: 1, Timeout: 300 * time.Millisecond},
		FieldMiddleware: []graphql.FieldMiddleware{hold},
	})
	done := make(chan graphtest.Response)
	go func() { done <- srv.Query(t, `{ held: viewer { permissions } }`, nil) }()
	<-entered
	waiting := srv.Query(t, `{ viewer { permissions } }`, nil)
	if waiting.Status != http.StatusServiceUnavailable || len(waiting.Errors) != 1 || waiting.Errors[0].Code() != "REQUEST_TIMEOUT" {
		t.Errorf("a request waiting for the only slot: status %d, errors %+v", waiting.Status, waiting.Errors)
	}
	close(release)
	// The held request outlived its own limit while it waited: what it had
	// left to resolve is cut off, and nothing else goes wrong.
	for _, e := range (<-done).Errors {
		if e.Code() != "REQUEST_TIMEOUT" {
			t.Errorf("the running request: %+v", e)
		}
	}
	if after := srv.Query(t, `{ viewer { permissions } }`, nil); len(after.Errors) > 0 {
		t.Errorf("after the slot came back: %+v", after.Errors)
	}
}

// TestMetricsKeepOperationNamesPrivate: /metrics on the API address, readable
// by anyone, does not show the names tenants give their operations; on an
// operator's own address (Options.MetricsMux) it does, and the API address has
// no /metrics at all.
func TestMetricsKeepOperationNamesPrivate(t *testing.T) {
	srv := graphtest.New(t, 3)
	srv.Query(t, `query AcmeSecretReport { users { totalCount } }`, nil)
	get := func(h http.Handler) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec
	}
	if rec := get(srv.Handler); rec.Code != 200 || strings.Contains(rec.Body.String(), "AcmeSecretReport") ||
		!strings.Contains(rec.Body.String(), "idgraph_db_queries_total") {
		t.Errorf("public /metrics: %d, shows the operation name: %v", rec.Code, strings.Contains(rec.Body.String(), "AcmeSecretReport"))
	}
	private := *srv
	mux := http.NewServeMux()
	private.Handler = graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth, MetricsMux: mux})
	private.Query(t, `query AcmeSecretReport { users { totalCount } }`, nil)
	if rec := get(private.Handler); rec.Code != http.StatusNotFound {
		t.Errorf("/metrics on the API address with a metrics address: %d", rec.Code)
	}
	if rec := get(mux); !strings.Contains(rec.Body.String(), `operation="AcmeSecretReport"`) {
		t.Errorf("private /metrics lacks the operation's durations")
	}
}

// TestTooLargeBodyIsAnsweredToClientsThatSendFirst: a client that writes a
// 10 MB body in full before reading (as urllib and many SDKs do) receives the
// 413, not a connection reset.
func TestTooLargeBodyIsAnsweredToClientsThatSendFirst(t *testing.T) {
	srv := graphtest.New(t, 3)
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query": "` + strings.Repeat("x", 10<<20) + `"}`
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	head := fmt.Sprintf("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", srv.Token, len(body))
	if _, err := io.WriteString(conn, head+body); err != nil {
		t.Fatalf("the server stopped reading the body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
