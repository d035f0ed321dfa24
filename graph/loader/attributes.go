package loader

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/internal/policy"
)

// Attribute is one directory attribute of a user.
type Attribute struct{ Key, Value string }

// Attributes loads users' directory attributes: one statement per page of users
// reads the open ones; the fixed ones are columns of the user row.
type Attributes struct {
	b *batch[[]*ent.UserAttribute]
}

func newAttributes(cfg Config, client *ent.Client) *Attributes {
	return &Attributes{b: newBatch(cfg, func(ctx context.Context, ids []string) []*dataloader.Result[[]*ent.UserAttribute] {
		rows, err := client.UserAttribute.Query().
			Where(func(s *sql.Selector) { s.Where(ent.ColumnIn(s.C(userattribute.FieldUserID), ids)) }).
			Order(userattribute.ByUserID(), userattribute.ByKey()).All(ctx)
		byUser := make(map[string][]*ent.UserAttribute, len(ids))
		for _, r := range rows {
			byUser[r.UserID] = append(byUser[r.UserID], r)
		}
		return inKeyOrder(ids, byUser, err)
	})}
}

// Load returns u's attributes, the set fixed ones and the open ones, ordered by key.
func (a *Attributes) Load(ctx context.Context, k Keys, u *ent.User) ([]Attribute, error) {
	open, err := a.b.load(ctx, k)
	if err != nil {
		return nil, err
	}
	all := make([]Attribute, 0, len(policy.FixedAttributes)+len(open))
	for _, key := range policy.FixedAttributes {
		if v := FixedAttribute(u, key); v != "" {
			all = append(all, Attribute{key, v})
		}
	}
	for _, r := range open {
		all = append(all, Attribute{r.Key, r.Value})
	}
	slices.SortFunc(all, func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) })
	return all, nil
}

// FixedAttribute is u's value of one of policy.FixedAttributes.
func FixedAttribute(u *ent.User, key string) string {
	switch key {
	case user.FieldTitle:
		return u.Title
	case user.FieldDepartment:
		return u.Department
	case user.FieldDivision:
		return u.Division
	case user.FieldCompany:
		return u.Company
	case user.FieldOffice:
		return u.Office
	case user.FieldCostCenter:
		return u.CostCenter
	}
	return ""
}
