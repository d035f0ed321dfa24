// Package rowcount keeps, per tenant and table, the number of live (not
// soft-deleted) rows, so that the unfiltered totalCount of a root connection
// costs one primary-key lookup instead of a COUNT over the whole tenant.
//
// The counters are maintained by database triggers, in the transaction of the
// write that changes them, so every write path (ent mutations, bulk loads, the
// seed, raw SQL) keeps them right: an insert of a live row adds one, a soft
// delete subtracts one, a restore adds it back, a hard delete of a live row
// subtracts one. An increment is an upsert on one row, which both engines
// serialise, so concurrent writers and replicas on one database stay exact.
//
// Which tables are counted is a fact of the schema: every table with both a
// tenant_id and a deleted_at column (the record mixin). Install derives the
// triggers from that, and backfills a table's counters the first time its
// triggers are created, under a lock so no concurrent write is missed.
package rowcount

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/internal/viewer"
)

// Table is the counters' table.
const Table = "row_counts"

// Totals reads the counters. The ent client is configured with one, and its
// root pagination asks it for unfiltered totals.
type Totals struct {
	drv    dialect.Driver
	mu     sync.RWMutex
	tables map[string]bool
}

// New returns Totals reading through drv; it counts nothing until Install has run.
func New(drv dialect.Driver) *Totals {
	return &Totals{drv: drv, tables: map[string]bool{}}
}

// Live returns the number of live rows of table in the viewer's tenant. ok is
// false when the counter cannot answer: the table is not counted, or the
// context reads soft-deleted rows or every tenant; the caller then counts.
func (t *Totals) Live(ctx context.Context, table string) (n int, ok bool, err error) {
	if t == nil || viewer.IsSystem(ctx) || viewer.IsIncludingDeleted(ctx) {
		return 0, false, nil
	}
	t.mu.RLock()
	counted := t.tables[table]
	t.mu.RUnlock()
	v := viewer.FromContext(ctx)
	if !counted || v == nil || v.TenantID == "" {
		return 0, false, nil
	}
	rows := &entsql.Rows{}
	query, args := entsql.Dialect(t.drv.Dialect()).
		Select("n").From(entsql.Table(Table)).
		Where(entsql.And(entsql.EQ("tenant_id", v.TenantID), entsql.EQ("table_name", table))).
		Query()
	if err := t.drv.Query(ctx, query, args, rows); err != nil {
		return 0, false, err
	}
	defer rows.Close()
	// No row yet: the tenant has never had a live row in this table.
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, false, err
		}
	}
	return n, true, rows.Err()
}

// Install creates the counters' table and the triggers of every counted table
// that lacks them, backfilling those tables' counters, in one transaction.
// tables maps each table of the schema to its columns. It is idempotent and
// safe to run from several replicas at once.
func (t *Totals) Install(ctx context.Context, db *sql.DB, engine string, tables map[string][]string) error {
	var counted []string
	for name, columns := range tables {
		if name != Table && has(columns, "tenant_id") && has(columns, "deleted_at") {
			counted = append(counted, name)
		}
	}
	slices.Sort(counted)
	ddl := sqliteDDL
	if engine == dialect.Postgres {
		ddl = postgresDDL
	}
	if err := inTx(ctx, db, func(tx *sql.Tx) error { return ddl.install(ctx, tx, counted) }); err != nil {
		return fmt.Errorf("row counters: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range counted {
		t.tables[name] = true
	}
	return nil
}

// Recount counts the live rows of table by tenant with COUNT(*), the truth the
// maintained counters (Stored) must equal.
func Recount(ctx context.Context, db *sql.DB, table string) (map[string]int, error) {
	return byTenant(db.QueryContext(ctx, fmt.Sprintf(
		`SELECT tenant_id, COUNT(*) FROM %s WHERE deleted_at IS NULL GROUP BY tenant_id`, quote(table))))
}

// Stored returns the maintained counters of table, by tenant (zeros left out).
func Stored(ctx context.Context, db *sql.DB, engine, table string) (map[string]int, error) {
	q := `SELECT tenant_id, n FROM ` + Table + ` WHERE table_name = ? AND n <> 0`
	if engine == dialect.Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	return byTenant(db.QueryContext(ctx, q, table))
}

// byTenant reads rows of (tenant, count).
func byTenant(rows *sql.Rows, err error) (map[string]int, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var tenant string
		var n int
		if err := rows.Scan(&tenant, &n); err != nil {
			return nil, err
		}
		out[tenant] = n
	}
	return out, rows.Err()
}

// engineDDL is the SQL one engine needs for the counters.
type engineDDL struct {
	// setup creates the counters' table (and shared functions); idempotent.
	setup []string
	// lock serialises installers (replicas starting together); may be empty.
	lock string
	// exists reports how many of a table's triggers exist, given its name.
	exists string
	// drop removes a table's triggers and create makes them: %[1]s is the
	// table, quoted, %[2]s its bare name.
	drop, create []string
	// freeze stops writes to a table until the transaction ends; may be empty.
	freeze string
}

const backfill = `INSERT INTO ` + Table + ` (tenant_id, table_name, n)
	SELECT tenant_id, '%[2]s', COUNT(*) FROM %[1]s WHERE deleted_at IS NULL GROUP BY tenant_id`

// Backfill returns the statement that sets table's counters from COUNT(*), for
// a bulk load that filled the table with its triggers set aside (on both
// engines: an upsert, so tenants without a counter row get one).
func Backfill(table string) string {
	return fmt.Sprintf(backfill, quote(table), table) +
		` ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = excluded.n`
}

func (d engineDDL) install(ctx context.Context, tx *sql.Tx, tables []string) error {
	// The lock comes first: two replicas creating the table at once would
	// otherwise collide in PostgreSQL's catalog.
	if d.lock != "" {
		if _, err := tx.ExecContext(ctx, d.lock); err != nil {
			return err
		}
	}
	for _, stmt := range d.setup {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	for _, table := range tables {
		var n int
		if err := tx.QueryRowContext(ctx, d.exists, table+"_live_count_%").Scan(&n); err != nil {
			return err
		}
		if n == len(d.create) {
			continue
		}
		stmts := []string{}
		if d.freeze != "" {
			stmts = append(stmts, d.freeze)
		}
		stmts = append(append(stmts, d.drop...), d.create...)
		stmts = append(stmts, `DELETE FROM `+Table+` WHERE table_name = '%[2]s'`, backfill)
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(stmt, quote(table), table)); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
	}
	return nil
}

const createTable = `CREATE TABLE IF NOT EXISTS ` + Table + ` (
	tenant_id TEXT NOT NULL,
	table_name TEXT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, table_name))`

// SQLite has row triggers only; each is an upsert on one counter row, and
// SQLite runs one writer at a time.
var sqliteDDL = engineDDL{
	setup:  []string{createTable},
	exists: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?`,
	drop: []string{
		`DROP TRIGGER IF EXISTS "%[2]s_live_count_insert"`,
		`DROP TRIGGER IF EXISTS "%[2]s_live_count_update"`,
		`DROP TRIGGER IF EXISTS "%[2]s_live_count_delete"`,
	},
	create: []string{
		`CREATE TRIGGER "%[2]s_live_count_insert" AFTER INSERT ON %[1]s WHEN NEW.deleted_at IS NULL BEGIN
			INSERT INTO ` + Table + ` (tenant_id, table_name, n) VALUES (NEW.tenant_id, '%[2]s', 1)
			ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = n + 1; END`,
		`CREATE TRIGGER "%[2]s_live_count_update" AFTER UPDATE OF deleted_at ON %[1]s
			WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
			INSERT INTO ` + Table + ` (tenant_id, table_name, n)
			VALUES (NEW.tenant_id, '%[2]s', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
			ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = n + excluded.n; END`,
		`CREATE TRIGGER "%[2]s_live_count_delete" AFTER DELETE ON %[1]s WHEN OLD.deleted_at IS NULL BEGIN
			INSERT INTO ` + Table + ` (tenant_id, table_name, n) VALUES (OLD.tenant_id, '%[2]s', -1)
			ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = n - 1; END`,
	},
}

// PostgreSQL's statement triggers see every row a statement changed at once
// (transition tables), so a bulk insert of 10,000 rows is one upsert per
// tenant, not 10,000. The upsert locks the counter row until commit, which
// serialises concurrent writers of one tenant's table at that row.
var postgresDDL = engineDDL{
	setup: []string{createTable, `CREATE OR REPLACE FUNCTION idgraph_live_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO ` + Table + ` (tenant_id, table_name, n)
		SELECT tenant_id, TG_TABLE_NAME, COUNT(*) FROM new_rows WHERE deleted_at IS NULL GROUP BY tenant_id
		ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = ` + Table + `.n + EXCLUDED.n;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO ` + Table + ` (tenant_id, table_name, n)
		SELECT tenant_id, TG_TABLE_NAME, -COUNT(*) FROM old_rows WHERE deleted_at IS NULL GROUP BY tenant_id
		ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = ` + Table + `.n + EXCLUDED.n;
	ELSE
		INSERT INTO ` + Table + ` (tenant_id, table_name, n)
		SELECT tenant_id, TG_TABLE_NAME, SUM(d) FROM (
			SELECT tenant_id, 1 AS d FROM new_rows WHERE deleted_at IS NULL
			UNION ALL SELECT tenant_id, -1 FROM old_rows WHERE deleted_at IS NULL) AS delta
		GROUP BY tenant_id HAVING SUM(d) <> 0
		ON CONFLICT (tenant_id, table_name) DO UPDATE SET n = ` + Table + `.n + EXCLUDED.n;
	END IF;
	RETURN NULL;
END $$`},
	lock:   `SELECT pg_advisory_xact_lock(hashtext('idgraph.row_counts'))`,
	exists: `SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE $1`,
	freeze: `LOCK TABLE %[1]s IN SHARE ROW EXCLUSIVE MODE`,
	drop: []string{
		`DROP TRIGGER IF EXISTS "%[2]s_live_count_insert" ON %[1]s`,
		`DROP TRIGGER IF EXISTS "%[2]s_live_count_update" ON %[1]s`,
		`DROP TRIGGER IF EXISTS "%[2]s_live_count_delete" ON %[1]s`,
	},
	create: []string{
		`CREATE TRIGGER "%[2]s_live_count_insert" AFTER INSERT ON %[1]s
			REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION idgraph_live_count()`,
		`CREATE TRIGGER "%[2]s_live_count_update" AFTER UPDATE ON %[1]s
			REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION idgraph_live_count()`,
		`CREATE TRIGGER "%[2]s_live_count_delete" AFTER DELETE ON %[1]s
			REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION idgraph_live_count()`,
	},
}

func has(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
