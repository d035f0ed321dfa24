package store

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	lru "github.com/hashicorp/golang-lru/v2"
)

// stmtCache keeps prepared statements by SQL text, so that a statement is
// parsed and planned once per connection and then only bound and run. Batched
// keys travel as one parameter (ent.ColumnIn), so a query shape has one text
// whatever the batch size, and a few hundred texts cover every shape a server
// sees. Without it, go-sqlite3 prepares every statement afresh: a fifth of the
// CPU of a profile page. database/sql prepares a cached *sql.Stmt lazily on each
// pooled connection and re-prepares it on a new one.
type stmtCache struct {
	db *sql.DB
	// keyed, when set, is the pool for key lookups (see keyedPool).
	keyed        *sql.DB
	stmts        *lru.Cache[string, *sql.Stmt]
	hits, misses atomic.Int64
}

// isKeyLookup reports whether query finds rows by a batch of keys: the shapes
// ColumnIn and the per-parent pages write.
func isKeyLookup(query string) bool {
	return strings.Contains(query, " = ANY(") || strings.Contains(query, `"parents"`)
}

// stmtCacheSize bounds the statements kept (each is prepared on up to every
// pooled connection).
const stmtCacheSize = 512

// evictedGrace is how long an evicted statement stays open: a request that took
// it from the cache just before it left may still be running it, for at most
// its time limit.
const evictedGrace = time.Minute

func newStmtCache(db *sql.DB) *stmtCache {
	stmts, _ := lru.NewWithEvict(stmtCacheSize, func(_ string, st *sql.Stmt) {
		time.AfterFunc(evictedGrace, func() { st.Close() })
	})
	return &stmtCache{db: db, stmts: stmts}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts.Get(query); ok {
		c.hits.Add(1)
		return st, nil
	}
	c.misses.Add(1)
	pool := c.db
	if c.keyed != nil && isKeyLookup(query) {
		pool = c.keyed
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded, _ := c.stmts.PeekOrAdd(query, st); loaded {
		// Another request prepared it first: use theirs.
		st.Close()
		return prev, nil
	}
	return st, nil
}

// query runs query through its cached statement, filling rows as ent's driver would.
func (c *stmtCache) query(ctx context.Context, query string, args any, v any) error {
	argv, _ := args.([]any)
	st, err := c.stmt(ctx, query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, argv...)
	if err != nil {
		return err
	}
	*v.(*entsql.Rows) = entsql.Rows{ColumnScanner: &describedRows{Rows: rows}}
	return nil
}

// describedRows asks the driver for the column types of a result once. ent
// asks for them on every row that has a column no entity field declares (the
// parent key and total of a batched page), and each answer is several cgo
// calls per column on SQLite: a tenth of a users page's CPU. The types describe
// the statement's columns, the same for every row.
type describedRows struct {
	*sql.Rows
	types []*sql.ColumnType
	err   error
	once  bool
}

func (r *describedRows) ColumnTypes() ([]*sql.ColumnType, error) {
	if !r.once {
		r.types, r.err = r.Rows.ColumnTypes()
		r.once = true
	}
	return r.types, r.err
}

// CacheStats are the statement cache's hits and misses since the start.
type CacheStats struct{ Hits, Misses int64 }

// notNotNull matches NOT (`t`.`c` IS NOT NULL), which ent writes for a negated
// has-edge filter (hasUser: false).
var notNotNull = regexp.MustCompile("NOT \\((`[^`]+`\\.`[^`]+`) IS NOT NULL\\)")

// sqliteStatement rewrites what SQLite's planner handles badly in the
// statements ent writes.
//
//   - NOT (c IS NOT NULL) is c IS NULL (IS NOT NULL is never NULL itself), but
//     only the second form can search an index on c. PostgreSQL's planner makes
//     that rewrite itself.
//   - c = ? becomes c = +?, the same comparison. While planning a join, or a
//     query with ORDER BY, SQLite asks of every c = ? whether the bound value is
//     0 or 1 (to estimate how many rows the term keeps), and from then on treats
//     the statement as depending on that parameter's value; go-sqlite3 clears
//     the bindings before each run, so the statement would be parsed and planned
//     again on every run (30-50 µs for a page with a join, more than running it).
//     SQLite does not look through the unary plus, and plans c = +? exactly as
//     c = ?, index searches included.
func sqliteStatement(query string) string {
	if strings.Contains(query, "IS NOT NULL)") {
		query = notNotNull.ReplaceAllString(query, "$1 IS NULL")
	}
	return strings.ReplaceAll(query, " = ?", " = +?")
}
