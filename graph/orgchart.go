package graph

import (
	"context"
	"errors"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/predicate"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/orgpath"
	"github.com/idgraph/idgraph/internal/viewer"
)

// reportsDepth checks the depth argument of reports: nil is every level (0).
func reportsDepth(field string, depth *int) (int, error) {
	if depth == nil {
		return 0, nil
	}
	if *depth < 1 {
		return 0, apierror.BadInputf("%s must be at least 1 (direct reports), not %d", field, *depth)
	}
	return *depth, nil
}

// userReports is User.reports: the page of everyone below u, each edge with its depth.
func userReports(ctx context.Context, u *ent.User, depth int, page loader.UserPage) (*model.ReportConnection, error) {
	conn, err := loader.For(ctx).ReportsByManagerID(depth).Load(ctx, loader.KeysOf(ctx, u, userID), page)
	if err != nil {
		return nil, err
	}
	out := &model.ReportConnection{
		Edges:      make([]*model.ReportEdge, len(conn.Edges)),
		Nodes:      make([]*ent.User, len(conn.Edges)),
		PageInfo:   &conn.PageInfo,
		TotalCount: conn.TotalCount,
	}
	for i, e := range conn.Edges {
		out.Edges[i] = &model.ReportEdge{Node: e.Node, Cursor: e.Cursor, Depth: orgpath.Depth(e.Node.ReportingPath, u.ID)}
		out.Nodes[i] = e.Node
	}
	return out, nil
}

// managementLevelUser is ManagementLevel.user: loaded with every level of the
// page's chains. A manager that is gone (a path written before its deletion)
// is null, without an error: the chain above it still shows.
func managementLevelUser(ctx context.Context, level *model.ManagementLevel) (*ent.User, error) {
	u, err := loader.For(ctx).UserByID().Load(ctx, loader.KeysOf(ctx, level, func(l *model.ManagementLevel) string { return l.UserID }))
	var notFound *apierror.Error
	if errors.As(err, &notFound) && notFound.Code == apierror.CodeNotFound {
		return nil, nil
	}
	return u, err
}

// reportsToFilter is where: {reportsTo: {id, maxDepth}}: users below the
// manager, one range of the reporting-path index. The manager's path is read
// in the same statement; a manager that is not a live user of the tenant has
// nobody below it.
func reportsToFilter(ctx context.Context, f *model.ReportsToFilter) (predicate.User, error) {
	tenant, all, err := viewer.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	depth, err := reportsDepth("reportsTo.maxDepth", f.MaxDepth)
	if err != nil {
		return nil, err
	}
	return func(s *sql.Selector) {
		t := sql.Table(user.Table).As("reports_to")
		where := []*sql.Predicate{sql.EQ(t.C(user.FieldID), f.ID), sql.IsNull(t.C(user.FieldDeletedAt))}
		if !all {
			where = append(where, sql.EQ(t.C(user.FieldTenantID), tenant))
		}
		// The manager's path as a scalar subquery, read once: the range it
		// bounds stays an index range.
		path := sql.Select(t.C(user.FieldReportingPath)).From(t).Where(sql.And(where...))
		s.Where(orgpath.Within(s.C(user.FieldReportingPath),
			func(b *sql.Builder) { b.WriteString("(").Join(path).WriteString(")") },
			func(b *sql.Builder) { b.Arg(f.ID) }, depth))
	}, nil
}
