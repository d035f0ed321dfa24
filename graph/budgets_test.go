package graph_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/graph/querylimit"
)

// budgetCase is a request that a limit must refuse before any SQL runs.
type budgetCase struct {
	name, query string
	vars        map[string]any
	code        string
	limit       string // the extension naming what was measured
}

// hostileInputs are the inputs that once took the server's memory and time:
// large or deep values sent as variables, which no limit on the query text saw,
// and aliases that multiplied statements.
func hostileInputs() []budgetCase {
	many := func(n int, v func(int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = v(i)
		}
		return out
	}
	deep := map[string]any{"hasManager": false}
	for range 4000 {
		deep = map[string]any{"hasManagerWith": []any{deep}}
	}
	aliases := func(n int, field string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return b.String()
	}
	nestedFilter := `{hasIdentitiesWith: [{hasResourcesWith: [{hasIntegrationWith: [{hasIdentitiesWith: [{hasUserWith: [{emailHasPrefix: "s"}]}]}]}]}]}`
	return []budgetCase{
		{"30,000 edge filters in a variable", `query($w: UserWhereInput) { users(where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"hasIdentitiesWith": many(30_000, func(int) any { return map[string]any{"emailContains": "N"} })}},
			"BAD_USER_INPUT", "inputList"},
		{"300 edge filters in a variable", `query($w: UserWhereInput) { users(where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"hasIdentitiesWith": many(300, func(int) any { return map[string]any{"emailContains": "N"} })}},
			"QUERY_TOO_COMPLEX", "inputObjects"},
		{"an edge filter nested 4,000 deep in a variable", `query($w: UserWhereInput) { users(where: $w) { totalCount } }`,
			map[string]any{"w": deep}, "QUERY_TOO_COMPLEX", "inputDepth"},
		{"30,000 or branches", `query($w: UserWhereInput) { users(where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"or": many(30_000, func(i int) any { return map[string]any{"email": fmt.Sprint(i)} })}},
			"BAD_USER_INPUT", "inputList"},
		{"40,000 values in emailIn", `query($e: [String!]) { users(where: {emailIn: $e}) { totalCount } }`,
			map[string]any{"e": many(40_000, func(i int) any { return fmt.Sprint(i, "@x.io") })}, "BAD_USER_INPUT", "inputList"},
		{"a 60 KB pattern", `query($p: String) { users(where: {emailContains: $p}) { totalCount } }`,
			map[string]any{"p": strings.Repeat("%_", 30_000)}, "BAD_USER_INPUT", "inputString"},
		{"240 aliased filtered counts under a page", `{ users(first: 100) { nodes {` +
			aliases(240, `directReports(where: `+nestedFilter+`) { totalCount }`) + ` } } }`,
			nil, "QUERY_TOO_COMPLEX", "inputObjects"},
		{"240 aliased counts under a page", `{ users(first: 100) { nodes {` +
			aliases(240, `directReports(first: 1) { totalCount }`) + ` } } }`,
			nil, "QUERY_TOO_COMPLEX", "statements"},
		{"249 aliased root counts", `{` + aliases(249, `users { totalCount }`) + ` }`, nil, "QUERY_TOO_COMPLEX", "statements"},
	}
}

// TestInputBudgets: each hostile input is refused with its code and the limit
// it crossed, before a single statement, and the server answers normally after.
func TestInputBudgets(t *testing.T) {
	srv := graphtest.New(t, 30)
	for _, tc := range hostileInputs() {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.Query(t, tc.query, tc.vars)
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != tc.code || resp.Errors[0].Extensions[tc.limit] == nil {
				t.Fatalf("errors %+v, want one %s naming %s", resp.Errors, tc.code, tc.limit)
			}
			if resp.Statements != 0 {
				t.Errorf("%d statements sent before refusing", resp.Statements)
			}
		})
	}
	if resp := srv.Query(t, normalQuery, nil); len(resp.Errors) > 0 {
		t.Fatalf("normal query after hostile ones: %+v", resp.Errors)
	}
}

// TestInputBudgetsAdmitRealQueries: filters people write stay well inside the
// input limits: nested edge filters, an or of a dozen branches, a list of
// a few hundred emails.
func TestInputBudgetsAdmitRealQueries(t *testing.T) {
	srv := graphtest.New(t, 100)
	emails := make([]any, 500)
	for i := range emails {
		emails[i] = fmt.Sprint("user", i, "@demo.example.com")
	}
	branches := make([]any, 12)
	for i := range branches {
		branches[i] = map[string]any{"hasManagerWith": []any{map[string]any{"department": fmt.Sprint("D", i)}}}
	}
	for name, q := range map[string]struct {
		query string
		vars  map[string]any
	}{
		"nested edge filters": {`{ users(where: {hasManagerWith: [{hasManagerWith: [{hasIdentitiesWith: [{hasIntegrationWith: [{vendor: okta}]}]}]}]}) { totalCount } }`, nil},
		"a dozen branches":    {`query($w: UserWhereInput) { users(where: $w) { totalCount } }`, map[string]any{"w": map[string]any{"or": branches}}},
		"500 emails":          {`query($e: [String!]) { users(where: {emailIn: $e}) { totalCount } }`, map[string]any{"e": emails}},
		"the profile page":    {profileQuery, map[string]any{"id": profileUserID(t, srv)}},
	} {
		if resp := srv.Query(t, q.query, q.vars); len(resp.Errors) > 0 {
			t.Errorf("%s: %+v", name, resp.Errors)
		}
	}
}

// TestStatementBudget: a request that sends more statements than its budget
// (twice --max-statements) is stopped with QUERY_TOO_COMPLEX, and a write it was
// making is rolled back whole.
func TestStatementBudget(t *testing.T) {
	srv := graphtest.New(t, 30)
	tight := *srv
	tight.Handler = graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth,
		Limits: graph.Limits{Limits: querylimit.Limits{MaxStatements: 1}}})
	usersBefore, eventsBefore := counts(t, srv)
	resp := tight.Query(t, `mutation { createUser(input: {email: "budget@example.com", firstName: "B", lastName: "Udget"}) { user { id } } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("want QUERY_TOO_COMPLEX from the statement budget, got %+v", resp.Errors)
	}
	if resp.Statements > 2 {
		t.Errorf("%d statements sent against a budget of 2", resp.Statements)
	}
	if u, e := counts(t, srv); u != usersBefore || e != eventsBefore {
		t.Fatalf("the stopped write was kept: users %d→%d, events %d→%d", usersBefore, u, eventsBefore, e)
	}
}

// BenchmarkHostileInputs reports what refusing each hostile input costs (run
// with -benchmem): the bytes a request allocates stay far below 64 MB.
func BenchmarkHostileInputs(b *testing.B) {
	srv := graphtest.New(b, 30)
	for _, tc := range hostileInputs() {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if resp := srv.Query(b, tc.query, tc.vars); len(resp.Errors) == 0 {
					b.Fatal("not refused")
				}
			}
		})
	}
}

// TestForgedCursorsAndLongIdsAreBadInput: a cursor no page handed out (values
// of the wrong count or shape) and a 100 KB id are the client's mistakes:
// BAD_USER_INPUT, the id echoed at most 100 bytes, nothing logged as an error.
func TestForgedCursorsAndLongIdsAreBadInput(t *testing.T) {
	srv := graphtest.New(t, 10)
	enc := func(v any) string {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawStdEncoding.EncodeToString(b)
	}
	for name, cursor := range map[string]string{
		"three values for one order": enc(map[string]any{"i": "drusr_x", "v": []any{1, 2, 3}}),
		"a map":                      enc(map[string]any{"i": "drusr_x", "v": map[string]any{"a": 1}}),
		"a scalar":                   enc(map[string]any{"i": "drusr_x", "v": 5}),
		"a map inside the values":    enc(map[string]any{"i": "drusr_x", "v": []any{map[string]any{"a": 1}}}),
		"not a cursor at all":        enc(5),
	} {
		resp := srv.Query(t, `query($c: Cursor) { users(first: 2, after: $c, orderBy: [{field: FULL_NAME}]) { totalCount } }`, map[string]any{"c": cursor})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: %+v", name, resp.Errors)
		}
	}
	for _, id := range []string{"drusr_" + strings.Repeat("a", 100_000), strings.Repeat("z", 100_000)} {
		resp := srv.Query(t, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": id})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || len(resp.Errors[0].Message) > 200 {
			t.Errorf("a 100 KB id: %d errors, first %.300v", len(resp.Errors), resp.Errors)
		}
	}
	if strings.Contains(srv.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("client mistakes were logged as errors:\n%.2000s", srv.Logs.String())
	}
}

// TestResponseFieldBudget: a response stops growing at --max-response-fields:
// the fields past it fail with QUERY_TOO_COMPLEX and are not resolved.
func TestResponseFieldBudget(t *testing.T) {
	srv := graphtest.New(t, 30)
	small := *srv
	small.Handler = graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth, Limits: graph.Limits{MaxResponseFields: 40}})
	resp := small.Query(t, `{ users(first: 30) { nodes { id email fullName } } }`, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "QUERY_TOO_COMPLEX" || resp.Errors[0].Extensions["responseFields"] == nil {
		t.Fatalf("want QUERY_TOO_COMPLEX naming responseFields, got %+v", resp.Errors)
	}
	if n := strings.Count(string(resp.Data), `"email":"`); n > 13 {
		t.Errorf("%d emails in a response limited to 40 fields", n)
	}
	if ok := small.Query(t, `{ users(first: 5) { nodes { id } } }`, nil); len(ok.Errors) > 0 {
		t.Errorf("a small response: %+v", ok.Errors)
	}
}

// BenchmarkWorstAdmittedQuery reports what the largest query the default limits
// admit costs (run with -benchmem): managers with four 100-row pages of reports
// each, every scalar field, about 80,000 field values, cut at the 60,000 of
// --max-response-fields.
func BenchmarkWorstAdmittedQuery(b *testing.B) {
	srv := graphtest.New(b, 2000)
	var page strings.Builder
	page.WriteString(`{ users(first: 100, where: {hasDirectReports: true}) { nodes { ` + allUserFields)
	for i := range 4 {
		fmt.Fprintf(&page, ` r%d: directReports(first: 100) { totalCount nodes { %s } }`, i, allUserFields)
	}
	page.WriteString(` } } }`)
	b.ReportAllocs()
	for range b.N {
		srv.Query(b, page.String(), nil)
	}
}

// TestOnePageSizeSetting: the page limits of the handler drive the default
// page, the first/last check, the cost model and the schema's descriptions.
func TestOnePageSizeSetting(t *testing.T) {
	srv := graphtest.New(t, 30)
	small := *srv
	small.Handler = graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth,
		Limits: graph.Limits{Limits: querylimit.Limits{DefaultPage: 3, MaxPage: 5}}})
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	small.Query(t, `{ users { nodes { id } } }`, nil).Decode(t, &out)
	if len(out.Users.Nodes) != 3 {
		t.Errorf("default page: %d rows, want 3", len(out.Users.Nodes))
	}
	if resp := small.Query(t, `{ users(first: 6) { nodes { id } } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("first above the page limit: %+v", resp.Errors)
	}
	if resp := small.Query(t, `query($n: Int) { users(last: $n) { nodes { id } } }`, map[string]any{"n": 6}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("last above the page limit, as a variable: %+v", resp.Errors)
	}
	const docs = `{ __type(name: "User") { fields { name args { name description } } } }`
	for _, s := range []struct {
		srv  graphtest.Server
		want string
	}{{*srv, "(at most 100)"}, {small, "(at most 5)"}} {
		resp := s.srv.Query(t, docs, nil)
		described := strings.Count(string(resp.Data), s.want)
		if described < 5 || strings.Count(string(resp.Data), "(at most") != described {
			t.Errorf("the first and last of User's connections say %s %d times: %s", s.want, described, resp.Data)
		}
	}
}
