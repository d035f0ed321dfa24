// Package graphtest runs idgraph's real HTTP handler over a real, seeded SQLite
// file for tests and benchmarks.
package graphtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/seed"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Server is a handler over a seeded database.
type Server struct {
	DB      *store.DB
	Handler http.Handler
	Seed    seed.Report
	Logs    *bytes.Buffer
	// Token is an API token of tenant demo with every permission; Do sends it
	// unless the request carries its own Authorization header.
	Token string
	Auth  *auth.Authenticator
}

// New seeds users directory users (tenant demo, seed 1) into a fresh SQLite file
// in a temp dir and builds the handler over it.
func New(tb testing.TB, users int) *Server {
	tb.Helper()
	return NewAt(tb, storetest.DSN(tb, "idgraph.db"), users, graph.Options{})
}

// NewAt is New with an explicit database path and handler options.
func NewAt(tb testing.TB, path string, users int, opts graph.Options) *Server {
	tb.Helper()
	ctx := context.Background()
	db, err := store.OpenWith(ctx, path, store.Options{CacheMiB: 256})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var report seed.Report
	if users > 0 {
		if report, err = seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: users, Seed: 1}); err != nil {
			tb.Fatal(err)
		}
		if err := db.Analyze(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	logs := &bytes.Buffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	}
	if opts.Auth == nil {
		// Tokens are read once per test: a refresh in the middle would add
		// statements to the request that happens to trigger it.
		opts.Auth = auth.NewAuthenticator(db.Client, auth.Options{CacheTTL: time.Hour})
	}
	srv := &Server{DB: db, Handler: graph.NewHandler(db, opts), Seed: report, Logs: logs, Auth: opts.Auth}
	if exists, err := db.Client.Tenant.Query().Where(tenant.Slug("demo")).Exist(viewer.System(ctx)); err != nil {
		tb.Fatal(err)
	} else if exists {
		srv.Token = srv.TokenFor(tb, "demo", viewer.All)
	}
	return srv
}

// TokenFor issues a token of tenant with the permissions and authenticates one
// request with it, so that the statements of later requests are their own.
func (s *Server) TokenFor(tb testing.TB, tenant string, permissions ...string) string {
	tb.Helper()
	token, _, err := auth.Issue(context.Background(), s.DB.Client, auth.IssueOptions{Tenant: tenant, Permissions: permissions})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Auth.Authenticate(context.Background(), "Bearer "+token); err != nil {
		tb.Fatalf("new token refused: %v", err)
	}
	return token
}

// SeedTenant adds another organisation (seed 2) beside demo.
func (s *Server) SeedTenant(tb testing.TB, slug string, users int) seed.Report {
	tb.Helper()
	report, err := seed.Run(context.Background(), s.DB, seed.Options{Tenant: slug, Users: users, Seed: 2})
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.DB.Analyze(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return report
}

// Response is a decoded GraphQL response.
type Response struct {
	Status     int
	Header     http.Header
	Data       json.RawMessage `json:"data"`
	Errors     []Error         `json:"errors"`
	Statements int64
}

// Error is one entry of a response's errors.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Query posts a query with variables as demo's all-permissions token and decodes
// the answer, counting the SQL statements it cost.
func (s *Server) Query(tb testing.TB, query string, vars map[string]any) Response {
	tb.Helper()
	return s.QueryAs(tb, s.Token, query, vars)
}

// QueryAs is Query with another token.
func (s *Server) QueryAs(tb testing.TB, token, query string, vars map[string]any) Response {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	return s.Do(tb, req)
}

// Do sends a request, adding the server's token when it has no Authorization
// header and a JSON content type to a POST without one, and decodes the answer.
func (s *Server) Do(tb testing.TB, req *http.Request) Response {
	tb.Helper()
	if _, ok := req.Header["Authorization"]; !ok && s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	return s.Send(tb, req)
}

// Send sends a request exactly as given and decodes the answer.
func (s *Server) Send(tb testing.TB, req *http.Request) Response {
	tb.Helper()
	raw := s.SendRaw(tb, req)
	resp := Response{Status: raw.Status, Header: raw.Header, Statements: raw.Statements}
	if err := json.Unmarshal(raw.Body, &resp); err != nil {
		tb.Fatalf("response is not JSON (%d): %s", raw.Status, raw.Body)
	}
	return resp
}

// RawResponse is an answer as it came, for endpoints other than /graphql.
type RawResponse struct {
	Status     int
	Header     http.Header
	Body       []byte
	Statements int64
}

// SendRaw sends a request exactly as given (a POST without a content type gets
// JSON's) and returns the answer undecoded, with the SQL statements it cost.
func (s *Server) SendRaw(tb testing.TB, req *http.Request) RawResponse {
	tb.Helper()
	if _, ok := req.Header["Content-Type"]; !ok && req.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	before := s.DB.Statements.Total()
	s.Handler.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	return RawResponse{Status: rec.Code, Header: rec.Header(), Body: body, Statements: s.DB.Statements.Total() - before}
}

// Decode unmarshals the response's data into v.
func (r Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Data, err)
	}
}

// Codes lists the errors' codes in order.
func (r Response) Codes() []string {
	codes := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		codes[i] = e.Code()
	}
	return codes
}
