package loader

import (
	"context"

	"github.com/idgraph/idgraph/ent"
)

// One connection type per target entity: the arguments of its fields, and a
// constructor that pages it by parent with ent's generated PaginateByParent.
// Every node of every page fetched in one statement joins one sibling group.
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

func usersBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *UserConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.UserConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p UserPage) (map[string]*ent.UserConnection, error) {
			conns, err := client.User.Query().Select(p.Columns...).UserQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithUserOrder(p.OrderBy), ent.WithUserFilter(p.Where.Filter))
			var nodes []*ent.User
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func identitysBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *IdentityConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.IdentityConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p IdentityPage) (map[string]*ent.IdentityConnection, error) {
			conns, err := client.Identity.Query().Select(p.Columns...).IdentityQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithIdentityOrder(p.OrderBy), ent.WithIdentityFilter(p.Where.Filter))
			var nodes []*ent.Identity
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func resourcesBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *ResourceConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.ResourceConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p ResourcePage) (map[string]*ent.ResourceConnection, error) {
			conns, err := client.Resource.Query().Select(p.Columns...).ResourceQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithResourceOrder(p.OrderBy), ent.WithResourceFilter(p.Where.Filter))
			var nodes []*ent.Resource
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func policyRulesetsBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyRulesetConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.PolicyRulesetConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p PolicyRulesetPage) (map[string]*ent.PolicyRulesetConnection, error) {
			conns, err := client.PolicyRuleset.Query().Select(p.Columns...).PolicyRulesetQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyRulesetOrder(p.OrderBy), ent.WithPolicyRulesetFilter(p.Where.Filter))
			var nodes []*ent.PolicyRuleset
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func policyRulesBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyRuleConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.PolicyRuleConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p PolicyRulePage) (map[string]*ent.PolicyRuleConnection, error) {
			conns, err := client.PolicyRule.Query().Select(p.Columns...).PolicyRuleQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyRuleOrder(p.OrderBy), ent.WithPolicyRuleFilter(p.Where.Filter))
			var nodes []*ent.PolicyRule
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func policyConditionsBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyConditionConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.PolicyConditionConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p PolicyConditionPage) (map[string]*ent.PolicyConditionConnection, error) {
			conns, err := client.PolicyCondition.Query().Select(p.Columns...).PolicyConditionQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyConditionOrder(p.OrderBy), ent.WithPolicyConditionFilter(p.Where.Filter))
			var nodes []*ent.PolicyCondition
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func policyAssignmentsBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *PolicyAssignmentConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.PolicyAssignmentConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p PolicyAssignmentPage) (map[string]*ent.PolicyAssignmentConnection, error) {
			conns, err := client.PolicyAssignment.Query().Select(p.Columns...).PolicyAssignmentQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithPolicyAssignmentOrder(p.OrderBy), ent.WithPolicyAssignmentFilter(p.Where.Filter))
			var nodes []*ent.PolicyAssignment
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}

func auditEventsBy(cfg Config, g *groups, client *ent.Client, parent func([]string) ent.ParentKey) *AuditEventConn {
	return newConn(cfg, parent(nil).Join == nil, func(c *ent.AuditEventConnection) *int { return &c.TotalCount },
		func(ctx context.Context, ids []string, p AuditEventPage) (map[string]*ent.AuditEventConnection, error) {
			conns, err := client.AuditEvent.Query().Select(p.Columns...).AuditEventQuery.PaginateByParent(ctx, parent(ids), p.After, p.First, p.Before, p.Last, p.Rows, p.Count,
				ent.WithAuditEventOrder(p.OrderBy), ent.WithAuditEventFilter(p.Where.Filter))
			var nodes []*ent.AuditEvent
			for _, c := range conns {
				for _, e := range c.Edges {
					nodes = append(nodes, e.Node)
				}
			}
			register(g, nodes)
			return conns, err
		})
}
