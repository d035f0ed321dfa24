package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/predicate"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/policy"
	"github.com/idgraph/idgraph/internal/viewer"
)

// An aggregate groups the rows an entity's where filter keeps by dimensions
// and computes, per group, the count and the aggregates the query selects
// (countDistinct, min, max, each with its dimension), in one statement:
//
//	SELECT <keys>, COUNT(*), COUNT(*) OVER (), <aggregates> FROM <table> WHERE <filter>
//	GROUP BY <keys> ORDER BY <count or keys> LIMIT n
//
// The resolver of the root field reads what the groups select before the
// statement runs; the resolvers of countDistinct, min and max then read the
// group's value under the name valueName gives them.

// A dimension is a column of the entity's table; a timestamp is grouped by a bucket.
type dimension struct {
	column string
	time   bool
}

// The dimensions of each aggregate, by the name of their GraphQL enum value.
var (
	userDimensions = map[string]dimension{
		"DEPARTMENT": {column: user.FieldDepartment}, "DIVISION": {column: user.FieldDivision},
		"COMPANY": {column: user.FieldCompany}, "OFFICE": {column: user.FieldOffice},
		"COST_CENTER": {column: user.FieldCostCenter}, "TITLE": {column: user.FieldTitle},
		"STATE": {column: user.FieldState}, "TYPE": {column: user.FieldType}, "MANAGER": {column: user.FieldManagerID},
		"CREATED_AT": {user.FieldCreatedAt, true}, "UPDATED_AT": {user.FieldUpdatedAt, true},
		"LAST_AUTHENTICATED_AT": {user.FieldLastAuthenticatedAt, true}, "PROVISIONED_AT": {user.FieldProvisionedAt, true},
		"DEPROVISIONED_AT": {user.FieldDeprovisionedAt, true}, "EXPIRES_AT": {user.FieldExpiresAt, true},
	}
	identityDimensions = map[string]dimension{
		"STATE": {column: identity.FieldState}, "INTEGRATION": {column: identity.FieldIntegrationID},
		"USER": {column: identity.FieldUserID}, "LINKED_BY": {column: identity.FieldLinkedBy},
		"CREATED_AT": {identity.FieldCreatedAt, true}, "UPDATED_AT": {identity.FieldUpdatedAt, true},
		"LAST_AUTHENTICATED_AT": {identity.FieldLastAuthenticatedAt, true}, "LAST_SYNCED_AT": {identity.FieldLastSyncedAt, true},
		"PROVISIONED_AT": {identity.FieldProvisionedAt, true}, "DEPROVISIONED_AT": {identity.FieldDeprovisionedAt, true},
		"EXPIRES_AT": {identity.FieldExpiresAt, true},
	}
	membershipDimensions = map[string]dimension{
		"RESOURCE": {column: membership.FieldResourceID}, "IDENTITY": {column: membership.FieldIdentityID},
		"ROLE": {column: membership.FieldRole}, "CREATED_AT": {membership.FieldCreatedAt, true},
	}
	policyAssignmentDimensions = map[string]dimension{
		"STATE": {column: policyassignment.FieldState}, "RULESET": {column: policyassignment.FieldRulesetID},
		"RULE": {column: policyassignment.FieldRuleID}, "USER": {column: policyassignment.FieldUserID},
		"CREATED_AT": {policyassignment.FieldCreatedAt, true}, "ACTIVATED_AT": {policyassignment.FieldActivatedAt, true},
		"EXPIRES_AT": {policyassignment.FieldExpiresAt, true},
	}
	auditEventDimensions = map[string]dimension{
		"ACTION": {column: auditevent.FieldAction}, "ACTOR": {column: auditevent.FieldActor},
		"SUBJECT_USER": {column: auditevent.FieldSubjectUserID}, "RECORD": {column: auditevent.FieldRecordID},
		"OCCURRED_AT": {auditevent.FieldOccurredAt, true},
	}
)

// Limits of one aggregate: groupBy entries, selected aggregates, groups returned.
const (
	maxGroupKeys      = 4
	maxAggregates     = 16
	defaultAggregates = 100
	maxAggregateRows  = 1000
)

// groupKey is one groupBy entry: a dimension, or (users) a directory attribute.
type groupKey struct {
	dimension string
	attribute string
	bucket    *model.TimeBucket
}

// aggregation is one aggregate request, checked.
type aggregation struct {
	dims   map[string]dimension
	keys   []groupKey
	order  model.AggregateOrder
	limit  int
	values []aggregateValue
	// tenant scopes the joins the statement adds (attributes); the main table
	// is scoped by ent's interceptor.
	tenant    string
	allTenant bool
}

// aggregateValue is one countDistinct, min or max a group selects.
type aggregateValue struct{ fn, dimension string }

// valueName names the value of fn over dimension in a group's Values.
func valueName(fn, dimension string) string { return fn + ":" + dimension }

// newAggregation checks the arguments of an aggregate field and reads what its
// groups select.
func newAggregation(ctx context.Context, dims map[string]dimension, keys []groupKey, order *model.AggregateOrder, limit *int) (*aggregation, error) {
	a := &aggregation{dims: dims, keys: keys, order: model.AggregateOrderCountDesc, limit: defaultAggregates}
	if order != nil {
		a.order = *order
	}
	if limit != nil {
		if *limit < 0 || *limit > maxAggregateRows {
			return nil, apierror.BadInputf("limit must be between 0 and %d, got %d", maxAggregateRows, *limit)
		}
		a.limit = *limit
	}
	if len(keys) > maxGroupKeys {
		return nil, apierror.BadInputf("groupBy has %d entries; the limit is %d", len(keys), maxGroupKeys)
	}
	for i, k := range keys {
		switch {
		case (k.dimension == "") == (k.attribute == ""):
			return nil, apierror.BadInputf("groupBy[%d]: give one of dimension and attribute", i)
		case k.attribute != "":
			if k.bucket != nil {
				return nil, apierror.BadInputf("groupBy[%d]: an attribute has no bucket", i)
			}
		case dims[k.dimension].time && k.bucket == nil:
			return nil, apierror.BadInputf("groupBy[%d]: %s is a timestamp; give a bucket (DAY, WEEK, MONTH or YEAR)", i, k.dimension)
		case !dims[k.dimension].time && k.bucket != nil:
			return nil, apierror.BadInputf("groupBy[%d]: %s is not a timestamp and takes no bucket", i, k.dimension)
		}
	}
	var err error
	if a.tenant, a.allTenant, err = viewer.Tenant(ctx); err != nil {
		return nil, err
	}
	// The aggregates the groups select, arguments (variables included) read
	// as the resolvers of those fields will read them.
	oc := graphql.GetOperationContext(ctx)
	seen := map[string]bool{}
	for _, f := range graphql.CollectFields(oc, graphql.GetFieldContext(ctx).Field.Selections, nil) {
		if f.Name != "groups" {
			continue
		}
		for _, g := range graphql.CollectFields(oc, f.Selections, nil) {
			if g.Name != "countDistinct" && g.Name != "min" && g.Name != "max" {
				continue
			}
			d, _ := g.ArgumentMap(oc.Variables)["dimension"].(string)
			if _, ok := dims[d]; !ok || seen[valueName(g.Name, d)] {
				continue
			}
			seen[valueName(g.Name, d)] = true
			a.values = append(a.values, aggregateValue{g.Name, d})
		}
	}
	if len(a.values) > maxAggregates {
		return nil, apierror.BadInputf("the groups select %d aggregates; the limit is %d", len(a.values), maxAggregates)
	}
	return a, nil
}

// aggregateRow is one group as the statement returns it: k0-k3 the keys,
// v0-v15 the aggregates (see maxGroupKeys, maxAggregates).
type aggregateRow struct {
	K0    any   `sql:"k0"`
	K1    any   `sql:"k1"`
	K2    any   `sql:"k2"`
	K3    any   `sql:"k3"`
	N     int64 `sql:"n"`
	Total int64 `sql:"total"`
	V0    any   `sql:"v0"`
	V1    any   `sql:"v1"`
	V2    any   `sql:"v2"`
	V3    any   `sql:"v3"`
	V4    any   `sql:"v4"`
	V5    any   `sql:"v5"`
	V6    any   `sql:"v6"`
	V7    any   `sql:"v7"`
	V8    any   `sql:"v8"`
	V9    any   `sql:"v9"`
	V10   any   `sql:"v10"`
	V11   any   `sql:"v11"`
	V12   any   `sql:"v12"`
	V13   any   `sql:"v13"`
	V14   any   `sql:"v14"`
	V15   any   `sql:"v15"`
}

func (r *aggregateRow) keys() []any { return []any{r.K0, r.K1, r.K2, r.K3} }
func (r *aggregateRow) values() []any {
	return []any{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5, r.V6, r.V7, r.V8, r.V9, r.V10, r.V11, r.V12, r.V13, r.V14, r.V15}
}

// run executes the aggregation through scan, which runs the entity's filtered
// query with the modifier it is given.
func (a *aggregation) run(scan func(modify func(*sql.Selector), rows *[]aggregateRow) error) (*model.Aggregate, error) {
	var rows []aggregateRow
	if a.limit > 0 {
		if err := scan(a.modify, &rows); err != nil {
			return nil, err
		}
	}
	out := &model.Aggregate{Groups: make([]*model.AggregateGroup, len(rows))}
	for i, r := range rows {
		g := &model.AggregateGroup{Keys: make([]*string, len(a.keys)), Count: int(r.N), Values: map[string]*string{}}
		for j := range a.keys {
			g.Keys[j] = text(r.keys()[j])
		}
		for j, v := range a.values {
			g.Values[valueName(v.fn, v.dimension)] = text(r.values()[j])
		}
		out.Groups[i], out.TotalGroups = g, int(r.Total)
	}
	return out, nil
}

// modify turns the entity's filtered query into the grouped statement.
func (a *aggregation) modify(s *sql.Selector) {
	keys := make([]string, len(a.keys))
	for i, k := range a.keys {
		keys[i] = a.keyExpr(s, i, k)
	}
	s.Select()
	for i, k := range keys {
		s.AppendSelectExprAs(sql.Expr(k), fmt.Sprintf("k%d", i))
	}
	s.AppendSelectExprAs(sql.Expr("COUNT(*)"), "n").AppendSelectExprAs(sql.Expr("COUNT(*) OVER ()"), "total")
	for i, v := range a.values {
		col := s.C(a.dims[v.dimension].column)
		expr := map[string]string{"countDistinct": "COUNT(DISTINCT " + col + ")", "min": "MIN(" + col + ")", "max": "MAX(" + col + ")"}[v.fn]
		s.AppendSelectExprAs(sql.Expr(expr), fmt.Sprintf("v%d", i))
	}
	if len(keys) > 0 {
		s.GroupBy(keys...)
	}
	// Empty keys (NULL) sort last on both engines; the keys break ties.
	var order []string
	keyOrder := "ASC"
	if a.order == model.AggregateOrderKeysDesc {
		keyOrder = "DESC"
	}
	switch a.order {
	case model.AggregateOrderCountDesc:
		order = append(order, "COUNT(*) DESC")
	case model.AggregateOrderCountAsc:
		order = append(order, "COUNT(*) ASC")
	}
	for _, k := range keys {
		order = append(order, k+" "+keyOrder+" NULLS LAST")
	}
	if len(order) > 0 {
		s.OrderExpr(sql.Expr(strings.Join(order, ", ")))
	}
	s.Limit(a.limit)
}

// keyExpr is the SQL of groupBy entry i (no arguments: it is repeated in
// GROUP BY and ORDER BY). An open directory attribute is joined.
func (a *aggregation) keyExpr(s *sql.Selector, i int, k groupKey) string {
	if k.attribute != "" {
		if policy.IsFixed(k.attribute) {
			return s.C(k.attribute)
		}
		t := sql.Table(userattribute.Table).As(fmt.Sprintf("grouped_attribute_%d", i))
		on := []*sql.Predicate{
			sql.ColumnsEQ(t.C(userattribute.FieldUserID), s.C(user.FieldID)),
			sql.EQ(t.C(userattribute.FieldKey), k.attribute), sql.IsNull(t.C(userattribute.FieldDeletedAt)),
		}
		if !a.allTenant {
			on = append(on, sql.EQ(t.C(userattribute.FieldTenantID), a.tenant))
		}
		s.LeftJoin(t).OnP(sql.And(on...))
		return t.C(userattribute.FieldValue)
	}
	col := s.C(a.dims[k.dimension].column)
	if k.bucket == nil {
		return col
	}
	return bucketExpr(s.Dialect(), col, *k.bucket)
}

// bucketExpr names the period of a timestamp, in UTC, the same text on both
// engines: 2026-03-05, the Monday 2026-03-02, 2026-03, 2026.
func bucketExpr(d, col string, b model.TimeBucket) string {
	if d == dialect.Postgres {
		utc := col + " AT TIME ZONE 'UTC'"
		switch b {
		case model.TimeBucketWeek:
			return "TO_CHAR(DATE_TRUNC('week', " + utc + "), 'YYYY-MM-DD')"
		case model.TimeBucketMonth:
			return "TO_CHAR(" + utc + ", 'YYYY-MM')"
		case model.TimeBucketYear:
			return "TO_CHAR(" + utc + ", 'YYYY')"
		}
		return "TO_CHAR(" + utc + ", 'YYYY-MM-DD')"
	}
	switch b {
	case model.TimeBucketWeek:
		// The Monday on or before: six days back, then forward to a Monday.
		return "DATE(" + col + ", '-6 days', 'weekday 1')"
	case model.TimeBucketMonth:
		return "STRFTIME('%Y-%m', " + col + ")"
	case model.TimeBucketYear:
		return "STRFTIME('%Y', " + col + ")"
	}
	return "STRFTIME('%Y-%m-%d', " + col + ")"
}

// text is a value of the statement as the API shows it: timestamps in RFC
// 3339 (UTC), whatever form the engine returns them in; NULL and "" as null.
func text(v any) *string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		s = v.UTC().Format(time.RFC3339Nano)
	case []byte:
		s = string(v)
	case string:
		s = v
		// SQLite returns the min or max of a timestamp column as stored.
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00"} {
			if t, err := time.Parse(layout, v); err == nil {
				s = t.UTC().Format(time.RFC3339Nano)
				break
			}
		}
	default:
		s = fmt.Sprint(v)
	}
	if s == "" {
		return nil
	}
	return &s
}

// aggregateValueOf is a group's countDistinct, min or max over dimension.
func aggregateValueOf(g *model.AggregateGroup, fn, dimension string) *string {
	return g.Values[valueName(fn, dimension)]
}

// countDistinctOf is a group's countDistinct over dimension.
func countDistinctOf(g *model.AggregateGroup, dimension string) (int, error) {
	v := aggregateValueOf(g, "countDistinct", dimension)
	if v == nil {
		return 0, nil
	}
	var n int
	_, err := fmt.Sscan(*v, &n)
	return n, err
}

// keysOf converts the groupBy entries of any entity.
func keysOf[K any](in []K, key func(K) groupKey) []groupKey {
	out := make([]groupKey, len(in))
	for i, k := range in {
		out[i] = key(k)
	}
	return out
}

// filtered is an entity query with its where filter applied, as the run of
// an aggregation needs it.
type filtered[S interface {
	Scan(context.Context, any) error
}] interface {
	Modify(...func(*sql.Selector)) S
}

// aggregateRows runs a over q, whose filter failed with err (a bad filter is
// the caller's input).
func aggregateRows[S interface {
	Scan(context.Context, any) error
}, Q filtered[S]](ctx context.Context, a *aggregation, err error, q Q) (*model.Aggregate, error) {
	if err != nil {
		return nil, apierror.BadInput(err)
	}
	return a.run(func(modify func(*sql.Selector), rows *[]aggregateRow) error { return q.Modify(modify).Scan(ctx, rows) })
}

// membershipsOf is the memberships of live identities and resources that
// pass the filters.
func membershipsOf(client *ent.Client, identities *ent.IdentityWhereInput, resources *ent.ResourceWhereInput) (*ent.MembershipQuery, error) {
	onIdentity := []predicate.Identity{identity.DeletedAtIsNil()}
	onResource := []predicate.Resource{resource.DeletedAtIsNil()}
	if identities != nil {
		p, err := identities.P()
		if err != nil {
			return nil, err
		}
		onIdentity = append(onIdentity, p)
	}
	if resources != nil {
		p, err := resources.P()
		if err != nil {
			return nil, err
		}
		onResource = append(onResource, p)
	}
	return client.Membership.Query().Where(membership.HasIdentityWith(onIdentity...), membership.HasResourceWith(onResource...)), nil
}
