package loader

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
)

// One connection type per target entity: the arguments of its fields, and a
// constructor that pages it by parent with ent's generated PaginateByParent.
type (
	UserPage             = Page[[]*ent.UserOrder, *ent.UserWhereInput]
	UserConn             = Conn[ent.UserConnection, []*ent.UserOrder, *ent.UserWhereInput]
	IdentityPage         = Page[[]*ent.IdentityOrder, *ent.IdentityWhereInput]
	IdentityConn         = Conn[ent.IdentityConnection, []*ent.IdentityOrder, *ent.IdentityWhereInput]
	ResourcePage         = Page[[]*ent.ResourceOrder, *ent.ResourceWhereInput]
	ResourceConn         = Conn[ent.ResourceConnection, []*ent.ResourceOrder, *ent.ResourceWhereInput]
	PolicyRulesetPage    = Page[[]*ent.PolicyRulesetOrder, *ent.PolicyRulesetWhereInput]
	PolicyRulesetConn    = Conn[ent.PolicyRulesetConnection, []*ent.PolicyRulesetOrder, *ent.PolicyRulesetWhereInput]
	PolicyRulePage       = Page[[]*ent.PolicyRuleOrder, *ent.PolicyRuleWhereInput]
	PolicyRuleConn       = Conn[ent.PolicyRuleConnection, []*ent.PolicyRuleOrder, *ent.PolicyRuleWhereInput]
	PolicyConditionPage  = Page[[]*ent.PolicyConditionOrder, *ent.PolicyConditionWhereInput]
	PolicyConditionConn  = Conn[ent.PolicyConditionConnection, []*ent.PolicyConditionOrder, *ent.PolicyConditionWhereInput]
	PolicyAssignmentPage = Page[[]*ent.PolicyAssignmentOrder, *ent.PolicyAssignmentWhereInput]
	PolicyAssignmentConn = Conn[ent.PolicyAssignmentConnection, []*ent.PolicyAssignmentOrder, *ent.PolicyAssignmentWhereInput]
	AuditEventPage       = Page[[]*ent.AuditEventOrder, *ent.AuditEventWhereInput]
	AuditEventConn       = Conn[ent.AuditEventConnection, []*ent.AuditEventOrder, *ent.AuditEventWhereInput]
)

// pagesBy is the loader of one connection field of nodes N: paginate pages it
// for a batch of parents. Every node of the pages fetched in one statement joins
// one sibling group, and the references their fields select are joined.
func pagesBy[N, C, O, W any](cfg Config, g *groups, j *joiner, parent func([]string) ent.ParentKey, total func(*C) *int,
	nodesOf func(*C) []*N, value func(*N, string) (ent.Value, error),
	paginate func(ctx context.Context, key ent.ParentKey, p Page[O, W]) (map[string]*C, error),
	perRow func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error)) *Conn[C, O, W] {
	c := newConn(cfg, parent(nil).Join == nil, total, func(ctx context.Context, ids []string, p Page[O, W]) (map[string]*C, error) {
		var conns map[string]*C
		nodes, err := joined(ctx, j, p.joins, value, func(joins func(*sql.Selector, func(string) string)) ([]*N, error) {
			key := parent(ids)
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

func usersBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *UserConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.UserConnection) *int { return &c.TotalCount }, (*ent.UserConnection).Nodes, (*ent.User).Value,
		func(ctx context.Context, key ent.ParentKey, p UserPage) (map[string]*ent.UserConnection, error) {
			return client.User.Query().Select(p.Columns...).UserQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithUserOrder(p.OrderBy), ent.WithUserFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.User.Query().CountPerRow(ctx, key, outer)
		})
}

func identitysBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *IdentityConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.IdentityConnection) *int { return &c.TotalCount }, (*ent.IdentityConnection).Nodes, (*ent.Identity).Value,
		func(ctx context.Context, key ent.ParentKey, p IdentityPage) (map[string]*ent.IdentityConnection, error) {
			return client.Identity.Query().Select(p.Columns...).IdentityQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithIdentityOrder(p.OrderBy), ent.WithIdentityFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.Identity.Query().CountPerRow(ctx, key, outer)
		})
}

func resourcesBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *ResourceConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.ResourceConnection) *int { return &c.TotalCount }, (*ent.ResourceConnection).Nodes, (*ent.Resource).Value,
		func(ctx context.Context, key ent.ParentKey, p ResourcePage) (map[string]*ent.ResourceConnection, error) {
			return client.Resource.Query().Select(p.Columns...).ResourceQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithResourceOrder(p.OrderBy), ent.WithResourceFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.Resource.Query().CountPerRow(ctx, key, outer)
		})
}

func policyRulesetsBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyRulesetConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.PolicyRulesetConnection) *int { return &c.TotalCount }, (*ent.PolicyRulesetConnection).Nodes, (*ent.PolicyRuleset).Value,
		func(ctx context.Context, key ent.ParentKey, p PolicyRulesetPage) (map[string]*ent.PolicyRulesetConnection, error) {
			return client.PolicyRuleset.Query().Select(p.Columns...).PolicyRulesetQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyRulesetOrder(p.OrderBy), ent.WithPolicyRulesetFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.PolicyRuleset.Query().CountPerRow(ctx, key, outer)
		})
}

func policyRulesBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyRuleConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.PolicyRuleConnection) *int { return &c.TotalCount }, (*ent.PolicyRuleConnection).Nodes, (*ent.PolicyRule).Value,
		func(ctx context.Context, key ent.ParentKey, p PolicyRulePage) (map[string]*ent.PolicyRuleConnection, error) {
			return client.PolicyRule.Query().Select(p.Columns...).PolicyRuleQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyRuleOrder(p.OrderBy), ent.WithPolicyRuleFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.PolicyRule.Query().CountPerRow(ctx, key, outer)
		})
}

func policyConditionsBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyConditionConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.PolicyConditionConnection) *int { return &c.TotalCount }, (*ent.PolicyConditionConnection).Nodes, (*ent.PolicyCondition).Value,
		func(ctx context.Context, key ent.ParentKey, p PolicyConditionPage) (map[string]*ent.PolicyConditionConnection, error) {
			return client.PolicyCondition.Query().Select(p.Columns...).PolicyConditionQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyConditionOrder(p.OrderBy), ent.WithPolicyConditionFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.PolicyCondition.Query().CountPerRow(ctx, key, outer)
		})
}

func policyAssignmentsBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyAssignmentConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.PolicyAssignmentConnection) *int { return &c.TotalCount }, (*ent.PolicyAssignmentConnection).Nodes, (*ent.PolicyAssignment).Value,
		func(ctx context.Context, key ent.ParentKey, p PolicyAssignmentPage) (map[string]*ent.PolicyAssignmentConnection, error) {
			return client.PolicyAssignment.Query().Select(p.Columns...).PolicyAssignmentQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyAssignmentOrder(p.OrderBy), ent.WithPolicyAssignmentFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.PolicyAssignment.Query().CountPerRow(ctx, key, outer)
		})
}

func auditEventsBy(cfg Config, g *groups, j *joiner, client *ent.Client, parent func([]string) ent.ParentKey) *AuditEventConn {
	return pagesBy(cfg, g, j, parent, func(c *ent.AuditEventConnection) *int { return &c.TotalCount }, (*ent.AuditEventConnection).Nodes, (*ent.AuditEvent).Value,
		func(ctx context.Context, key ent.ParentKey, p AuditEventPage) (map[string]*ent.AuditEventConnection, error) {
			return client.AuditEvent.Query().Select(p.Columns...).AuditEventQuery.PaginateByParent(ctx, key, p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithAuditEventOrder(p.OrderBy), ent.WithAuditEventFilter(p.Where.Filter))
		}, func(ctx context.Context, key ent.ParentKey, outer string) (*sql.Selector, error) {
			return client.AuditEvent.Query().CountPerRow(ctx, key, outer)
		})
}
