package graph_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

const exportQuery = `query($dept: String) { users(where: {department: $dept}, orderBy: [{field: FULL_NAME}]) {
	nodes { id fullName state manager { fullName } counts { identities } identities { nodes { vendorId } } } } }`

// exportAs posts body to /export with accept and token.
func exportAs(t *testing.T, srv *graphtest.Server, token, accept string, body any) *httptest.ResponseRecorder {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, "/export", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, req)
	return rec
}

// pagedUsers pages through the same connection with /graphql, 100 at a time.
func pagedUsers(t *testing.T, srv *graphtest.Server, dept any) []map[string]any {
	t.Helper()
	var all []map[string]any
	after := any(nil)
	for {
		var out struct {
			Users struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []map[string]any
			}
		}
		srv.Query(t, `query($dept: String, $after: Cursor) { users(first: 100, after: $after, where: {department: $dept}, orderBy: [{field: FULL_NAME}]) {
			pageInfo { hasNextPage endCursor }
			nodes { id fullName state manager { fullName } counts { identities } identities { nodes { vendorId } } } } }`,
			map[string]any{"dept": dept, "after": after}).Decode(t, &out)
		all = append(all, out.Users.Nodes...)
		if !out.Users.PageInfo.HasNextPage {
			return all
		}
		after = out.Users.PageInfo.EndCursor
	}
}

// TestExportEqualsPaging streams 10,000 users as NDJSON and as CSV and holds
// both to what paging through the connection returns.
func TestExportEqualsPaging(t *testing.T) {
	srv := graphtest.New(t, 10_000)
	want := pagedUsers(t, srv, nil)
	if len(want) < 10_000 {
		t.Fatalf("paging found %d users", len(want))
	}

	rec := exportAs(t, srv, srv.Token, "", map[string]any{"query": exportQuery})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("NDJSON export: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()[:min(300, rec.Body.Len())])
	}
	var got []map[string]any
	lines := bufio.NewScanner(rec.Body)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		var row map[string]any
		if err := json.Unmarshal(lines.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", len(got)+1, err)
		}
		got = append(got, row)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the export has %d rows, paging %d; they differ", len(got), len(want))
	}
	if rec.Header().Get("X-Export-Rows") != "10000" && rec.Header().Get("X-Export-Rows") != itoa(len(want)) {
		t.Errorf("X-Export-Rows %q", rec.Header().Get("X-Export-Rows"))
	}

	// CSV: one column per leaf, nested objects flattened, lists joined.
	rec = exportAs(t, srv, srv.Token, "text/csv", map[string]any{"query": exportQuery, "variables": map[string]any{"dept": "Engineering"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("CSV export: %d %s", rec.Code, rec.Body.String())
	}
	body := rec.Body.Bytes()
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"id", "fullName", "state", "manager.fullName", "counts.identities", "identities.nodes.vendorId"}
	if !reflect.DeepEqual(records[0], header) {
		t.Errorf("header %v, want %v", records[0], header)
	}
	engineers := pagedUsers(t, srv, "Engineering")
	if len(records)-1 != len(engineers) {
		t.Fatalf("%d CSV rows, %d engineers", len(records)-1, len(engineers))
	}
	for i, u := range engineers {
		row := records[i+1]
		manager, _ := u["manager"].(map[string]any)
		var vendorIDs []string
		for _, n := range u["identities"].(map[string]any)["nodes"].([]any) {
			vendorIDs = append(vendorIDs, n.(map[string]any)["vendorId"].(string))
		}
		wantRow := []string{u["id"].(string), u["fullName"].(string), u["state"].(string), "", itoa(int(u["counts"].(map[string]any)["identities"].(float64))), strings.Join(vendorIDs, "; ")}
		if manager != nil {
			wantRow[3] = manager["fullName"].(string)
		}
		if !reflect.DeepEqual(row, wantRow) {
			t.Fatalf("row %d: %v, want %v", i, row, wantRow)
		}
	}
	// And Python's csv module reads the same header and row count.
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("IDGRAPH_BROWSER_TEST") == "required" {
			t.Fatal("python3 is needed to open the CSV")
		}
		t.Log("python3 not found: the CSV was read with encoding/csv only")
		return
	}
	file := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", `import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(",".join(rows[0].keys()), len(rows))`, file).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if want := strings.Join(header, ",") + " " + itoa(len(engineers)); strings.TrimSpace(string(out)) != want {
		t.Errorf("Python reads %q, want %q", strings.TrimSpace(string(out)), want)
	}
}

// TestExportRefusals: what cannot be exported is refused before any row,
// with a status and a code; the log records exports.
func TestExportRefusals(t *testing.T) {
	srv := graphtest.NewAt(t, storetest.DSN(t, "export.db"), 300, graph.Options{Limits: graph.Limits{MaxExportRows: 100}})
	for _, tc := range []struct {
		name, token string
		body        any
		status      int
		code        string
	}{
		{"more rows than the limit", srv.Token, map[string]any{"query": `{ users { nodes { id } } }`}, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
		{"not a connection", srv.Token, map[string]any{"query": `{ viewer { permissions } }`}, http.StatusBadRequest, "BAD_REQUEST"},
		{"two roots", srv.Token, map[string]any{"query": `{ users { nodes { id } } identities { nodes { id } } }`}, http.StatusBadRequest, "BAD_REQUEST"},
		{"a mutation", srv.Token, map[string]any{"query": `mutation { deleteUser(input: {id: "drusr_01hk30epq00s8nm2t8dxwwg949"}) { user { id } } }`}, http.StatusBadRequest, "BAD_REQUEST"},
		{"no rows selected", srv.Token, map[string]any{"query": `{ users { totalCount } }`}, http.StatusBadRequest, "BAD_REQUEST"},
		{"an unknown field", srv.Token, map[string]any{"query": `{ users { nodes { salary } } }`}, http.StatusBadRequest, "GRAPHQL_VALIDATION_FAILED"},
		{"broken JSON", srv.Token, `{"query": `, http.StatusBadRequest, "BAD_REQUEST"},
		{"a bad token", "nope", map[string]any{"query": `{ users { nodes { id } } }`}, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"no permission", srv.TokenFor(t, "demo", "audit.view"), map[string]any{"query": `{ users(where: {state: suspended}) { nodes { id } } }`}, http.StatusForbidden, "FORBIDDEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			if s, ok := tc.body.(string); ok {
				req := httptest.NewRequest(http.MethodPost, "/export", strings.NewReader(s))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tc.token)
				rec = httptest.NewRecorder()
				srv.Handler.ServeHTTP(rec, req)
			} else {
				rec = exportAs(t, srv, tc.token, "", tc.body)
			}
			var out struct {
				Errors []struct{ Extensions map[string]any }
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if rec.Code != tc.status || len(out.Errors) == 0 || out.Errors[0].Extensions["code"] != tc.code {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body.String(), tc.status, tc.code)
			}
		})
	}

	rec := exportAs(t, srv, srv.Token, "", map[string]any{"query": `{ users(where: {state: suspended}) { nodes { id } } }`})
	rows := strings.Count(rec.Body.String(), "\n")
	if rec.Code != http.StatusOK || rows == 0 {
		t.Fatalf("export of suspended users: %d, %d rows", rec.Code, rows)
	}
	var logged struct {
		AuditEvents struct {
			Nodes []struct {
				Actor   string
				Changes map[string]struct{ After any }
			}
		}
	}
	srv.Query(t, `{ auditEvents(where: {action: "data.exported"}) { nodes { actor changes } } }`, nil).Decode(t, &logged)
	if len(logged.AuditEvents.Nodes) != 1 {
		t.Fatalf("%d export entries in the log, want 1", len(logged.AuditEvents.Nodes))
	}
	fields := map[string]any{}
	for name, c := range logged.AuditEvents.Nodes[0].Changes {
		fields[name] = c.After
	}
	if fields["root"] != "users" || fields["rows"] != float64(rows) || fields["format"] != "application/x-ndjson" {
		t.Errorf("logged %v, want root users, %d rows", fields, rows)
	}
}

// TestAliasedTotalCountCounts: a root total under an alias is the total, not
// the page's length (the export asks for it under its own name).
func TestAliasedTotalCountCounts(t *testing.T) {
	srv := graphtest.New(t, 150)
	var out struct {
		Users struct{ Total, Plain int }
	}
	srv.Query(t, `{ users(first: 10) { total: totalCount plain: totalCount nodes { id } } }`, nil).Decode(t, &out)
	if out.Users.Total < 150 || out.Users.Total != out.Users.Plain {
		t.Errorf("aliased totals %d and %d, want the number of users", out.Users.Total, out.Users.Plain)
	}
}
