package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/idgraph/idgraph/internal/rowcount"
	"github.com/idgraph/idgraph/internal/tally"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Inserter writes rows of one table in bulk.
type Inserter interface {
	// Insert writes rows, each holding a value per column, in order. The
	// rows may be written after it returns, on another goroutine: the caller
	// hands them over and must not change them.
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
}

// Bulk runs load in one transaction with an Inserter made for loading many rows
// fast: COPY on PostgreSQL, prepared multi-row INSERTs on SQLite. The database
// triggers (row counters) run as for any insert. It writes around ent, and so
// around the tenancy hooks: only a system context (the seed) may use it.
func (db *DB) Bulk(ctx context.Context, load func(Inserter) error) error {
	if !viewer.IsSystem(ctx) {
		return fmt.Errorf("bulk load: needs a system context")
	}
	if db.Engine == dialect.Postgres {
		return db.postgresBulk(ctx, load)
	}
	return db.sqliteBulk(ctx, load)
}

// A bulkWriter writes rows in two steps: encode readies them on the
// goroutine that makes them, write sends them on the writer's goroutine. The
// writer's goroutine is what a load waits for, so it does only the database's
// work.
type bulkWriter interface {
	encode(table string, columns []string, rows [][]any) (any, error)
	write(ctx context.Context, table string, columns []string, encoded any) error
}

// loadAsync runs load with an Inserter whose writes happen on a goroutine of
// their own, in the order given, so that the caller builds the next rows while
// the database writes the last ones (two cores instead of one). It returns once
// every write is done; the first error stops the writes and is returned.
func loadAsync(ctx context.Context, w bulkWriter, load func(Inserter) error) error {
	a := &asyncInserter{w: w, jobs: make(chan insertJob, 4), done: make(chan error, 1)}
	go func() {
		var err error
		for j := range a.jobs {
			if err == nil {
				err = w.write(ctx, j.table, j.columns, j.encoded)
				if err != nil {
					a.failed.Store(true)
				}
			}
		}
		a.done <- err
	}()
	loadErr := load(a)
	close(a.jobs)
	if err := <-a.done; err != nil {
		return err
	}
	return loadErr
}

type insertJob struct {
	table   string
	columns []string
	encoded any
}

type asyncInserter struct {
	w      bulkWriter
	jobs   chan insertJob
	done   chan error
	failed atomic.Bool
}

func (a *asyncInserter) Insert(_ context.Context, table string, columns []string, rows [][]any) error {
	if a.failed.Load() {
		return errWriteFailed
	}
	for i, r := range rows {
		if len(r) != len(columns) {
			return fmt.Errorf("insert into %s: row %d has %d values for %d columns", table, i, len(r), len(columns))
		}
	}
	encoded, err := a.w.encode(table, columns, rows)
	if err != nil {
		return err
	}
	a.jobs <- insertJob{table, columns, encoded}
	return nil
}

// errWriteFailed stops a load whose writer has failed; the writer's own error
// is the one Bulk returns.
var errWriteFailed = fmt.Errorf("bulk load: an earlier write failed")

// deferred builds a table's secondary indexes (and, on PostgreSQL, checks its
// foreign keys; on SQLite, counts its rows for the row counters) once, after
// its rows are in, instead of row by row: sorting every key once is several
// times faster than inserting each into a b-tree, and one join validates a
// foreign key faster than a lookup per row. It applies only to tables that are
// empty when the load starts; a table that already has rows (another tenant's)
// keeps its indexes. Everything happens inside the load's transaction, so a
// failed load leaves the schema as it was.
//
// A table's indexes are built as soon as the load moves on to another table:
// the writer builds them while the caller makes the next table's rows, where
// it used to wait (at 100,000 users the writer was idle for half of the load,
// then built indexes for 10 s with the caller done). Rows written to a table
// after that go through its indexes, more slowly but correctly. What depends
// on other tables waits for the end: foreign keys (the rows they refer to may
// come later), the counts and the triggers that keep them, and, on
// PostgreSQL, the indexes of a table whose counts are filled in by an UPDATE,
// which is cheaper with no indexes to maintain.
type deferred struct {
	engine string
	exec   func(ctx context.Context, query string, args ...any) error
	query  func(ctx context.Context, query string, args ...any) (rowScanner, error)
	seen   map[string]bool
	order  []string // the tables written, in order
	// writing is the table the last rows went to.
	writing string
	// indexes holds, per table, the index builds still to run when the load
	// leaves it.
	indexes map[string][]string
	// rebuild puts back the rest of what was set aside, in order, at the end;
	// counts run before it.
	rebuild, counts []string
	// beforeIndexes and afterIndexes run around each table's index builds.
	beforeIndexes, afterIndexes []string
}

type rowScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
}

// Each lists a table's secondary indexes and foreign keys as pairs of a
// statement that drops one and a statement that makes it again. Indexes that
// back a primary key or a constraint stay.
const (
	sqliteSecondary = `SELECT 'DROP ' || upper(type) || ' "' || name || '"', sql FROM sqlite_master
		WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL ORDER BY type, name`
	postgresSecondary = `SELECT 'DROP INDEX ' || quote_ident(i.indexname), i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = $1::text
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
		UNION ALL
		SELECT 'ALTER TABLE ' || quote_ident($1::text) || ' DROP CONSTRAINT ' || quote_ident(c.conname),
			'ALTER TABLE ' || quote_ident($1::text) || ' ADD CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)
		FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = quote_ident($1::text)::regclass`
)

// deferFor sets aside the indexes and foreign keys of table, the first time a
// load writes to it, if it is empty. When the load moves on from another
// table, that table's indexes are built first.
func (d *deferred) deferFor(ctx context.Context, table string) error {
	if d.writing != table {
		if err := d.buildIndexes(ctx, d.writing); err != nil {
			return err
		}
		d.writing = table
	}
	if d.seen[table] {
		return nil
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
		d.indexes = map[string][]string{}
	}
	d.seen[table] = true
	d.order = append(d.order, table)
	var empty bool
	if err := d.scan(ctx, func(r rowScanner) error { return r.Scan(&empty) },
		`SELECT NOT EXISTS (SELECT 1 FROM "`+table+`")`); err != nil || !empty {
		return err
	}
	list := sqliteSecondary
	if d.engine == dialect.Postgres {
		list = postgresSecondary
	}
	// The counts kept on rows are filled in by an UPDATE of their target table
	// at the end, which would move every entry of an index that holds them:
	// such indexes are built after it. On PostgreSQL, where an UPDATE writes
	// a new version of the row, that is every index of the table.
	early := func(create string) bool {
		if d.engine == dialect.Postgres {
			return !tally.IsTarget(table)
		}
		return !tally.Indexed(table, create)
	}
	var drops []string
	err := d.scan(ctx, func(r rowScanner) error {
		var drop, create string
		if err := r.Scan(&drop, &create); err != nil {
			return err
		}
		drops = append(drops, drop)
		if strings.HasPrefix(drop, "DROP INDEX") && early(create) {
			d.indexes[table] = append(d.indexes[table], create)
		} else {
			d.rebuild = append(d.rebuild, create)
		}
		return nil
	}, list, table)
	if err != nil {
		return err
	}
	if d.engine == dialect.Postgres {
		for _, t := range tally.Of(table) {
			drop, restore := t.Suspend()
			drops = append(drops, drop...)
			d.rebuild = append(d.rebuild, restore...)
		}
	}
	for _, stmt := range drops {
		if err := d.exec(ctx, stmt); err != nil {
			return fmt.Errorf("bulk load: %s: %w", stmt, err)
		}
	}
	if slices.ContainsFunc(drops, func(s string) bool { return strings.HasPrefix(s, "DROP TRIGGER") }) {
		if d.engine != dialect.Postgres {
			// SQLite's counter triggers run once per row; with them set aside,
			// the table's counters are counted once at the end (it started empty).
			d.rebuild = append(d.rebuild, rowcount.Backfill(table))
		}
		// The counts kept on rows (a user's reports, identities) are counted
		// once, in a grouped pass, before the indexes that hold them are built.
		for _, t := range tally.Of(table) {
			d.counts = append(d.counts, t.Backfill()...)
		}
	}
	return nil
}

// scan runs query and calls row for each row.
func (d *deferred) scan(ctx context.Context, row func(rowScanner) error, query string, args ...any) error {
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer closeRows(rows)
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func closeRows(r rowScanner) {
	switch r := r.(type) {
	case interface{ Close() error }:
		r.Close()
	case interface{ Close() }:
		r.Close()
	}
}

// buildIndexes builds the indexes of table that deferFor set aside and that
// are not built yet.
func (d *deferred) buildIndexes(ctx context.Context, table string) error {
	stmts := d.indexes[table]
	delete(d.indexes, table)
	if len(stmts) == 0 {
		return nil
	}
	return d.run(ctx, slices.Concat(d.beforeIndexes, stmts, d.afterIndexes))
}

// restore rebuilds the rest of what deferFor set aside: the indexes not built
// yet, the counts, then what was dropped at the end (indexes first, then the
// foreign keys that may use them, and the triggers).
func (d *deferred) restore(ctx context.Context) error {
	for _, table := range d.order {
		if err := d.buildIndexes(ctx, table); err != nil {
			return err
		}
	}
	return d.run(ctx, append(d.counts, d.rebuild...))
}

func (d *deferred) run(ctx context.Context, stmts []string) error {
	for _, stmt := range stmts {
		if err := d.exec(ctx, stmt); err != nil {
			return fmt.Errorf("bulk load: %s: %w", stmt, err)
		}
	}
	return nil
}
