package loader

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
)

// pagesBy is the loader of one connection field of nodes N: paginate pages it
// for a batch of parents. Every node of the pages fetched in one statement joins
// one sibling group, and the references their fields select are joined.
func pagesBy[N, C, O, W any](cfg Config, g *groups, j *joiner, parent func([]string) ent.ParentKey, total func(*C) *int,
	nodesOf func(*C) []*N, value func(*N, string) (ent.Value, error),
	paginate func(ctx context.Context, key ent.ParentKey, p Page[O, W]) (map[string]*C, error),
	perRow func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error)) *Conn[C, O, W] {
	var c *Conn[C, O, W]
	c = newConn(cfg, parent(nil).Join == nil, total, func(ctx context.Context, ids []string, p Page[O, W]) (map[string]*C, error) {
		var conns map[string]*C
		nodes, err := joined(ctx, j, p.joins, value, func(joins func(*sql.Selector, func(string) string)) ([]*N, error) {
			key := parent(ids)
			if c.keyOf != nil {
				var err error
				if key, err = c.keyOf(ctx, ids); err != nil {
					return nil, err
				}
			}
			key.Joins = joins
			var err error
			conns, err = paginate(ctx, key, p)
			var nodes []*N
			for _, c := range conns {
				nodes = append(nodes, nodesOf(c)...)
			}
			return nodes, err
		})
		register(g, nodes)
		return conns, err
	})
	c.perRow = func(ctx context.Context, outer string) (*sql.Selector, error) { return perRow(ctx, parent(nil), outer) }
	return c
}
