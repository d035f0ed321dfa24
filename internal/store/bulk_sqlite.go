package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"entgo.io/ent/dialect"
)

// sqliteBulk is Bulk on SQLite: prepared multi-row INSERTs in one transaction.
func (db *DB) sqliteBulk(ctx context.Context, load func(Inserter) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A load writes most of the file anew. Through the WAL every page is written
	// twice (the log, then the checkpoint): 5 s of 30 at 100,000 users. With a
	// rollback journal a load is as atomic, and new pages are written once.
	// SQLite switches only when no other connection has the file open; when it
	// cannot, the load runs in WAL mode as usual.
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err == nil && mode == "delete" {
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA journal_mode = WAL")
	}
	// A foreign key checked row by row is two or three index lookups per row
	// (3 of 28 s at 100,000 users); foreign_key_check at the end checks the
	// same keys in one pass (1 s). The pragma cannot change inside a
	// transaction, and the connection goes back to the pool afterwards: if
	// enforcement cannot be turned back on, the connection is discarded.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	// SQLite sorts the keys of a new index in memory up to the page cache's
	// size, in one list, before it writes runs out: with the load's 64 MiB the
	// sort walked 50 MB of scattered records, and an index of 765,000
	// memberships took 1.5 s. Sorted in runs of 2 MiB (on helper threads, which
	// it only uses for runs) and merged, it takes 0.7. The cache is small for
	// the builds only: the counts and the foreign key check look rows up all
	// over the tables and want it large.
	var cacheSize, threads int
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cacheSize); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA threads").Scan(&threads); err != nil {
		return err
	}
	restore := []string{fmt.Sprintf("PRAGMA cache_size = %d", cacheSize), fmt.Sprintf("PRAGMA threads = %d", threads)}
	defer func() {
		for _, stmt := range restore {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), stmt)
		}
	}()
	// The file written so far goes to disk as the load moves from table to
	// table, rather than all at once when the commit syncs it (1.2 s at
	// 100,000 users, 0.2 s after).
	var path string
	if err := conn.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ins := &sqliteInserter{conn: conn, tx: tx, path: path, stmts: map[string]driver.Stmt{}, deferred: deferred{engine: dialect.SQLite,
		exec: func(ctx context.Context, q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		},
		query: func(ctx context.Context, q string, args ...any) (rowScanner, error) {
			return tx.QueryContext(ctx, q, args...)
		},
		beforeIndexes: []string{"PRAGMA cache_size = -2048", fmt.Sprintf("PRAGMA threads = %d", runtime.NumCPU())},
		afterIndexes:  restore,
	}}
	err = loadAsync(ctx, ins, load)
	ins.close()
	if err == nil {
		err = ins.restore(ctx)
	}
	startWriteBack(ins.path)
	if err == nil {
		err = ins.checkForeignKeys(ctx)
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// sqliteInserter sends rows as multi-row INSERTs, prepared once per shape: SQLite
// then parses and plans a statement once for every batch of the same table.
// They go straight to the driver's statements, inside the load's transaction
// (the connection is the same), with arguments converted by encode on the
// loading goroutine: through database/sql, the conversion of every argument
// took 1.5 s of the writer's goroutine at 100,000 users.
type sqliteInserter struct {
	conn  *sql.Conn
	tx    *sql.Tx
	stmts map[string]driver.Stmt
	path  string // the database file; empty in memory
	deferred
}

// sqliteMaxParams keeps a statement within SQLite's limit of 32,766 parameters
// (and well inside the point where wider statements stop paying off).
const sqliteMaxParams = 8000

// sqliteBatch is the arguments of one INSERT of rows rows.
type sqliteBatch struct {
	rows int
	args []driver.NamedValue
}

// encode converts rows to driver values as database/sql would, and cuts
// them into batches of one statement each.
func (s *sqliteInserter) encode(table string, columns []string, rows [][]any) (any, error) {
	per := max(1, min(len(rows), sqliteMaxParams/len(columns)))
	var batches []sqliteBatch
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]driver.NamedValue, 0, n*len(columns))
		for _, row := range rows[:n] {
			for i, v := range row {
				dv, err := driver.DefaultParameterConverter.ConvertValue(v)
				if err != nil {
					return nil, fmt.Errorf("insert into %s: column %s: %w", table, columns[i], err)
				}
				args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: dv})
			}
		}
		batches = append(batches, sqliteBatch{rows: n, args: args})
		rows = rows[n:]
	}
	return batches, nil
}

func (s *sqliteInserter) write(ctx context.Context, table string, columns []string, encoded any) error {
	moved := s.writing != "" && s.writing != table
	if err := s.deferFor(ctx, table); err != nil {
		return err
	}
	if moved {
		startWriteBack(s.path)
	}
	return s.conn.Raw(func(dc any) error {
		for _, b := range encoded.([]sqliteBatch) {
			stmt, err := s.prepare(ctx, dc, table, columns, b.rows)
			if err != nil {
				return err
			}
			// A query binds and steps in one cgo call, where an exec crosses
			// once per value; an INSERT is done after its first step, which
			// the query takes before it returns, with the step's error.
			rows, err := stmt.(driver.StmtQueryContext).QueryContext(ctx, b.args)
			if err == nil {
				err = rows.Close()
			}
			if err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
		return nil
	})
}

func (s *sqliteInserter) prepare(ctx context.Context, dc any, table string, columns []string, n int) (driver.Stmt, error) {
	key := fmt.Sprintf("%s/%d/%d", table, len(columns), n)
	if st, ok := s.stmts[key]; ok {
		return st, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, `INSERT INTO "%s" ("%s") VALUES `, table, strings.Join(columns, `", "`))
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("insert into %s: %w", table, err)
	}
	s.stmts[key] = st
	return st, nil
}

// close closes the prepared statements, on the connection they belong to.
func (s *sqliteInserter) close() {
	_ = s.conn.Raw(func(any) error {
		for _, st := range s.stmts {
			st.Close()
		}
		return nil
	})
}

// checkForeignKeys fails the load if a row it wrote refers to a row that does
// not exist. SQLite checks the whole table, so a key that was already broken
// before the load fails it too (it was refused when written, so there are none).
func (s *sqliteInserter) checkForeignKeys(ctx context.Context) error {
	for _, table := range s.order {
		var child, parent string
		var rowid sql.NullInt64
		var fk int
		err := s.tx.QueryRowContext(ctx, `PRAGMA foreign_key_check("`+table+`")`).Scan(&child, &rowid, &parent, &fk)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("bulk load: checking the foreign keys of %s: %w", table, err)
		}
		return fmt.Errorf("bulk load: a row of %s (rowid %d) refers to a row of %s that does not exist", child, rowid.Int64, parent)
	}
	return nil
}
