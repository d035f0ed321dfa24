package loader

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/orgpath"
)

// Page is the arguments of one connection field plus what the query selects of it.
type Page[O, W any] struct {
	After, Before *entgql.Cursor[string]
	First, Last   *int
	OrderBy       O
	Where         W
	// Rows is set when edges, nodes or pageInfo are selected; Count when totalCount is.
	Rows, Count bool
	// Columns is the projection of the rows (nil: every column).
	Columns []string
	// joins are the references the rows' fields select, read with the rows.
	joins joinPlan
	// rowsKey identifies equal arguments, filterKey equal filters: totals depend on
	// the filter only, so every field and count with the same filter shares one COUNT.
	// rowsTotalKey is rowsKey for the rows read with their totals.
	rowsKey, filterKey, rowsTotalKey string
	// ordered: the field has an orderBy argument.
	ordered bool
}

// connectionsOf names the node type of connections not named after it, and
// the columns every row of them needs: a report's depth is read from its path.
var connectionsOf = map[string]struct {
	typ     string
	columns []string
}{"Report": {"User", []string{orgpath.Column}}}

// pagingArguments do not change which rows a connection has, only which it returns.
var pagingArguments = map[string]bool{"first": true, "last": true, "after": true, "before": true, "orderBy": true}

// NewPage reads the connection field being resolved in ctx.
func NewPage[O, W any](ctx context.Context, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy O, where W) Page[O, W] {
	return memo(ctx, memoKey{site: siteOf(graphql.GetFieldContext(ctx).Field), kind: "page"}, func() Page[O, W] {
		return newPage(ctx, after, first, before, last, orderBy, where)
	})
}

func newPage[O, W any](ctx context.Context, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy O, where W) Page[O, W] {
	return pageOf(ctx, graphql.GetFieldContext(ctx).Field, after, first, before, last, orderBy, where)
}

// pageOf reads the connection field of the query, with its arguments parsed.
func pageOf[O, W any](ctx context.Context, field graphql.CollectedField, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy O, where W) Page[O, W] {
	p := Page[O, W]{After: after, First: first, Before: before, Last: last, OrderBy: orderBy, Where: where}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, field.Selections, nil) {
		switch f.Name {
		case "edges", "nodes", "pageInfo":
			p.Rows = true
		case "totalCount":
			p.Count = true
		}
	}
	// Raw argument values (variables substituted) describe the page canonically;
	// encoding/json sorts map keys. first comes from the parsed arguments, where
	// the page-size middleware may have filled in the default.
	args := field.ArgumentMap(oc.Variables)
	p.ordered = args["orderBy"] != nil
	filter := map[string]any{}
	for name, v := range args {
		if !pagingArguments[name] {
			filter[name] = v
		}
	}
	if p.Rows {
		typ := strings.TrimSuffix(field.Definition.Type.Name(), "Connection")
		extra := connectionsOf[typ]
		if extra.typ != "" {
			typ = extra.typ
		}
		p.Columns = connectionProjection(ctx, field, typ)
		if len(extra.columns) > 0 {
			p.Columns = slices.Concat(p.Columns, extra.columns)
		}
		if !For(ctx).cfg.Bypass {
			p.joins = fieldJoins(ctx, typ, "nodes", field, nodeSelections(ctx, field))
		}
	}
	rows, _ := json.Marshal(args)
	filters, _ := json.Marshal(filter)
	p.rowsKey, p.filterKey = string(rows)+strings.Join(p.Columns, ",")+"|"+p.joins.key(), string(filters)
	if first != nil {
		p.rowsKey += fmt.Sprintf("+first=%d", *first)
	}
	p.rowsTotalKey = p.rowsKey + "+total"
	return p
}

// countOnly is the page a count field asks for: the unfiltered total, no rows.
func countOnly[O, W any]() Page[O, W] {
	return Page[O, W]{Count: true, filterKey: "{}"}
}

// Conn batches one connection field across parents: one batch (so one statement)
// per distinct page of rows, and one per distinct filter for the totals. A page
// asked for with its total and no cursor brings the total along, and primes the
// totals of its filter.
type Conn[C, O, W any] struct {
	cfg        Config
	withTotals bool
	fetch      func(ctx context.Context, parentIDs []string, p Page[O, W]) (map[string]*C, error)
	total      func(*C) *int
	// perRow counts a parent's rows in a subquery correlated with outer, the
	// parent's id in an enclosing statement (see countedWith).
	perRow func(ctx context.Context, outer string) (*sql.Selector, error)
	// keyOf, when set, relates rows to a batch of parents with what it reads
	// first (the conditions of policy rules); otherwise the parent function does.
	keyOf func(ctx context.Context, parentIDs []string) (ent.ParentKey, error)
	// parent relates rows to a batch of parents, and prepare readies a page's
	// statement without sending it (ent's pages of the node type), so that
	// a sibling field can send it with its own (see siblings).
	parent  func([]string) ent.ParentKey
	prepare func(ctx context.Context, key ent.ParentKey, p Page[O, W]) (any, error)
	// name is the loader's, for the edges of the schema: the statement memo
	// keeps the statements of named loaders only (see statementCall).
	name     string
	mu       sync.Mutex
	byRows   map[string]*batch[*C]
	byFilter map[string]*batch[*C]
}

// newConn makes the loader of one connection field; withTotals says whether its
// pages can carry their totals (edges through a join table count apart).
func newConn[C, O, W any](cfg Config, withTotals bool, total func(*C) *int, fetch func(context.Context, []string, Page[O, W]) (map[string]*C, error)) *Conn[C, O, W] {
	return &Conn[C, O, W]{cfg: cfg, withTotals: withTotals, fetch: fetch, total: total}
}

// batchFor is the batch of key in batches, made on first use: most of a
// request's loaders are never asked.
func (c *Conn[C, O, W]) batchFor(batches *map[string]*batch[*C], key string, p Page[O, W]) *batch[*C] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *batches == nil {
		*batches = map[string]*batch[*C]{}
	}
	b, ok := (*batches)[key]
	if !ok {
		// A copy of p, made only here: were p itself captured, every call (one
		// per parent) would move the page to the heap.
		page := p
		b = newBatch(c.cfg, func(ctx context.Context, ids []string) []*dataloader.Result[*C] {
			conns, err := c.fetch(ctx, ids, page)
			return inKeyOrder(ids, conns, err)
		})
		(*batches)[key] = b
	}
	return b
}

// Load returns the page of the parent's connection.
func (c *Conn[C, O, W]) Load(ctx context.Context, k Keys, p Page[O, W]) (*C, error) {
	var conn *C
	if p.Rows {
		rows, withTotals := c.rowsBatch(p)
		page, err := rows.load(ctx, k)
		if err != nil {
			return nil, err
		}
		if withTotals {
			// Rows and total together, without a cursor: one statement returns both,
			// and the totals answer later count fields with the same filter.
			c.totalsBatch(p).prime(k.Key, page)
			return page, nil
		}
		copied := *page // cached pages are shared; the total is set on a copy
		conn = &copied
	}
	if p.Count {
		counted, err := c.totalsBatch(p).load(ctx, k)
		if err != nil {
			return nil, err
		}
		if conn == nil {
			return counted, nil
		}
		*c.total(conn) = *c.total(counted)
	}
	if conn == nil { // neither rows nor total asked for: only __typename
		return c.totalsBatch(p).load(ctx, k)
	}
	return conn, nil
}

// rowsBatch is the batch that reads p's rows, and whether they carry their
// totals: a page with its total and no cursor is one statement.
func (c *Conn[C, O, W]) rowsBatch(p Page[O, W]) (b *batch[*C], withTotals bool) {
	if c.withTotals && p.Count && p.After == nil && p.Before == nil {
		return c.batchFor(&c.byRows, p.rowsTotalKey, p), true
	}
	rows := p
	rows.Count = false
	return c.batchFor(&c.byRows, p.rowsKey, rows), false
}

// totalsBatch is the batch that counts the rows p's filter keeps.
func (c *Conn[C, O, W]) totalsBatch(p Page[O, W]) *batch[*C] {
	return c.batchFor(&c.byFilter, p.filterKey, Page[O, W]{Where: p.Where, Count: true})
}

// prime caches conns, read for the parents they are keyed by, as p's pages
// and, when p counts, its totals: what Load(p) would have fetched.
func (c *Conn[C, O, W]) prime(p Page[O, W], conns map[string]*C) {
	rows, _ := c.rowsBatch(p)
	for parent, conn := range conns {
		rows.prime(parent, conn)
		if p.Count {
			c.totalsBatch(p).prime(parent, conn)
		}
	}
}

// countPerRow implements counter.
func (c *Conn[C, O, W]) countPerRow(ctx context.Context, outer string) (*sql.Selector, error) {
	return c.perRow(ctx, outer)
}

// primeCount caches n as the unfiltered total of parent's rows, counted by the
// statement that read the parent.
func (c *Conn[C, O, W]) primeCount(parent string, n int) {
	conn := new(C)
	*c.total(conn) = n
	c.batchFor(&c.byFilter, countOnly[O, W]().filterKey, countOnly[O, W]()).prime(parent, conn)
}

// Count returns the total number of the parent's rows, with no filter.
func (c *Conn[C, O, W]) Count(ctx context.Context, k Keys) (int, error) {
	conn, err := c.Load(ctx, k, countOnly[O, W]())
	if err != nil {
		return 0, err
	}
	return *c.total(conn), nil
}
