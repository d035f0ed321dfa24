package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/idgraph/idgraph/internal/viewer"
)

// Inserter writes rows of one table in bulk.
type Inserter interface {
	// Insert writes rows, each holding a value per column, in order.
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
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			tx, err := dc.(*stdlib.Conn).Conn().Begin(ctx)
			if err != nil {
				return err
			}
			if err := load(copier{tx}); err != nil {
				_ = tx.Rollback(ctx)
				return err
			}
			return tx.Commit(ctx)
		})
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ins := &sqliteInserter{tx: tx, stmts: map[string]*sql.Stmt{}}
	err = load(ins)
	ins.close()
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// copier loads rows with PostgreSQL's COPY, the fastest way in.
type copier struct{ tx pgx.Tx }

func (c copier) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	_, err := c.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// sqliteInserter sends rows as multi-row INSERTs, prepared once per shape: SQLite
// then parses and plans a statement once for every batch of the same table.
type sqliteInserter struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// sqliteMaxParams keeps a statement within SQLite's limit of 32,766 parameters
// (and well inside the point where wider statements stop paying off).
const sqliteMaxParams = 8000

func (s *sqliteInserter) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	per := max(1, min(len(rows), sqliteMaxParams/len(columns)))
	args := make([]any, 0, per*len(columns))
	for len(rows) > 0 {
		n := min(per, len(rows))
		stmt, err := s.prepare(ctx, table, columns, n)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

func (s *sqliteInserter) prepare(ctx context.Context, table string, columns []string, n int) (*sql.Stmt, error) {
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
	st, err := s.tx.PrepareContext(ctx, b.String())
	if err != nil {
		return nil, err
	}
	s.stmts[key] = st
	return st, nil
}

func (s *sqliteInserter) close() {
	for _, st := range s.stmts {
		st.Close()
	}
}
