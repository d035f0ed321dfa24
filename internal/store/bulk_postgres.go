package store

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresBulk is Bulk on PostgreSQL: COPY in one transaction, on pgx's own
// connection.
func (db *DB) postgresBulk(ctx context.Context, load func(Inserter) error) error {
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
		c := &copier{tx: tx, deferred: deferred{engine: dialect.Postgres, exec: func(ctx context.Context, q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		}, query: func(ctx context.Context, q string, args ...any) (rowScanner, error) { return tx.Query(ctx, q, args...) }}}
		if err := loadAsync(ctx, c, load); err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		if err := c.restore(ctx); err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		return tx.Commit(ctx)
	})
}

// copier loads rows with PostgreSQL's COPY, the fastest way in.
type copier struct {
	tx pgx.Tx
	deferred
}

// encode leaves the rows as they are: pgx encodes them as it copies.
func (c *copier) encode(_ string, _ []string, rows [][]any) (any, error) { return rows, nil }

func (c *copier) write(ctx context.Context, table string, columns []string, encoded any) error {
	if err := c.deferFor(ctx, table); err != nil {
		return err
	}
	_, err := c.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(encoded.([][]any)))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}
