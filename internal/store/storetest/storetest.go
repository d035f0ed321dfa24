// Package storetest gives each test its own database on the engine the test
// run targets: a SQLite file by default, or a fresh PostgreSQL database when
// IDGRAPH_TEST_DSN names a server (postgres://user@host:port/db), so the whole
// suite runs on either engine.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/idgraph/idgraph/internal/store"
)

// EnvDSN names the PostgreSQL server the suite runs against, when set.
const EnvDSN = "IDGRAPH_TEST_DSN"

// Postgres reports whether this run targets PostgreSQL.
func Postgres() bool { return store.IsPostgres(os.Getenv(EnvDSN)) }

// Shared returns a database that lives until the PostgreSQL cluster (or the
// temp dir) goes: benchmarks seed 100,000 users once and share them.
func Shared(tb testing.TB, name string) string {
	tb.Helper()
	admin := os.Getenv(EnvDSN)
	if !store.IsPostgres(admin) {
		dir, err := os.MkdirTemp("", "idgraph-bench")
		if err != nil {
			tb.Fatal(err)
		}
		return filepath.Join(dir, name)
	}
	return create(tb, admin, false)
}

// DSN returns a database for one test: the SQLite file name in the test's temp
// dir, or a new PostgreSQL database that is dropped when the test ends.
func DSN(tb testing.TB, name string) string {
	tb.Helper()
	admin := os.Getenv(EnvDSN)
	if !store.IsPostgres(admin) {
		return filepath.Join(tb.TempDir(), name)
	}
	return create(tb, admin, true)
}

// create makes a fresh PostgreSQL database and returns its DSN; dropped after
// the test when drop is set.
func create(tb testing.TB, admin string, drop bool) string {
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	db := "idgraph_test_" + hex.EncodeToString(suffix)
	conn, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "CREATE DATABASE "+db); err != nil {
		conn.Close()
		tb.Fatalf("creating a test database on %s: %v", admin, err)
	}
	if drop {
		tb.Cleanup(func() {
			defer conn.Close()
			// FORCE ends connections a test left open (PostgreSQL 13 and later).
			if _, err := conn.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
				tb.Errorf("dropping %s: %v", db, err)
			}
		})
	} else {
		conn.Close()
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + db
	return u.String()
}

// SQLitePlan returns SQLite's EXPLAIN QUERY PLAN of query, one step a line.
func SQLitePlan(tb testing.TB, db *sql.DB, query string, args ...any) string {
	tb.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
