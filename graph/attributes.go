package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/predicate"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/policy"
	"github.com/idgraph/idgraph/internal/viewer"
)

// maxAttributeValues bounds the in list of one attribute filter.
const maxAttributeValues = 100

// attributesFilter is where: {attributes: [...]}: users whose attributes pass
// every test. A fixed key tests its column of users; an open key reads the
// (tenant, key, value) index of user_attributes.
func attributesFilter(ctx context.Context, filters []*model.DirectoryAttributeFilter) (predicate.User, error) {
	tenant, all, err := viewer.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	tests := make([]func(*sql.Selector) *sql.Predicate, 0, len(filters))
	for _, f := range filters {
		test, err := attributeTest(f, tenant, all)
		if err != nil {
			return nil, err
		}
		tests = append(tests, test)
	}
	return func(s *sql.Selector) {
		for _, test := range tests {
			s.Where(test(s))
		}
	}, nil
}

func attributeTest(f *model.DirectoryAttributeFilter, tenant string, allTenants bool) (func(*sql.Selector) *sql.Predicate, error) {
	given := 0
	for _, set := range []bool{f.Equals != nil, f.In != nil, f.HasPrefix != nil, f.Exists != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return nil, apierror.BadInputf("attributes: the filter on %q gives %d of equals, in, hasPrefix and exists; give one", apierror.Clip(f.Key), given)
	}
	if len(f.In) > maxAttributeValues {
		return nil, apierror.BadInputf("attributes: the filter on %q lists %d values; the limit is %d", apierror.Clip(f.Key), len(f.In), maxAttributeValues)
	}
	value := func(column string) *sql.Predicate {
		switch {
		case f.Equals != nil:
			return sql.EQ(column, *f.Equals)
		case f.In != nil:
			values := make([]any, len(f.In))
			for i, v := range f.In {
				values[i] = v
			}
			return sql.In(column, values...)
		case f.HasPrefix != nil:
			return sql.HasPrefix(column, *f.HasPrefix)
		}
		return nil // exists: any value
	}
	if policy.IsFixed(f.Key) {
		return func(s *sql.Selector) *sql.Predicate {
			column := s.C(f.Key)
			if f.Exists != nil {
				if *f.Exists {
					return sql.NEQ(column, "")
				}
				return sql.EQ(column, "")
			}
			return value(column)
		}, nil
	}
	return func(s *sql.Selector) *sql.Predicate {
		t := sql.Table(userattribute.Table)
		where := []*sql.Predicate{sql.EQ(t.C(userattribute.FieldKey), f.Key), sql.IsNull(t.C(userattribute.FieldDeletedAt))}
		if !allTenants {
			where = append(where, sql.EQ(t.C(userattribute.FieldTenantID), tenant))
		}
		if p := value(t.C(userattribute.FieldValue)); p != nil {
			where = append(where, p)
		}
		holders := sql.Select(t.C(userattribute.FieldUserID)).From(t).Where(sql.And(where...))
		if f.Exists != nil && !*f.Exists {
			return sql.NotIn(s.C("id"), holders)
		}
		return sql.In(s.C("id"), holders)
	}, nil
}

// attributesInput turns the attributes of a user write into the directory's form.
func attributesInput(in []*model.DirectoryAttributeInput) directory.Attributes {
	if in == nil {
		return nil
	}
	a := make(directory.Attributes, len(in))
	for i, kv := range in {
		a[i] = directory.Attribute{Key: kv.Key, Value: kv.Value}
	}
	return a
}

// userAttributes is User.attributes.
func userAttributes(ctx context.Context, u *ent.User) ([]*model.DirectoryAttribute, error) {
	all, err := loader.For(ctx).AttributesByUserID().Load(ctx, loader.KeysOf(ctx, u, userID), u)
	if err != nil {
		return nil, err
	}
	out := make([]*model.DirectoryAttribute, len(all))
	for i, a := range all {
		out[i] = &model.DirectoryAttribute{Key: a.Key, Value: a.Value}
	}
	return out, nil
}
