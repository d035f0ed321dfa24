package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

// TestNestedPageReadsOnlyItsRows: a nested page reads about parents x first rows,
// however many children each parent has. Every user has an Okta identity, so the
// Okta integration's partition grows with the organisation (about 330 identities,
// then about 3,300); a page of 5 must read the same few rows at both sizes.
// PostgreSQL's EXPLAIN ANALYZE counts the rows read; SQLite's plan must read the
// page through the foreign-key index in page order (no sort of the partition),
// which stops at the limit.
func TestNestedPageReadsOnlyItsRows(t *testing.T) {
	const query = `{ integrations { nodes { name identities(first: 5) { nodes { vendorId } } } } }`
	read := map[int]int{}
	for _, users := range []int{300, 3000} {
		srv := graphtest.New(t, users)
		var page []struct {
			query string
			args  []any
		}
		srv.DB.Statements.Trace = func(q string, args []any) {
			if strings.Contains(q, `"parents"`) {
				page = append(page, struct {
					query string
					args  []any
				}{q, args})
			}
		}
		resp := srv.Query(t, query, nil)
		srv.DB.Statements.Trace = nil
		var out struct {
			Integrations struct {
				Nodes []struct {
					Name       string
					Identities struct{ Nodes []struct{ VendorID string } }
				}
			}
		}
		resp.Decode(t, &out)
		if len(out.Integrations.Nodes) != 4 {
			t.Fatalf("want 4 integrations, got %d", len(out.Integrations.Nodes))
		}
		for _, n := range out.Integrations.Nodes {
			if len(n.Identities.Nodes) != 5 {
				t.Errorf("%d users: %s has %d identities on its page, want 5", users, n.Name, len(n.Identities.Nodes))
			}
		}
		if len(page) != 1 {
			t.Fatalf("%d users: want one per-parent page statement, got %d", users, len(page))
		}
		if storetest.Postgres() {
			read[users] = rowsRead(t, srv, page[0].query, page[0].args, "identities")
			continue
		}
		text := storetest.SQLitePlan(t, srv.DB.SQL(), page[0].query, page[0].args...)
		if !strings.Contains(text, "identity_integration_id_tenant_id_id_deleted_at (integration_id=? AND tenant_id=?)") {
			t.Errorf("%d users: the page does not read the foreign-key index:\n%s", users, text)
		}
		// The only sort allowed is the outer one over the few rows returned.
		if strings.Count(text, "TEMP B-TREE") > 1 {
			t.Errorf("%d users: the page sorts a partition instead of reading it in order:\n%s", users, text)
		}
		t.Logf("%d users, SQLite plan:\n%s", users, text)
	}
	if storetest.Postgres() {
		t.Logf("identities rows read: %v", read)
		for users, n := range read {
			if n > 4*6 {
				t.Errorf("%d users: the page read %d identity rows, want at most 4 parents x 6", users, n)
			}
		}
	}
}

// rowsRead runs query under EXPLAIN ANALYZE and sums the rows that its scans of
// table returned, over all loops.
func rowsRead(t *testing.T, srv *graphtest.Server, query string, args []any, table string) int {
	t.Helper()
	var raw string
	if err := srv.DB.SQL().QueryRowContext(context.Background(), "EXPLAIN (ANALYZE, FORMAT JSON) "+query, args...).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(raw), &plans); err != nil {
		t.Fatal(err)
	}
	var sum func(n planNode) int
	sum = func(n planNode) int {
		total := 0
		if n.Relation == table {
			total += int(n.Rows * n.Loops)
		}
		for _, c := range n.Plans {
			total += sum(c)
		}
		return total
	}
	n := sum(plans[0].Plan)
	if n == 0 {
		t.Fatalf("no scan of %s in the plan: %s", table, raw)
	}
	return n
}

type planNode struct {
	Relation string     `json:"Relation Name"`
	Rows     float64    `json:"Actual Rows"`
	Loops    float64    `json:"Actual Loops"`
	Plans    []planNode `json:"Plans"`
}

// TestNestedPageCountsEachParentOnce: a page asked for with its totalCount
// counts each parent's rows once, not once per row of its page. PostgreSQL
// reads an integration's identities once for its count, plus its page;
// SQLite's plan runs the parents and their totals apart from the pages (a
// co-routine), where merged into them it ran the count for every row.
func TestNestedPageCountsEachParentOnce(t *testing.T) {
	const query = `{ integrations { nodes { identities(first: 5) { totalCount nodes { vendorId } } } } }`
	for _, users := range []int{300, 3000} {
		srv := graphtest.New(t, users)
		var page []any
		var text string
		srv.DB.Statements.Trace = func(q string, args []any) {
			if strings.Contains(q, `"parents"`) {
				text, page = q, args
			}
		}
		resp := srv.Query(t, query, nil)
		srv.DB.Statements.Trace = nil
		var out struct {
			Integrations struct {
				Nodes []struct {
					Identities struct {
						TotalCount int
						Nodes      []struct{ VendorID string }
					}
				}
			}
		}
		resp.Decode(t, &out)
		total := 0
		for _, n := range out.Integrations.Nodes {
			total += n.Identities.TotalCount
			if n.Identities.TotalCount < 5 || len(n.Identities.Nodes) != 5 {
				t.Fatalf("%d users: want full pages of 5 with their totals, got %d of %d", users, len(n.Identities.Nodes), n.Identities.TotalCount)
			}
		}
		if text == "" {
			t.Fatalf("%d users: no per-parent page statement", users)
		}
		if storetest.Postgres() {
			// Each parent's count reads its identities once; its page a few more
			// than first (counted per row, the 3,000-user tenant read 52,368).
			if n, most := rowsRead(t, srv, text, page, "identities"), total+len(out.Integrations.Nodes)*8; n > most {
				t.Errorf("%d users: the page and its totals read %d identity rows, want at most %d", users, n, most)
			}
			continue
		}
		plan := storetest.SQLitePlan(t, srv.DB.SQL(), text, page...)
		if !strings.Contains(plan, "CO-ROUTINE parents") && !strings.Contains(plan, "MATERIALIZE parents") {
			t.Errorf("%d users: the totals are merged into the page and counted per row:\n%s", users, plan)
		}
	}
}
