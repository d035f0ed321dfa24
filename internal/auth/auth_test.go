package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/apitoken"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*store.DB, *clock) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Client.Tenant.Create().SetSlug("demo").SetName("Demo").Save(viewer.System(ctx)); err != nil {
		t.Fatal(err)
	}
	return db, &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func issue(t *testing.T, db *store.DB, opts auth.IssueOptions) string {
	t.Helper()
	if opts.Tenant == "" {
		opts.Tenant = "demo"
	}
	if opts.Permissions == nil {
		opts.Permissions = []string{viewer.DirectoryUserView}
	}
	token, _, err := auth.Issue(context.Background(), db.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestAuthenticate(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	past, future := clk.t.Add(-time.Hour), clk.t.Add(time.Hour)
	valid := issue(t, db, auth.IssueOptions{Permissions: []string{viewer.PolicyView}, ExpiresAt: &future})
	expired := issue(t, db, auth.IssueOptions{ExpiresAt: &past})
	revoked := issue(t, db, auth.IssueOptions{})
	if err := auth.Revoke(ctx, db.Client, strings.Split(revoked, ".")[0], clk.t.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	id, secret, _ := strings.Cut(valid, ".")
	tampered := id + "." + strings.Repeat("A", len(secret))
	unknown := "tok_01hk240nm02rnpwbehf8hmr4wz." + secret

	a := auth.NewAuthenticator(db.Client, auth.Options{Now: clk.now})
	cases := []struct {
		name, header, err string
	}{
		{"valid", "Bearer " + valid, ""},
		{"scheme in any case", "bearer " + valid, ""},
		{"missing", "", "missing Authorization header"},
		{"basic auth", "Basic dXNlcjpwYXNz", "malformed Authorization header"},
		{"no token", "Bearer", "malformed Authorization header"},
		{"not a token", "Bearer hello", "malformed token"},
		{"wrong id type", "Bearer drusr_01hk240nm02rnpwbehf8hmr4wz." + secret, "malformed token"},
		{"short secret", "Bearer " + id + ".abc", "malformed token"},
		{"tampered secret", "Bearer " + tampered, "invalid token"},
		{"unknown id", "Bearer " + unknown, "invalid token"},
		{"expired", "Bearer " + expired, "token expired"},
		{"revoked", "Bearer " + revoked, "token revoked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := a.Authenticate(ctx, tc.header)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if v.TenantSlug != "demo" || v.TenantName != "Demo" || !v.Can(viewer.PolicyView) || v.Can(viewer.AuditView) {
					t.Fatalf("viewer %+v", v)
				}
				return
			}
			e, ok := apierror.As(err)
			if !ok || e.Code != apierror.CodeUnauthenticated || !strings.Contains(e.Message, tc.err) {
				t.Fatalf("error %v, want UNAUTHENTICATED %q", err, tc.err)
			}
		})
	}
}

// TestCachedTokensCostNoSQLAndRevocationBites: within the cache lifetime a token
// is checked without SQL; after it, a revocation made elsewhere is seen.
func TestCachedTokensCostNoSQLAndRevocationBites(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	token := issue(t, db, auth.IssueOptions{})
	a := auth.NewAuthenticator(db.Client, auth.Options{Now: clk.now, CacheTTL: 5 * time.Second})
	if _, err := a.Authenticate(ctx, "Bearer "+token); err != nil {
		t.Fatal(err)
	}
	before := db.Statements.Total()
	for range 100 {
		if _, err := a.Authenticate(ctx, "Bearer "+token); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.Statements.Total() - before; n != 0 {
		t.Fatalf("100 cached authentications sent %d statements, want 0", n)
	}
	if err := auth.Revoke(ctx, db.Client, strings.Split(token, ".")[0], clk.t); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(6 * time.Second)
	if _, err := a.Authenticate(ctx, "Bearer "+token); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token accepted after the cache lifetime: %v", err)
	}
}

func TestLastUsedAtIsWrittenByFlushNotByRequests(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	token := issue(t, db, auth.IssueOptions{})
	id := strings.Split(token, ".")[0]
	a := auth.NewAuthenticator(db.Client, auth.Options{Now: clk.now})
	for range 3 {
		if _, err := a.Authenticate(ctx, "Bearer "+token); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(time.Second)
	}
	row := db.Client.ApiToken.Query().Where(apitoken.ID(id)).OnlyX(viewer.System(ctx))
	if row.LastUsedAt != nil {
		t.Fatalf("a request wrote lastUsedAt")
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	row = db.Client.ApiToken.Query().Where(apitoken.ID(id)).OnlyX(viewer.System(ctx))
	if want := clk.t.Add(-time.Second); row.LastUsedAt == nil || !row.LastUsedAt.Equal(want) {
		t.Fatalf("lastUsedAt %v, want %v", row.LastUsedAt, want)
	}
	before := db.Statements.Total()
	if err := a.Flush(ctx); err != nil || db.Statements.Total() != before {
		t.Fatalf("an idle flush wrote: %v", err)
	}
}

func TestIssueAndRevokeErrors(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	if _, _, err := auth.Issue(ctx, db.Client, auth.IssueOptions{Tenant: "nope", Permissions: []string{"*"}}); err == nil {
		t.Fatal("issued a token for a missing tenant")
	}
	if err := auth.Revoke(ctx, db.Client, "tok_01hk240nm02rnpwbehf8hmr4wz", clk.t); err == nil {
		t.Fatal("revoked a missing token")
	}
	token := issue(t, db, auth.IssueOptions{Name: "ci"})
	tokens, err := auth.List(ctx, db.Client)
	if err != nil || len(tokens) != 1 || tokens[0].Name != "ci" || tokens[0].Edges.Tenant.Slug != "demo" {
		t.Fatalf("list: %v %+v", err, tokens)
	}
	if strings.Contains(tokens[0].String(), strings.Split(token, ".")[1]) || strings.Contains(tokens[0].String(), tokens[0].SecretHash) {
		t.Fatal("the token's secret or hash shows in its string form")
	}
}

func TestParseLifetime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration // 0: never
		err  bool
	}{
		{"90d", 90 * 24 * time.Hour, false},
		{"12h", 12 * time.Hour, false},
		{"never", 0, false},
		{"", 0, false},
		{"0d", 0, true},
		{"-1h", 0, true},
		{"soon", 0, true},
		{"xd", 0, true},
	}
	for _, tc := range cases {
		got, err := auth.ParseLifetime(tc.in, now)
		if (err != nil) != tc.err {
			t.Errorf("%q: error %v", tc.in, err)
			continue
		}
		if tc.err {
			continue
		}
		if (tc.want == 0) != (got == nil) || (got != nil && got.Sub(now) != tc.want) {
			t.Errorf("%q: got %v, want +%v", tc.in, got, tc.want)
		}
	}
}

func TestParsePermissions(t *testing.T) {
	if p, err := viewer.ParsePermissions("policy.view, audit.view,policy.view"); err != nil || strings.Join(p, ",") != "policy.view,audit.view" {
		t.Fatalf("got %v %v", p, err)
	}
	for _, bad := range []string{"", "policy.veiw", "*,root"} {
		if _, err := viewer.ParsePermissions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestUnknownTokensAreRememberedForATTL: a token id with no row costs one
// SELECT per cache lifetime, not one per request; a token issued under a
// remembered id would be found once the lifetime passes.
func TestUnknownTokensAreRememberedForATTL(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	token := issue(t, db, auth.IssueOptions{})
	id, secret, _ := strings.Cut(token, ".")
	if err := db.Client.ApiToken.DeleteOneID(id).Exec(viewer.System(ctx)); err != nil {
		t.Fatal(err)
	}
	a := auth.NewAuthenticator(db.Client, auth.Options{Now: clk.now, CacheTTL: 5 * time.Second})
	before := db.Statements.Total()
	for range 100 {
		if _, err := a.Authenticate(ctx, "Bearer "+id+"."+secret); err == nil {
			t.Fatal("a deleted token was accepted")
		}
	}
	if n := db.Statements.Total() - before; n != 1 {
		t.Fatalf("100 requests with an unknown token sent %d statements, want 1", n)
	}
	clk.t = clk.t.Add(6 * time.Second)
	_, _ = a.Authenticate(ctx, "Bearer "+id+"."+secret)
	if n := db.Statements.Total() - before; n != 2 {
		t.Fatalf("after the lifetime: %d statements, want 2", n)
	}
}
