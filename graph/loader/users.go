package loader

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/resource"
)

// resourcesOfUsers reaches resources through memberships of the users' live
// identities; a resource reached by two identities of one user counts once.
func resourcesOfUsers(ids []string) ent.ParentKey {
	m, i := sql.Table(membership.Table), sql.Table(identity.Table)
	return ent.ParentKey{
		IDs: ids,
		Join: func(s *sql.Selector) {
			s.Join(m).OnP(sql.And(sql.ColumnsEQ(s.C(resource.FieldID), m.C(membership.FieldResourceID)), sql.IsNull(m.C("deleted_at")))).
				Join(i).OnP(sql.And(sql.ColumnsEQ(m.C(membership.FieldIdentityID), i.C(identity.FieldID)), sql.IsNull(i.C("deleted_at"))))
		},
		Column:   func(*sql.Selector) string { return i.C(identity.FieldUserID) },
		Distinct: true,
	}
}

// newResourceCounts counts, per user and resource kind, the distinct resources the
// user reaches: one grouped statement answers every per-kind count of a page of users.
func newResourceCounts(cfg Config, client *ent.Client) *ResourceCounts {
	type row struct {
		UserID string        `sql:"user_id"`
		Kind   resource.Kind `sql:"kind"`
		Count  int           `sql:"count"`
	}
	return &ResourceCounts{b: newBatch(cfg, func(ctx context.Context, ids []string) []*dataloader.Result[map[resource.Kind]int] {
		var rows []row
		key := resourcesOfUsers(ids)
		err := client.Resource.Query().Where(func(s *sql.Selector) {
			key.Join(s)
			userID := key.Column(s)
			s.Where(ent.ColumnIn(userID, ids))
			s.Select(sql.As(userID, "user_id"), sql.As(s.C(resource.FieldKind), "kind"),
				sql.As(sql.Count("DISTINCT "+s.C(resource.FieldID)), "count"))
			s.GroupBy(userID, s.C(resource.FieldKind))
		}).Select().Scan(ctx, &rows)
		counts := make(map[string]map[resource.Kind]int, len(ids))
		for _, r := range rows {
			if counts[r.UserID] == nil {
				counts[r.UserID] = map[resource.Kind]int{}
			}
			counts[r.UserID][r.Kind] = r.Count
		}
		return inKeyOrder(ids, counts, err)
	})}
}

// ResourceCounts loads, per user, how many distinct resources of each kind it reaches.
type ResourceCounts struct {
	b *batch[map[resource.Kind]int]
}

// Load returns the user's counts by kind; kinds it reaches none of are absent.
func (r *ResourceCounts) Load(ctx context.Context, k Keys) (map[resource.Kind]int, error) {
	return r.b.load(ctx, k)
}
