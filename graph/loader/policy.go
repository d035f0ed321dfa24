package loader

import (
	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/policy"
)

// The standings of users and rules (internal/policy) as relations in both
// directions. The row table joins the other side on the policy's SQL form, so
// a page of users (or of rules) and its counts are a statement each, whatever
// the number of rules and conditions.

// rulesOfUsers relates rules to the users who stand in rel to them.
func rulesOfUsers(rel policy.Relation) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		holder := sql.Table(user.Table).As("holder")
		return ent.ParentKey{
			IDs: ids,
			Join: func(s *sql.Selector) {
				rows := policy.Rows{Dialect: s.Dialect(), User: holder.C, Rule: s.C}
				s.Join(holder).OnP(sql.And(
					sql.ColumnsEQ(holder.C(user.FieldTenantID), s.C(policyrule.FieldTenantID)),
					sql.IsNull(holder.C(user.FieldDeletedAt)),
					sql.ExprP(rows.Holds(rel))))
			},
			Column: func(*sql.Selector) string { return holder.C(user.FieldID) },
		}
	}
}

// usersOfRules relates users to the rules they stand in rel to.
func usersOfRules(rel policy.Relation) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		rule := sql.Table(policyrule.Table).As("standing_rule")
		return ent.ParentKey{
			IDs: ids,
			Join: func(s *sql.Selector) {
				rows := policy.Rows{Dialect: s.Dialect(), User: s.C, Rule: rule.C}
				s.Join(rule).OnP(sql.And(
					sql.ColumnsEQ(rule.C(policyrule.FieldTenantID), s.C(user.FieldTenantID)),
					sql.IsNull(rule.C(policyrule.FieldDeletedAt)),
					sql.ExprP(rows.Holds(rel))))
			},
			Column: func(*sql.Selector) string { return rule.C(policyrule.FieldID) },
		}
	}
}
