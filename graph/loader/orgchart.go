package loader

import (
	"context"
	"sync"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/orgpath"
)

// reportsOf is the parent key of everyone below a batch of managers, at most
// depth levels down (0: every level). A user is a row of manager M when its
// reporting path lies in M's range, so a page of M's reports reads one range
// of the path index, however deep or wide the tree below M.
func reportsOf(depth int) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		above := sql.Table(user.Table).As("above")
		return ent.ParentKey{
			IDs: ids,
			Join: func(s *sql.Selector) {
				s.Join(above).OnP(sql.And(
					sql.ColumnsEQ(above.C(user.FieldTenantID), s.C(user.FieldTenantID)),
					sql.IsNull(above.C(user.FieldDeletedAt)),
					orgpath.Within(s.C(user.FieldReportingPath), orgpath.Ref(above.C(user.FieldReportingPath)), orgpath.Ref(above.C(user.FieldID)), depth)))
			},
			Column: func(*sql.Selector) string { return above.C(user.FieldID) },
		}
	}
}

// orgChart holds the loaders of the reporting lines: everyone below a user,
// one loader per depth asked for, and the management chains of users.
type orgChart struct {
	mu      sync.Mutex
	reports map[int]*UserConn
	chains  map[*ent.User][]*model.ManagementLevel
}

// ReportsByManagerID loads everyone below a page of users, at most depth levels
// down (0: every level).
func (l *Loaders) ReportsByManagerID(depth int) *UserConn {
	l.orgChart.mu.Lock()
	defer l.orgChart.mu.Unlock()
	if l.orgChart.reports == nil {
		l.orgChart.reports = map[int]*UserConn{}
	}
	c, ok := l.orgChart.reports[depth]
	if !ok {
		c = pagesOfUser(l.cfg, l.groups, l.joins, l.client, reportsOf(depth))
		l.orgChart.reports[depth] = c
	}
	return c
}

// ManagementChain returns u's managers from the direct one up, read from its
// reporting path. The chains of all u's siblings are made at once and their
// levels form one sibling group, so the managers of a whole page are loaded
// by one statement (ManagementLevel.user).
func (l *Loaders) ManagementChain(ctx context.Context, u *ent.User) []*model.ManagementLevel {
	l.orgChart.mu.Lock()
	defer l.orgChart.mu.Unlock()
	if chain, ok := l.orgChart.chains[u]; ok {
		return chain
	}
	members, ok := membersOf(ctx, u)
	if !ok {
		members = []*ent.User{u}
	}
	if l.orgChart.chains == nil {
		l.orgChart.chains = map[*ent.User][]*model.ManagementLevel{}
	}
	var levels []*model.ManagementLevel
	for _, m := range members {
		ids := orgpath.Managers(m.ReportingPath)
		chain := make([]*model.ManagementLevel, len(ids))
		for i, id := range ids {
			chain[i] = &model.ManagementLevel{Depth: i + 1, UserID: id}
		}
		l.orgChart.chains[m] = chain
		levels = append(levels, chain...)
	}
	register(l.groups, levels)
	return l.orgChart.chains[u]
}
