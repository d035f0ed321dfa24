package loader

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/stmtmemo"
)

// pagesBy is the loader of one connection field of nodes N: prepare readies the
// statement of a page for a batch of parents (a P, ent's pages of N), and run
// sends prepared pages, those of sibling fields in one statement (see siblings).
// Every node of the pages of one field joins one sibling group, and the
// references their fields select are joined.
func pagesBy[N, C, O, W, P any](cfg Config, g *groups, j *joiner, parent func([]string) ent.ParentKey, total func(*C) *int,
	nodesOf func(*C) []*N, value func(*N, string) (ent.Value, error),
	prepare func(ctx context.Context, key ent.ParentKey, p Page[O, W]) (P, error),
	run func(ctx context.Context, pages []P) ([]map[string]*C, error),
	perRow func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error)) *Conn[C, O, W] {
	var c *Conn[C, O, W]
	c = newConn(cfg, parent(nil).Join == nil, total, func(ctx context.Context, ids []string, p Page[O, W]) (map[string]*C, error) {
		siblings := c.siblings(ctx, ids, p)
		for _, s := range siblings {
			p.Columns = unionOf(p.Columns, s.page.Columns) // one column list for every part of the statement
		}
		var conns map[string]*C
		var own []*N
		_, err := joined(ctx, j, p.joins, value, func(joins func(*sql.Selector, func(string) string)) ([]*N, error) {
			key := parent(ids)
			if c.keyOf != nil {
				var err error
				if key, err = c.keyOf(ctx, ids); err != nil {
					return nil, err
				}
			}
			key.Joins = joins
			first, err := prepare(ctx, key, p)
			if err != nil {
				return nil, err
			}
			pages := []P{first}
			var kept []sibling[C, O, W]
			for _, s := range siblings {
				key := s.conn.parent(ids)
				key.Joins = joins
				page := s.page
				page.Columns = p.Columns
				prepared, err := s.conn.prepare(ctx, key, page)
				if err != nil {
					continue // the sibling's own load reports it
				}
				pages = append(pages, prepared.(P))
				kept = append(kept, s)
			}
			results, err := run(stmtmemo.WithCall(ctx, c.statementCall(ctx, ids, p, kept)), pages)
			if err != nil {
				return nil, err
			}
			conns = results[0]
			for _, c := range conns {
				own = append(own, nodesOf(c)...)
			}
			all := own
			for i, s := range kept {
				var theirs []*N
				for _, c := range results[i+1] {
					theirs = append(theirs, nodesOf(c)...)
				}
				register(g, theirs)
				s.conn.prime(s.page, results[i+1])
				all = append(all, theirs...)
			}
			return all, nil
		})
		register(g, own)
		return conns, err
	})
	c.parent = parent
	c.prepare = func(ctx context.Context, key ent.ParentKey, p Page[O, W]) (any, error) { return prepare(ctx, key, p) }
	c.perRow = func(ctx context.Context, outer string) (*sql.Selector, error) { return perRow(ctx, parent(nil), outer) }
	return c
}
