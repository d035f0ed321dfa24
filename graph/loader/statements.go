package loader

import (
	"context"
	"strings"

	"github.com/idgraph/idgraph/internal/stmtmemo"
	"github.com/idgraph/idgraph/internal/viewer"
)

// named gives the loader of an edge its name (see statementCall).
func (c *Conn[C, O, W]) named(name string) *Conn[C, O, W] {
	c.name = name
	return c
}

// statementCall is the statement memo's call for a fetch of p for the parents
// ids, with the sibling pages read in the same statement; nil when the
// statement is to be built anew.
//
// The shape must name everything the statement's text depends on, other than
// the tenant and the parents: the loader (its edge, and so the parent column),
// the page (rowsKey: the field's arguments, the columns selected and the
// references joined, the page size), whether rows and totals are read, each
// sibling's loader and page, and what of the viewer the statement is scoped
// by (the permissions, soft-deleted records). Pages with a filter or a cursor
// carry values of the client's as arguments and are built every time, as are
// loaders that read their parents' keys first (keyOf) and loaders without a
// name. In tests the memo builds every statement it gives back and fails on a
// difference, so a shape that says too little shows there.
func (c *Conn[C, O, W]) statementCall(ctx context.Context, ids []string, p Page[O, W], siblings []sibling[C, O, W]) *stmtmemo.Call {
	memo := c.cfg.Statements
	if memo == nil || c.name == "" || c.cfg.Bypass || c.keyOf != nil || !keepable(p) {
		return nil
	}
	tenant, all, err := viewer.Tenant(ctx)
	if err != nil || all {
		return nil
	}
	var b strings.Builder
	shapeOf(&b, c.name, p)
	for _, s := range siblings {
		if s.conn.name == "" || !keepable(s.page) {
			return nil
		}
		shapeOf(&b, s.conn.name, s.page)
	}
	return memo.Call(scoped(ctx, &b), tenant, ids)
}

// statementCall is the statement memo's call for a lookup of ids with the
// columns and joined references of plan: the statement's text depends on the
// node type, those and the viewer's scope only.
func (l *ByID[T]) statementCall(ctx context.Context, ids, columns []string, plan joinPlan) *stmtmemo.Call {
	memo := l.cfg.Statements
	if memo == nil || l.cfg.Bypass {
		return nil
	}
	tenant, all, err := viewer.Tenant(ctx)
	if err != nil || all {
		return nil
	}
	var b strings.Builder
	b.WriteString("by id\x00")
	b.WriteString(l.typ)
	b.WriteByte(0)
	b.WriteString(batchKey(columns, plan))
	return memo.Call(scoped(ctx, &b), tenant, ids)
}

// scoped ends a shape with what of the viewer scopes the statement besides
// its tenant: the permissions, and whether soft-deleted records are seen.
func scoped(ctx context.Context, b *strings.Builder) string {
	if v := viewer.FromContext(ctx); v != nil {
		b.WriteString("\x00permissions=")
		b.WriteString(strings.Join(v.Permissions, ","))
	}
	if viewer.IsIncludingDeleted(ctx) {
		b.WriteString("\x00deleted")
	}
	return b.String()
}

// keepable reports whether p's statement takes no value of the client's.
func keepable[O, W any](p Page[O, W]) bool {
	return p.rowsKey != "" && p.filterKey == "{}" && p.After == nil && p.Before == nil
}

func shapeOf[O, W any](b *strings.Builder, name string, p Page[O, W]) {
	b.WriteString(name)
	b.WriteByte(0)
	b.WriteString(p.rowsKey)
	if p.Rows {
		b.WriteString("+rows")
	}
	if p.Count {
		b.WriteString("+count")
	}
	b.WriteByte(0)
}
