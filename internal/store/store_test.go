package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

func TestSQLiteSettings(t *testing.T) {
	if storetest.Postgres() {
		t.Skip("SQLite's settings")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "settings.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct{ query, want string }{
		{"PRAGMA journal_mode", "wal"},
		{"PRAGMA foreign_keys", "1"},
		{"PRAGMA busy_timeout", "5000"},
		{"PRAGMA cache_size", "-4096"},
		{"SELECT 'A' LIKE 'a'", "0"}, // case-sensitive, as in PostgreSQL
	}
	for _, tc := range cases {
		var rows sql.Rows
		if err := db.Statements.Query(ctx, tc.query, []any{}, &rows); err != nil {
			t.Fatal(err)
		}
		var got string
		if !rows.Next() {
			t.Fatalf("%s: no row", tc.query)
		}
		if err := rows.Scan(&got); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestCounterCountsEveryStatement(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, "count.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := db.Statements.Total()
	if _, err := db.Client.Tenant.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Tenant.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := db.Statements.Total() - before; got != 2 {
		t.Fatalf("counted %d statements, want 2 (one outside, one inside a transaction)", got)
	}
	// Background work is counted apart, so a request's count stays its own.
	before, beforeBackground := db.Statements.Total(), db.Statements.BackgroundTotal()
	if _, err := db.Client.Tenant.Query().Count(store.Background(ctx)); err != nil {
		t.Fatal(err)
	}
	if db.Statements.Total() != before || db.Statements.BackgroundTotal() != beforeBackground+1 {
		t.Fatalf("a background statement: total %d → %d, background %d → %d", before, db.Statements.Total(),
			beforeBackground, db.Statements.BackgroundTotal())
	}
}

// TestDeadlineInterruptsSQLInFlight: a statement that would run for minutes
// stops when its context's deadline passes, so a request's time limit bounds
// the database work it causes.
func TestDeadlineInterruptsSQLInFlight(t *testing.T) {
	db, err := store.Open(context.Background(), storetest.DSN(t, "slow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	var rows sql.Rows
	err = db.Statements.Query(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n`, []any{}, &rows)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Fatal("an endless statement finished")
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("interrupted only after %s", elapsed)
	}
}
