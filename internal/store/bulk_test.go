package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/rowcount"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// secondaryCount is how many indexes and foreign keys the schema has: a bulk
// load sets them aside while it fills empty tables, and must put every one back.
func secondaryCount(t *testing.T, db *store.DB) int {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL`
	if db.Engine == "postgres" {
		q = `SELECT (SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema())
			+ (SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f')
			+ (SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal)`
	}
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// openForLoad opens a fresh database for a bulk load and returns it with a
// maker of tenant rows.
func openForLoad(t *testing.T) (context.Context, *store.DB, func(id, slug string) []any) {
	t.Helper()
	ctx := viewer.System(context.Background())
	db, err := store.Open(ctx, storetest.DSN(t, "bulk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return ctx, db, func(id, slug string) []any {
		v, err := db.Client.Tenant.Create().SetID(id).SetSlug(slug).SetName(slug).Values()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestBulkLoadRestoresTheSchema(t *testing.T) {
	ctx, db, row := openForLoad(t)
	before := secondaryCount(t, db)

	t.Run("a failed load changes nothing", func(t *testing.T) {
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			// The same slug twice: the unique index, rebuilt at the end, refuses it.
			return ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t1", "dup"), row("t2", "dup")})
		})
		if err == nil {
			t.Fatal("a duplicate slug was loaded")
		}
		if n := db.Client.Tenant.Query().CountX(ctx); n != 0 {
			t.Errorf("%d tenants after a failed load", n)
		}
		if after := secondaryCount(t, db); after != before {
			t.Errorf("%d indexes, keys and triggers before the load, %d after it failed", before, after)
		}
	})

	t.Run("a duplicate key fails the insert that sends it", func(t *testing.T) {
		// The primary key stays during a load, so the statement itself fails.
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			return ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t1", "one"), row("t1", "two")})
		})
		if err == nil || !strings.Contains(err.Error(), "into tenants") || !strings.Contains(strings.ToLower(err.Error()), "unique") {
			t.Fatalf("two tenants with one id were loaded: %v", err)
		}
		if n := db.Client.Tenant.Query().CountX(ctx); n != 0 {
			t.Errorf("%d tenants after a failed load", n)
		}
	})

	t.Run("a row without its parent fails the load", func(t *testing.T) {
		orphan, err := db.Client.User.Create().SetID("drusr_orphan").SetTenantID("t9").
			SetEmail("o@example.com").SetManagerID("drusr_missing").Values()
		if err != nil {
			t.Fatal(err)
		}
		err = db.Bulk(ctx, func(ins store.Inserter) error {
			if err := ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t9", "nine")}); err != nil {
				return err
			}
			return ins.Insert(ctx, user.Table, user.Columns, [][]any{orphan})
		})
		if err == nil || !strings.Contains(err.Error(), "users") {
			t.Fatalf("a user whose manager does not exist was loaded: %v", err)
		}
		if n := db.Client.Tenant.Query().CountX(ctx); n != 0 {
			t.Errorf("%d tenants after a failed load", n)
		}
	})

	t.Run("a row of the wrong width fails the load", func(t *testing.T) {
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			return ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t1", "one"), row("t2", "two")[1:]})
		})
		if err == nil || !strings.Contains(err.Error(), "into tenants") || !strings.Contains(err.Error(), "values for") {
			t.Fatalf("a row short of a value: %v", err)
		}
		if n := db.Client.Tenant.Query().CountX(ctx); n != 0 {
			t.Errorf("%d tenants after a failed load", n)
		}
	})

	t.Run("a value the database cannot take fails the load", func(t *testing.T) {
		bad := row("t2", "two")
		bad[slices.Index(tenant.Columns, tenant.FieldName)] = make(chan int)
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			return ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t1", "one"), bad})
		})
		if err == nil || !strings.Contains(err.Error(), "tenants") {
			t.Fatalf("a channel as a tenant's name: %v", err)
		}
		if n := db.Client.Tenant.Query().CountX(ctx); n != 0 {
			t.Errorf("%d tenants after a failed load", n)
		}
	})

	t.Run("a load keeps indexes and counters", func(t *testing.T) {
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			return ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t1", "one"), row("t2", "two")})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := db.Client.Tenant.Query().CountX(ctx); n != 2 {
			t.Errorf("%d tenants loaded, want 2", n)
		}
		if after := secondaryCount(t, db); after != before {
			t.Errorf("%d indexes, keys and triggers before the load, %d after it", before, after)
		}
	})

	t.Run("a load leaves its connection as it found it", func(t *testing.T) {
		// One connection, so the write below runs on the one the load used.
		db.SQL().SetMaxOpenConns(1)
		defer db.SQL().SetMaxOpenConns(0)
		pragma := func(stmt string) (v int) {
			if db.Engine == "sqlite3" {
				if err := db.SQL().QueryRowContext(ctx, stmt).Scan(&v); err != nil {
					t.Fatal(err)
				}
			}
			return v
		}
		cache, threads := pragma("PRAGMA cache_size = -3000; PRAGMA cache_size"), pragma("PRAGMA threads = 0")
		okta, err := db.Client.Integration.Create().SetID("drint_okta").SetTenantID("t1").SetVendor(integration.VendorOkta).
			SetKind(integration.KindIdp).SetName("Okta").SetHandle("okta").Values()
		if err != nil {
			t.Fatal(err)
		}
		// Into an empty table, whose indexes the load builds.
		err = db.Bulk(ctx, func(ins store.Inserter) error {
			return ins.Insert(ctx, integration.Table, integration.Columns, [][]any{okta})
		})
		if err != nil {
			t.Fatal(err)
		}
		// The load changes how SQLite sorts while it builds indexes, for the
		// load only.
		if c, th := pragma("PRAGMA cache_size"), pragma("PRAGMA threads"); c != cache || th != threads {
			t.Errorf("cache_size %d and threads %d after a load, %d and %d before", c, th, cache, threads)
		}
		_, err = db.Client.User.Create().SetID("drusr_after").SetTenantID("t1").
			SetEmail("after@example.com").SetManagerID("drusr_missing").Save(ctx)
		if err == nil {
			t.Error("a user whose manager does not exist was written after a load")
		}
	})

	t.Run("only a system context loads", func(t *testing.T) {
		err := db.Bulk(context.Background(), func(store.Inserter) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "system") {
			t.Errorf("bulk load without a system context: %v", err)
		}
	})
}

// TestBulkLoadCountsWhatItLoaded: the counts kept on rows are counted from
// the rows loaded, whatever the loader wrote in them.
func TestBulkLoadCountsWhatItLoaded(t *testing.T) {
	ctx, db, row := openForLoad(t)
	c := db.Client
	values := func(b interface{ Values() ([]any, error) }) []any {
		v, err := b.Values()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	person := func(id, manager string, reports, identities int) []any {
		b := c.User.Create().SetID(id).SetTenantID("t1").SetEmail(id + "@example.com").
			SetDirectReportsCount(reports).SetIdentitiesCount(identities)
		if manager != "" {
			b.SetManagerID(manager)
		}
		return values(b)
	}
	account := func(id, userID string) []any {
		return values(c.Identity.Create().SetID(id).SetTenantID("t1").SetIntegrationID("drint_okta").
			SetVendorID(id).SetUsername(id).SetUserID(userID).SetProfile(map[string]any{"title": id}))
	}
	err := db.Bulk(ctx, func(ins store.Inserter) error {
		return insertSteps(ctx, ins, []loadStep{
			{tenant.Table, tenant.Columns, [][]any{row("t1", "one")}},
			{integration.Table, integration.Columns, [][]any{values(c.Integration.Create().SetID("drint_okta").
				SetTenantID("t1").SetVendor(integration.VendorOkta).SetKind(integration.KindIdp).SetName("Okta").SetHandle("okta"))}},
			// Wrong counts: the boss has two reports and no accounts, Ann
			// no reports and two accounts.
			{user.Table, user.Columns, [][]any{person("drusr_boss", "", 0, 7), person("drusr_ann", "drusr_boss", 3, 0),
				person("drusr_bob", "drusr_boss", 0, 0)}},
			{identity.Table, identity.Columns, [][]any{account("dridn_1", "drusr_ann"), account("dridn_2", "drusr_ann")}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"drusr_boss": {2, 0}, "drusr_ann": {0, 2}, "drusr_bob": {0, 0}}
	// Through the indexes that hold the counts, built after them.
	got, err := c.User.Query().Order(ent.Desc(user.FieldIdentitiesCount), ent.Desc(user.FieldDirectReportsCount)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != "drusr_ann" || got[1].ID != "drusr_boss" {
		t.Errorf("users by their counts: %v", got)
	}
	for _, u := range got {
		if w := want[u.ID]; u.DirectReportsCount != w[0] || u.IdentitiesCount != w[1] {
			t.Errorf("%s: %d reports and %d identities, want %d and %d", u.ID, u.DirectReportsCount, u.IdentitiesCount, w[0], w[1])
		}
	}
	// Each value under its column: edge keys, JSON, defaults, and NULL for
	// what was not set.
	in, err := c.Identity.Get(ctx, "dridn_2")
	if err != nil {
		t.Fatal(err)
	}
	if in.UserID == nil || *in.UserID != "drusr_ann" || in.IntegrationID != "drint_okta" || in.Profile["title"] != "dridn_2" ||
		in.State != identity.DefaultState || in.LastSyncedAt != nil || in.DeletedAt != nil {
		t.Errorf("loaded identity: %+v", in)
	}
}

// TestBulkLoadBuildsIndexesAsItGoes: a table's indexes are built when the load
// moves on to the next table, so rows written to it after that go through
// them; its counters still come out right.
func TestBulkLoadBuildsIndexesAsItGoes(t *testing.T) {
	ctx, db, row := openForLoad(t)
	before := secondaryCount(t, db)
	userRow := func(id, tenantID string) []any {
		v, err := db.Client.User.Create().SetID(id).SetTenantID(tenantID).SetEmail(id + "@example.com").Values()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("indexes are built when the load moves on to another table", func(t *testing.T) {
		// tenants' unique slug index is in place once users are written, so the
		// second "seven" fails its own insert, not an index build at the end.
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			if err := ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t7", "seven")}); err != nil {
				return err
			}
			if err := ins.Insert(ctx, user.Table, user.Columns, [][]any{userRow("drusr_seven", "t7")}); err != nil {
				return err
			}
			return ins.Insert(ctx, tenant.Table, tenant.Columns, [][]any{row("t8", "seven")})
		})
		if err == nil || !strings.Contains(err.Error(), "into tenants") || !strings.Contains(strings.ToLower(err.Error()), "unique") {
			t.Fatalf("a duplicate slug written after the load moved on: %v", err)
		}
		if n := db.Client.Tenant.Query().Where(tenant.IDIn("t7", "t8")).CountX(ctx); n != 0 {
			t.Errorf("%d tenants after a failed load", n)
		}
		if after := secondaryCount(t, db); after != before {
			t.Errorf("%d indexes, keys and triggers before the load, %d after it failed", before, after)
		}
	})

	t.Run("a table written again after the load moved on keeps its counters", func(t *testing.T) {
		err := db.Bulk(ctx, func(ins store.Inserter) error {
			return insertSteps(ctx, ins, []loadStep{
				{tenant.Table, tenant.Columns, [][]any{row("t5", "five")}},
				{user.Table, user.Columns, [][]any{userRow("drusr_five1", "t5")}},
				{tenant.Table, tenant.Columns, [][]any{row("t6", "six")}},
				{user.Table, user.Columns, [][]any{userRow("drusr_five2", "t5"), userRow("drusr_six1", "t6")}},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := rowcount.Stored(ctx, db.SQL(), db.Engine, user.Table)
		if err != nil {
			t.Fatal(err)
		}
		for tenantID, want := range map[string]int{"t5": 2, "t6": 1} {
			if stored[tenantID] != want {
				t.Errorf("tenant %s: the users counter says %d, want %d", tenantID, stored[tenantID], want)
			}
		}
		if after := secondaryCount(t, db); after != before {
			t.Errorf("%d indexes, keys and triggers before the load, %d after it", before, after)
		}
	})
}

// sentToSQLite runs query on a fresh SQLite database and returns the last
// statement it sent, as SQLite received it, with its arguments and plan.
func sentToSQLite(t *testing.T, query func(context.Context, *store.DB) error) (sent, plan string) {
	t.Helper()
	if storetest.Postgres() {
		t.Skip("a SQLite rewrite")
	}
	ctx := viewer.System(context.Background())
	db, err := store.Open(ctx, storetest.DSN(t, "rewrite.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var args []any
	db.Statements.Trace = func(q string, a []any) { sent, args = q, a }
	if err := query(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Statements.Trace = nil
	return sent, storetest.SQLitePlan(t, db.SQL(), sent, args...)
}

// TestSQLiteSeesThroughNegatedNotNull: ent writes hasUser: false as NOT (c IS
// NOT NULL), which SQLite's planner cannot search an index for; the driver sends
// c IS NULL, and the plan searches an index instead of scanning the table.
func TestSQLiteSeesThroughNegatedNotNull(t *testing.T) {
	sent, plan := sentToSQLite(t, func(ctx context.Context, db *store.DB) error {
		_, err := db.Client.Identity.Query().Where(identity.Not(identity.HasUser())).IDs(ctx)
		return err
	})
	if strings.Contains(sent, "NOT (") {
		t.Errorf("the negation reached SQLite: %s", sent)
	}
	// Either index that holds the user_id does; a SCAN reads every identity.
	if !strings.Contains(plan, "SEARCH identities USING") || strings.Contains(plan, "SCAN identities") {
		t.Errorf("the negated has-edge filter does not search an index:\n%s", plan)
	}
}

// TestKeyLookupsPlanOnce: on PostgreSQL, statements that look rows up by a batch
// of keys run on the pool that plans a prepared statement once; the others keep
// PostgreSQL's default, so a filter's values can still shape its plan.
func TestKeyLookupsPlanOnce(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("a PostgreSQL setting")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mode := func(query string, args ...any) string {
		var rows sql.Rows
		if err := db.Statements.Query(ctx, query, args, &rows); err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var m string
		if !rows.Next() {
			t.Fatalf("%s: no row", query)
		}
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if got := mode(`SELECT current_setting('plan_cache_mode') WHERE 'a' = ANY($1)`, []string{"a"}); got != "force_generic_plan" {
		t.Errorf("a key lookup runs with plan_cache_mode %q", got)
	}
	if got := mode(`SELECT current_setting('plan_cache_mode') WHERE $1::text LIKE 'a%'`, "ab"); got != "auto" {
		t.Errorf("a filtered statement runs with plan_cache_mode %q", got)
	}
}

// TestSQLiteParametersDoNotShapePlans: SQLite re-plans a statement on every run
// when planning it looked at the value of a c = ? parameter (it does in every
// join and ordered query), because go-sqlite3 clears the bindings before each
// run. The driver sends c = +?, which SQLite plans alike without looking at the
// value: the lookup below still searches the primary key of both tables.
func TestSQLiteParametersDoNotShapePlans(t *testing.T) {
	sent, plan := sentToSQLite(t, func(ctx context.Context, db *store.DB) error {
		_, err := db.Client.User.Query().Where(user.ID("drusr_x"), user.HasManagerWith(user.Email("a@b.c"))).IDs(ctx)
		return err
	})
	if strings.Contains(sent, " = ?") || !strings.Contains(sent, " = +?") {
		t.Errorf("a bare c = ? reached SQLite: %s", sent)
	}
	if strings.Contains(plan, "SCAN") {
		t.Errorf("the rewritten comparison does not search an index:\n%s", plan)
	}
}

// loadStep is one Insert of a load.
type loadStep struct {
	table   string
	columns []string
	rows    [][]any
}

// insertSteps inserts steps in order, stopping at the first error.
func insertSteps(ctx context.Context, ins store.Inserter, steps []loadStep) error {
	for _, step := range steps {
		if err := ins.Insert(ctx, step.table, step.columns, step.rows); err != nil {
			return err
		}
	}
	return nil
}
