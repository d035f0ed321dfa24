package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

// TestImportRoundTrip exports a seeded tenant through the REST endpoints
// (users and identities) and /export (resources and memberships), imports the
// files into an empty tenant with idgraph import, and finds every user,
// identity, membership and count again under its external id; a second
// import reports everything unchanged and writes no audit entry.
func TestImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "import.db")
	srv := graphtest.NewAt(t, dsn, 150, graph.Options{})
	dir := t.TempDir()

	get := func(path string) []byte {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp := srv.SendRaw(t, req)
		if resp.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.Status, resp.Body)
		}
		return bytes.TrimSpace(resp.Body)
	}
	export := func(query string) []map[string]any {
		body, _ := json.Marshal(map[string]any{"query": query})
		req := httptest.NewRequest(http.MethodPost, "/export", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		var rows []map[string]any
		for sc := bufio.NewScanner(rec.Body); sc.Scan(); {
			var row map[string]any
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatalf("/export: %v: %s", err, sc.Text())
			}
			rows = append(rows, row)
		}
		return rows
	}
	write := func(name string, lines [][]byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// Users: every page of the user API, then each user's directory record.
	var users [][]byte
	for next := "/api/v1/users?rpp=100"; next != ""; {
		req := httptest.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp := srv.SendRaw(t, req)
		var page []struct{ ID string }
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			t.Fatal(err)
		}
		for _, u := range page {
			users = append(users, get("/api/v1/directory/users/"+u.ID))
		}
		next = ""
		if link := resp.Header.Get("Link"); link != "" {
			next = strings.Trim(strings.Split(link, ";")[0], "<>")
		}
	}
	// Identities, each with its integration and user, by the directory API.
	var identities [][]byte
	for _, row := range export(`{ identities { nodes { id } } }`) {
		identities = append(identities, get("/api/v1/directory/identities/"+row["id"].(string)))
	}
	// Resources and memberships through /export.
	var resources, memberships [][]byte
	for _, row := range export(`{ resources { nodes { id kind vendorId name handle integration { id } } } }`) {
		line, _ := json.Marshal(map[string]any{"id": row["id"], "kind": row["kind"], "vendor_id": row["vendorId"], "name": row["name"],
			"handle": row["handle"], "workspace_integration_id": row["integration"].(map[string]any)["id"]})
		resources = append(resources, line)
	}
	for _, row := range export(`{ identities { nodes { id memberships(first: 100) { nodes { id } } } } }`) {
		for _, m := range row["memberships"].(map[string]any)["nodes"].([]any) {
			line, _ := json.Marshal(map[string]any{"resource_id": m.(map[string]any)["id"], "directory_identity_id": row["id"]})
			memberships = append(memberships, line)
		}
	}
	if len(users) != srv.Seed.Users || len(identities) == 0 || len(resources) == 0 || len(memberships) == 0 {
		t.Fatalf("exported %d users, %d identities, %d resources, %d memberships", len(users), len(identities), len(resources), len(memberships))
	}
	// Memberships first and users last: references resolve in any order.
	files := []string{write("memberships.ndjson", memberships), write("resources.ndjson", resources),
		write("identities.ndjson", identities), write("users.ndjson", users)}

	var out, errOut bytes.Buffer
	if err := run(ctx, append([]string{"import", "--db", dsn, "--tenant", "copy"}, files...), &out, &errOut); err != nil {
		t.Fatalf("import: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	wantCreated := map[string]int{"users": len(users), "identities": len(identities), "resources": len(resources), "memberships": len(memberships)}
	for kind, n := range wantCreated {
		if got := summaryRow(t, out.String(), kind); got[0] != n || got[3] != 0 {
			t.Errorf("first import, %s: created, updated, unchanged, refused = %v, want %d created\n%s", kind, got, n, out.String())
		}
	}

	copyToken := srv.TokenFor(t, "copy", "*")
	original, copied := snapshot(t, srv, srv.Token, false), snapshot(t, srv, copyToken, true)
	if len(original) != len(copied) {
		t.Fatalf("%d records in the original, %d in the copy", len(original), len(copied))
	}
	for key, want := range original {
		if got, ok := copied[key]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n original %v\n copy     %v", key, want, got)
		}
	}

	auditBefore := auditTotal(t, srv, copyToken)
	out.Reset()
	if err := run(ctx, append([]string{"import", "--db", dsn, "--tenant", "copy"}, files...), &out, &errOut); err != nil {
		t.Fatalf("second import: %v\n%s", err, errOut.String())
	}
	for kind, n := range wantCreated {
		if got := summaryRow(t, out.String(), kind); got != [4]int{0, 0, n, 0} {
			t.Errorf("second import, %s: created, updated, unchanged, refused = %v, want %d unchanged", kind, got, n)
		}
	}
	if after := auditTotal(t, srv, copyToken); after != auditBefore {
		var log struct {
			AuditEvents struct {
				Nodes []struct {
					Action, RecordId string
					Changes          any
				}
			}
		}
		srv.QueryAs(t, copyToken, `{ auditEvents(last: 3) { nodes { action recordId changes } } }`, nil).Decode(t, &log)
		t.Errorf("the second import wrote %d audit entries, such as %+v", after-auditBefore, log.AuditEvents.Nodes)
	}
}

// summaryRow reads a kind's numbers from the import's summary table.
func summaryRow(t *testing.T, summary, kind string) [4]int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + kind + `\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)`).FindStringSubmatch(summary)
	if m == nil {
		t.Fatalf("no %s row in %q", kind, summary)
	}
	var out [4]int
	for i := range out {
		fmt.Sscan(m[i+1], &out[i])
	}
	return out
}

func auditTotal(t *testing.T, srv *graphtest.Server, token string) int {
	var data struct{ AuditEvents struct{ TotalCount int } }
	srv.QueryAs(t, token, `{ auditEvents { totalCount } }`, nil).Decode(t, &data)
	return data.AuditEvents.TotalCount
}

// snapshot reads a tenant's users, identities and resources with their
// references and counts, keyed by the original's ids: in the copy, a
// record's external id.
func snapshot(t *testing.T, srv *graphtest.Server, token string, copied bool) map[string]string {
	t.Helper()
	key := "id"
	if copied {
		key = "externalId"
	}
	out := map[string]string{}
	page := func(root, fields string, each func(node map[string]any) string) {
		var after any
		for {
			resp := srv.QueryAs(t, token, `query($after: Cursor) { `+root+`(first: 100, after: $after) {
				pageInfo { hasNextPage endCursor } nodes { `+fields+` } } }`, map[string]any{"after": after})
			var data map[string]struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []map[string]any
			}
			resp.Decode(t, &data)
			for _, n := range data[root].Nodes {
				id, _ := n[key].(string)
				out[root+" "+id] = each(n)
			}
			if !data[root].PageInfo.HasNextPage {
				return
			}
			after = data[root].PageInfo.EndCursor
		}
	}
	ref := func(v any) any {
		if m, ok := v.(map[string]any); ok {
			return m[key]
		}
		return nil
	}
	page("users", key+` email firstName lastName fullName username state badgeId employeeId employeeAltId metadata
		manager { `+key+` } parentUser { `+key+` } attributes { key value }
		counts { directReports allReports secondaryUsers identities directoryAttributes }`, func(n map[string]any) string {
		n["manager"], n["parentUser"] = ref(n["manager"]), ref(n["parentUser"])
		delete(n, key)
		b, _ := json.Marshal(n)
		return string(b)
	})
	page("identities", key+` vendorId email username displayName state linkedBy user { `+key+` } integration { `+key+` }
		memberships(first: 100) { totalCount nodes { `+key+` } }`, func(n map[string]any) string {
		n["user"], n["integration"] = ref(n["user"]), ref(n["integration"])
		var members []string
		for _, m := range n["memberships"].(map[string]any)["nodes"].([]any) {
			members = append(members, ref(m).(string))
		}
		slices.Sort(members)
		n["memberships"] = members
		delete(n, key)
		b, _ := json.Marshal(n)
		return string(b)
	})
	page("resources", key+` kind vendorId name handle integration { `+key+` } members { totalCount }`, func(n map[string]any) string {
		n["integration"] = ref(n["integration"])
		delete(n, key)
		b, _ := json.Marshal(n)
		return string(b)
	})
	return out
}

// TestImportRefusesUpdatesAndLoadsAllOrNothing: a bad record is reported with
// its file and line while the others load; --all-or-nothing loads nothing; a
// changed record is updated with its audit entry, and its manager moves.
func TestImportRefusesUpdatesAndLoadsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "import.db")
	srv := graphtest.NewAt(t, dsn, 0, graph.Options{})
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	people := write("people.ndjson", `{"record_type":"user","id":"ceo","first_name":"Ada","last_name":"King","email":"ada@acme.io","state":"active"}
{"record_type":"user","id":"cto","first_name":"Bo","last_name":"Li","email":"bo@acme.io","manager_id":"ceo","org":{"department":"R&D","site":"Oslo"}}
{"record_type":"user","id":"dup","email":"ADA@acme.io"}
{"record_type":"user","id":"lost","email":"lost@acme.io","manager_id":"nobody"}
{"record_type":"user","id":"loop-a","email":"a@acme.io","manager_id":"loop-b"}
{"record_type":"user","id":"loop-b","email":"b@acme.io","manager_id":"loop-a"}
`)
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"import", "--db", dsn, "--tenant", "acme", "--all-or-nothing", people}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "nothing was loaded") || summaryRow(t, out.String(), "users") != [4]int{0, 0, 0, 4} {
		t.Fatalf("all or nothing: %v\n%s", err, out.String())
	}
	token := srv.TokenFor(t, "acme", "*")
	count := func() int {
		var data struct{ Users struct{ TotalCount int } }
		srv.QueryAs(t, token, `{ users { totalCount } }`, nil).Decode(t, &data)
		return data.Users.TotalCount
	}
	if n := count(); n != 0 {
		t.Fatalf("all or nothing loaded %d users", n)
	}
	out.Reset()
	errOut.Reset()
	err = run(ctx, []string{"import", "--db", dsn, "--tenant", "acme", people}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "4 records were refused") || count() != 2 {
		t.Fatalf("partial load: %v, %d users\n%s", err, count(), errOut.String())
	}
	for _, want := range []string{
		people + ":3: user dup: email: the record at " + people + ":1 has the same address (CONFLICT)",
		people + `:4: user lost: manager_id: no user has id "nobody"`,
		people + ":5: user loop-a: manager_id:",
		people + ":6: user loop-b: manager_id:",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if lines := strings.Split(strings.TrimSpace(errOut.String()), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], people+":3:") ||
		!strings.HasPrefix(lines[3], people+":6:") {
		t.Errorf("refusals out of line order:\n%s", errOut.String())
	}

	// A change: the CTO moves under a new manager, changes department and
	// loses the open attribute its org no longer names.
	changed := write("changed.ndjson", `{"record_type":"user","id":"vp","first_name":"Cy","last_name":"Ode","email":"cy@acme.io","manager_id":"ceo"}
{"record_type":"user","id":"cto","first_name":"Bo","last_name":"Li","email":"bo@acme.io","manager_id":"vp","org":{"department":"Research"}}
`)
	out.Reset()
	if err := run(ctx, []string{"import", "--db", dsn, "--tenant", "acme", changed}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := summaryRow(t, out.String(), "users"); got != [4]int{1, 1, 0, 0} {
		t.Fatalf("the change: %v\n%s", got, out.String())
	}
	var data struct {
		User struct {
			Department      string
			Manager         struct{ ExternalID string }
			ManagementChain []struct{ User struct{ ExternalID string } }
			Attributes      []struct{ Key, Value string }
		}
		AuditEvents struct {
			Nodes []struct {
				Action  string
				Changes map[string]any
			}
		}
	}
	srv.QueryAs(t, token, `{ user(externalId: "cto") { department manager { externalId } managementChain { user { externalId } }
		attributes { key value } }
		auditEvents(first: 1, where: {action: "user.updated"}) { nodes { action changes } } }`, nil).Decode(t, &data)
	u := data.User
	if u.Department != "Research" || u.Manager.ExternalID != "vp" || len(u.ManagementChain) != 2 || u.ManagementChain[1].User.ExternalID != "ceo" ||
		len(u.Attributes) != 1 {
		t.Errorf("after the change: %+v", u)
	}
	if len(data.AuditEvents.Nodes) != 1 || data.AuditEvents.Nodes[0].Changes["department"] == nil ||
		data.AuditEvents.Nodes[0].Changes["attributes.site"] == nil || data.AuditEvents.Nodes[0].Changes["manager_id"] == nil {
		t.Errorf("the change's audit entry: %+v", data.AuditEvents.Nodes)
	}

	// A refused change of an existing user leaves it standing for the records
	// that name it; a move under one's own report is refused as it is written.
	third := write("third.ndjson", `{"record_type":"user","id":"ceo","email":"bo@acme.io"}
{"record_type":"user","id":"new-hire","email":"nh@acme.io","manager_id":"ceo"}
{"record_type":"user","id":"vp","manager_id":"cto"}
`)
	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"import", "--db", dsn, "--tenant", "acme", third}, &out, &errOut); err == nil {
		t.Fatal("the third import refused nothing")
	}
	if got := summaryRow(t, out.String(), "users"); got != [4]int{1, 0, 0, 2} ||
		!strings.Contains(errOut.String(), third+":1: user ceo: email:") || !strings.Contains(errOut.String(), third+":3: user vp: manager_id:") {
		t.Errorf("the third import: %v\n%s", got, errOut.String())
	}
	var hire struct {
		User struct{ Manager struct{ ExternalID string } }
		Vp   struct{ Manager struct{ ExternalID string } }
	}
	srv.QueryAs(t, token, `{ user(externalId: "new-hire") { manager { externalId } } vp: user(externalId: "vp") { manager { externalId } } }`, nil).Decode(t, &hire)
	if hire.User.Manager.ExternalID != "ceo" || hire.Vp.Manager.ExternalID != "ceo" {
		t.Errorf("after the third import: %+v", hire)
	}
}

// BenchmarkImport loads a directory of 100,000 users (a tree of managers, six
// org columns and an open attribute each) with 250,000 identities on three
// integrations, from NDJSON into an empty database, as idgraph import does:
//
//	go test -run '^$' -bench Import -benchtime 1x .
func BenchmarkImport(b *testing.B) {
	const users, identities = 100_000, 250_000
	dir := b.TempDir()
	var people, accounts bytes.Buffer
	for i := 0; i < users; i++ {
		rec := map[string]any{"record_type": "user", "id": fmt.Sprintf("u%06d", i), "first_name": fmt.Sprintf("First%d", i),
			"last_name": "Last", "email": fmt.Sprintf("person%d@bench.example.com", i), "state": "active",
			"org": map[string]string{"title": "Engineer", "department": fmt.Sprintf("Dept %d", i%40), "division": "R&D",
				"company": "Bench", "office": "Oslo", "cost_center": fmt.Sprintf("CC-%d", i%100), "level": fmt.Sprintf("L%d", i%9)}}
		if i > 0 {
			rec["manager_id"] = fmt.Sprintf("u%06d", (i-1)/8)
		}
		line, _ := json.Marshal(rec)
		people.Write(append(line, '\n'))
	}
	vendors := []string{"okta", "google", "slack"}
	for v, vendor := range vendors {
		line, _ := json.Marshal(map[string]any{"record_type": "integration", "id": "int-" + vendor, "vendor": vendor, "is_primary": v == 0})
		accounts.Write(append(line, '\n'))
	}
	for i := 0; i < identities; i++ {
		vendor := vendors[i%3]
		line, _ := json.Marshal(map[string]any{"record_type": "identity", "id": fmt.Sprintf("acct%06d", i), "vendor_id": fmt.Sprintf("%s-%d", vendor, i),
			"email": fmt.Sprintf("person%d@bench.example.com", i/3%users), "workspace_integration_id": "int-" + vendor,
			"directory_user_id": fmt.Sprintf("u%06d", i/3%users)})
		accounts.Write(append(line, '\n'))
	}
	files := []string{filepath.Join(dir, "users.ndjson"), filepath.Join(dir, "identities.ndjson")}
	for i, buf := range []*bytes.Buffer{&people, &accounts} {
		if err := os.WriteFile(files[i], buf.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		dsn := filepath.Join(b.TempDir(), "import.db")
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"import", "--db", dsn, "--tenant", "bench"}, files...), &out, io.Discard); err != nil {
			b.Fatalf("%v\n%s", err, out.String())
		}
		b.Log(out.String())
	}
}
