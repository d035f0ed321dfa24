// Package store opens idgraph's database: it picks the driver from the DSN,
// applies the connection settings each engine needs, counts every statement
// sent, and migrates the schema.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, for deployments beyond one machine
	_ "github.com/mattn/go-sqlite3"    // the embedded default engine

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/migrate"
	_ "github.com/idgraph/idgraph/ent/runtime" // hooks and interceptors: tenant scoping
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/budget"
	"github.com/idgraph/idgraph/internal/orgpath"
	"github.com/idgraph/idgraph/internal/rowcount"
	"github.com/idgraph/idgraph/internal/tally"
)

// DB is an open, migrated database.
type DB struct {
	Client *ent.Client
	// Statements counts every SQL statement sent, for /metrics and for tests
	// that assert a query's statement count.
	Statements *Counter
	// Engine is dialect.SQLite or dialect.Postgres.
	Engine string
	sql    *sql.DB
}

// SQL is the connection pool, for bulk loads and maintenance outside ent.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the database.
func (db *DB) Close() error {
	if keyed := db.Statements.cache.keyed; keyed != nil {
		keyed.Close()
	}
	return db.Client.Close()
}

// Options tune a connection for its job.
type Options struct {
	// CacheMiB is SQLite's page cache per connection (default 4). A request
	// reads a few hundred pages through indexes, and a page missing from the
	// cache is a copy from the OS's page cache (a pread each), shared by every
	// connection; 16 connections with 64 MiB each took a server past 1 GB.
	// A page of 100 users with their reports and identities touches about 600
	// pages (2.4 MB): with 2 MiB a connection it read 700 pages a request from
	// the OS (a seventh of the server's CPU), with 4 MiB about 60.
	// Memory-mapping the file instead counted every page the kernel mapped
	// around a read in the process's memory (400 MB for a users page). Loads
	// through Bulk build indexes after their rows are in and want tens of MiB,
	// not more (see seedCommand).
	CacheMiB int
}

// Open connects to dsn (a SQLite path or file: URI, or a postgres:// URL) and
// migrates the schema.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	engine, sqlDB, err := connect(dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	counter := &Counter{Driver: entsql.OpenDB(engine, sqlDB), sqlite: engine == dialect.SQLite}
	totals := rowcount.New(counter)
	client := ent.NewClient(ent.Driver(counter), ent.Totals(totals))
	if err := client.Schema.Create(ctx, migrate.WithForeignKeys(true), migrate.WithDropIndex(true)); err != nil {
		client.Close()
		return nil, fmt.Errorf("migrate %s: %w", redact(dsn), err)
	}
	if err := totals.Install(ctx, sqlDB, engine, schemaColumns()); err != nil {
		client.Close()
		return nil, fmt.Errorf("migrate %s: %w", redact(dsn), err)
	}
	if err := orgpath.Install(ctx, sqlDB, engine); err != nil {
		client.Close()
		return nil, fmt.Errorf("migrate %s: %w", redact(dsn), err)
	}
	if err := tally.Install(ctx, sqlDB, engine); err != nil {
		client.Close()
		return nil, fmt.Errorf("migrate %s: %w", redact(dsn), err)
	}
	// Reads go through prepared statements from here on; the migration above
	// needs database/sql's own rows.
	counter.cache = newStmtCache(sqlDB)
	if engine == dialect.Postgres {
		if counter.cache.keyed, err = keyedPool(dsn); err != nil {
			client.Close()
			return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
		}
	}
	if engine == dialect.SQLite {
		// Gather planner statistics for tables that have none or have grown a lot
		// since (see Analyze); on a database that has them this costs nothing.
		// PostgreSQL's autovacuum does this by itself.
		if _, err := sqlDB.ExecContext(ctx, "PRAGMA optimize = 0x10002"); err != nil {
			client.Close()
			return nil, fmt.Errorf("optimize %s: %w", redact(dsn), err)
		}
	}
	return &DB{Client: client, Statements: counter, sql: sqlDB, Engine: engine}, nil
}

// keyedPool opens the PostgreSQL pool for the statements that look rows up by
// key (a batch of ids, a page per parent), with plan_cache_mode set to
// force_generic_plan: PostgreSQL plans such a prepared statement once. By
// default it re-planned them on every run (planning took 50-150 µs of a 10-50 µs
// execution), because its estimate for an array of keys made the generic plan
// look dearer than the custom ones. Their plans do not depend on the keys. Other
// statements (root pages with filters, where a LIKE prefix or a rare value can
// change the best plan) keep the default on the main pool.
func keyedPool(dsn string) (*sql.DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("plan_cache_mode", "force_generic_plan")
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", withoutJIT(u.String()))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(keyedConns)
	db.SetMaxIdleConns(keyedConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// keyedConns bounds the key-lookup pool: a request sends one statement at a
// time, and at most a few requests run at once per CPU.
const keyedConns = 10

// schemaColumns lists the columns of every table of the schema.
func schemaColumns() map[string][]string {
	out := make(map[string][]string, len(migrate.Tables))
	for _, t := range migrate.Tables {
		for _, c := range t.Columns {
			out[t.Name] = append(out[t.Name], c.Name)
		}
	}
	return out
}

// connect opens the pool for dsn's engine.
func connect(dsn string, opts Options) (string, *sql.DB, error) {
	if IsPostgres(dsn) {
		// pgx, through database/sql: ent builds on database/sql, and the pool below
		// is pgx's connections kept warm for a replica's concurrent requests.
		db, err := sql.Open("pgx", withoutJIT(dsn))
		if err != nil {
			return "", nil, err
		}
		db.SetMaxOpenConns(postgresConns)
		db.SetMaxIdleConns(postgresConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return dialect.Postgres, db, nil
	}
	if opts.CacheMiB == 0 {
		opts.CacheMiB = 4
	}
	maxConns := sqliteConns()
	db, err := sql.Open("sqlite3", sqliteDSN(dsn, opts))
	if err != nil {
		return "", nil, err
	}
	// database/sql keeps 2 idle connections by default: a request's concurrent
	// statements then reopen connections, and a new SQLite connection re-reads the
	// schema and starts with a cold page cache. Keep the pool warm instead.
	db.SetMaxIdleConns(maxConns)
	db.SetMaxOpenConns(maxConns)
	db.SetConnMaxIdleTime(0)
	if strings.Contains(dsn, "mode=memory") {
		// Each connection to a private in-memory database is a new, empty database.
		db.SetMaxOpenConns(1)
	}
	return dialect.SQLite, db, nil
}

// withoutJIT turns PostgreSQL's JIT compiler off unless the DSN says
// otherwise. It compiles a statement whose estimated cost passes
// jit_above_cost, and subqueries in a join (the policy standings) estimate
// high: a page of 100 users' qualified rules spent 1.3 s compiling for 27 ms
// of execution. idgraph's statements are short; none gains from it.
func withoutJIT(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if !q.Has("jit") {
		q.Set("jit", "off")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// postgresConns bounds one replica's PostgreSQL connections; several replicas
// share the server's max_connections (100 by default).
const postgresConns = 20

// redact hides a DSN's password from error messages and logs.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Analyze gathers the statistics SQLite's query planner needs, after a bulk
// load. Without them it guesses that tenant_id = ? matches about ten rows, and
// pages a user's identities by walking the whole tenant through (tenant_id, id)
// because that index also gives id order: 30 to 150 ms a statement at 10,000
// users instead of well under one.
//
// On PostgreSQL it also vacuums, which fills the visibility map: until then an
// index-only scan still visits the table for every row of a freshly loaded one.
func (db *DB) Analyze(ctx context.Context) error {
	stmt := "ANALYZE"
	if db.Engine == dialect.Postgres {
		stmt = "VACUUM (ANALYZE)"
	}
	_, err := db.sql.ExecContext(ctx, stmt)
	return err
}

// sqliteConns bounds SQLite connections: readers run in parallel under WAL,
// but no faster than the CPUs run them, and every connection adds a page cache
// that fills up. Two per CPU keep each CPU busy while a request's goroutine
// works between statements (a request sends one statement at a time; writes
// hold one connection for their transaction), and at least four. On two CPUs,
// four connections with 4 MiB each served a page of 100 users with their
// relations 15-20% faster than sixteen with 2 MiB, whose caches missed, with
// a lower peak (118 against 125 MB); eight with 4 MiB peaked at 145 MB.
func sqliteConns() int {
	return max(4, 2*runtime.GOMAXPROCS(0))
}

// sqliteDSN adds the settings idgraph relies on unless the caller set them:
// WAL so readers never wait for the writer, foreign keys on, a busy timeout so
// concurrent writers queue instead of failing, NORMAL sync (safe under WAL), and
// case-sensitive LIKE.
func sqliteDSN(dsn string, opts Options) string {
	path, query, _ := strings.Cut(dsn, "?")
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	defaults := map[string]string{
		"_fk":           "1",
		"_busy_timeout": "5000",
		"_synchronous":  "NORMAL",
		"_txlock":       "immediate",
		// LIKE is case-sensitive, as in PostgreSQL: contains/hasPrefix filters match
		// case-sensitively, their *Fold variants do not, on either engine.
		"_cslike": "1",
		// Negative means KiB.
		"_cache_size": fmt.Sprint(-opts.CacheMiB * 1024),
	}
	if q.Get("mode") != "memory" {
		defaults["_journal_mode"] = "WAL"
	}
	for k, v := range defaults {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	return path + "?" + q.Encode()
}

// Counter is the ent driver idgraph runs on: it counts the statements it sends,
// and runs reads outside transactions through a cache of prepared statements.
type Counter struct {
	dialect.Driver
	n atomic.Int64
	// background counts the statements of work no request asked for.
	background atomic.Int64
	cache      *stmtCache
	sqlite     bool
	// Trace, when set, sees every statement and its arguments; tests use it to
	// show what a query sent, and to explain its plans.
	Trace func(query string, args []any)
}

// count counts a statement about to be sent, unless ctx's statement budget is
// spent.
func (c *Counter) count(ctx context.Context, query string, args any) error {
	if b, ok := ctx.Value(budgetKey{}).(*budget.Budget); ok && !b.Spend() {
		return &apierror.Error{Code: apierror.CodeQueryTooComplex,
			Message:    fmt.Sprintf("the request needed more than %d SQL statements", b.Limit()),
			Extensions: map[string]any{"limit": b.Limit()}}
	}
	if ctx.Value(backgroundKey{}) != nil {
		c.background.Add(1)
	} else {
		c.n.Add(1)
	}
	if c.Trace != nil {
		a, _ := args.([]any)
		c.Trace(query, a)
	}
	return nil
}

type budgetKey struct{}

type backgroundKey struct{}

// Background marks ctx as work no request asked for (the expiration job): its
// statements are counted apart, so a request's count is the request's own.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// BackgroundTotal is the number of statements background work has sent.
func (c *Counter) BackgroundTotal() int64 { return c.background.Load() }

// WithStatementBudget returns ctx in which at most n statements are sent; the
// next fail with QUERY_TOO_COMPLEX. It bounds what one request can cost the
// database whatever the query's shape.
func WithStatementBudget(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, budgetKey{}, budget.New(n))
}

// Total is the number of statements sent so far.
func (c *Counter) Total() int64 { return c.n.Load() }

func (c *Counter) Exec(ctx context.Context, query string, args, v any) error {
	if err := c.count(ctx, query, args); err != nil {
		return err
	}
	return c.Driver.Exec(ctx, query, args, v)
}

func (c *Counter) Query(ctx context.Context, query string, args, v any) error {
	if c.sqlite {
		query = sqliteStatement(query)
	}
	if err := c.count(ctx, query, args); err != nil {
		return err
	}
	if c.cache != nil {
		return c.cache.query(ctx, query, args, v)
	}
	return c.Driver.Query(ctx, query, args, v)
}

// CacheStats reports the prepared-statement cache's hits and misses.
func (c *Counter) CacheStats() CacheStats {
	if c.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: c.cache.hits.Load(), Misses: c.cache.misses.Load()}
}

// Tx counts the statements of transactions too.
func (c *Counter) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: c}, nil
}

// BeginTx is what ent calls when given transaction options.
func (c *Counter) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := c.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	}).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: c}, nil
}

type countingTx struct {
	dialect.Tx
	c *Counter
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	if err := t.c.count(ctx, query, args); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	if t.c.sqlite {
		query = sqliteStatement(query)
	}
	if err := t.c.count(ctx, query, args); err != nil {
		return err
	}
	return t.Tx.Query(ctx, query, args, v)
}
