package loader

import (
	"context"
	"encoding/json"
	"math"
	"slices"

	"github.com/99designs/gqlgen/graphql"
)

// Sibling pages. Fields resolve one after another (see graph/gqlgenc), so a
// user's directReports and its secondaryUsers, both pages of users, would be
// two statements, one round trip each. When the first of them is fetched, the
// loader looks at the other connection fields of the same object: a field
// whose nodes are of the same type, asked for with at most first (no cursor,
// filter or order to parse), with the same joins, and not read yet, has its
// page read in the same statement, a UNION ALL (ent's Run<Node>Pages), and
// cached for the resolver that will ask for it.

// sibling is a connection field beside the one being fetched, with its page.
type sibling[C, O, W any] struct {
	conn *Conn[C, O, W]
	page Page[O, W]
}

// siblings returns the fields whose pages for the parents ids can be read
// with p, the page being fetched for the field resolving in ctx.
func (c *Conn[C, O, W]) siblings(ctx context.Context, ids []string, p Page[O, W]) []sibling[C, O, W] {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok || c.cfg.Bypass || c.cfg.DefaultPage == 0 || c.keyOf != nil || c.prepare == nil ||
		!p.Rows || p.ordered || p.After != nil || p.Before != nil || p.Last != nil {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return nil
	}
	// The field that returned the object (or the list it is an element of)
	// holds the object's selections.
	object := fc.Parent
	for object != nil && object.Field.Field == nil {
		object = object.Parent
	}
	if object == nil {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	var out []sibling[C, O, W]
	seen := map[*batch[*C]]bool{} // a page asked for twice (under two aliases) is read once
	for _, f := range graphql.CollectFields(oc, object.Field.Selections, []string{fc.Object, "Node"}) {
		if f.Alias == fc.Field.Alias {
			continue
		}
		// A field with a directive (a permission of its own) is read on its own.
		conn, ok := l.counterOf(fc.Object, f.Name).(*Conn[C, O, W])
		if !ok || conn.prepare == nil || conn.keyOf != nil || len(f.Definition.Directives) > 0 {
			continue
		}
		first, ok := firstOnly(f.ArgumentMap(oc.Variables), c.cfg.DefaultPage, c.cfg.MaxPage)
		if !ok {
			continue
		}
		// Memoised where the field's own resolver will look (NewPage), so that
		// it asks for the very page cached here.
		page := memo(ctx, memoKey{site: siteOf(f), kind: "page"}, func() Page[O, W] {
			var orderBy O
			var where W
			return pageOf(ctx, f, nil, &first, nil, nil, orderBy, where)
		})
		if !page.Rows || page.joins.key() != p.joins.key() || conn.answered(page, ids) {
			continue
		}
		b, _ := conn.rowsBatch(page)
		if seen[b] {
			continue
		}
		seen[b] = true
		out = append(out, sibling[C, O, W]{conn: conn, page: page})
	}
	return out
}

// firstOnly returns the page size of a field whose only argument is first (or
// that has none: the default page); ok is false for any other argument, and
// for a size the field would refuse or that reads nothing.
func firstOnly(args map[string]any, defaultPage, maxPage int) (first int, ok bool) {
	first = defaultPage
	for name, v := range args {
		if v == nil {
			continue // an explicit null is the argument's absence
		}
		if name != "first" {
			return 0, false
		}
		n, ok := integer(v)
		if !ok {
			return 0, false
		}
		first = n
	}
	return first, first > 0 && first <= maxPage
}

// integer is an Int argument's value as parsed from the document or the variables.
func integer(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), n >= math.MinInt32 && n <= math.MaxInt32
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil && i >= math.MinInt32 && i <= math.MaxInt32
	case float64:
		return int(n), n == math.Trunc(n) && n >= math.MinInt32 && n <= math.MaxInt32
	}
	return 0, false
}

// answered reports whether p's rows are cached for every parent in ids, or
// being fetched (the batch is busy: possibly the very fetch asking).
func (c *Conn[C, O, W]) answered(p Page[O, W], ids []string) bool {
	b, _ := c.rowsBatch(p)
	if !b.mu.TryLock() {
		return true
	}
	defer b.mu.Unlock()
	for _, id := range ids {
		if _, ok := b.done[id]; !ok {
			return false
		}
	}
	return true
}

// unionOf is the sorted columns of a and b, each once; nil (every column)
// when either is.
func unionOf(a, b []string) []string {
	if a == nil || b == nil {
		return nil
	}
	if slices.Equal(a, b) {
		return a
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
