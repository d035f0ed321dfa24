package loader

import (
	"context"
	"sync"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/predicate"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
)

// Loaders are one request's dataloaders, named <Targets>By<Key>.
type Loaders struct {
	UserByID             *ByID[ent.User]
	IdentityByID         *ByID[ent.Identity]
	IntegrationByID      *ByID[ent.Integration]
	ResourceByID         *ByID[ent.Resource]
	PolicyRulesetByID    *ByID[ent.PolicyRuleset]
	PolicyRuleByID       *ByID[ent.PolicyRule]
	AuditEventByID       *ByID[ent.AuditEvent]
	PolicyConditionByID  *ByID[ent.PolicyCondition]
	PolicyAssignmentByID *ByID[ent.PolicyAssignment]

	cfg    Config
	groups *groups
	joins  *joiner
	memoMu sync.Mutex
	memo   map[memoKey]any
	userEdges
	identityEdges
	policyEdges
	auditEdges
}

// New builds the loaders of one request.
func New(client *ent.Client, cfg Config) *Loaders {
	g := &groups{of: map[any]any{}}
	j := &joiner{}
	l := &Loaders{
		cfg:    cfg,
		groups: g,
		joins:  j,
		memo:   map[memoKey]any{},
		UserByID: newByID(cfg, g, j, "User", func(n *ent.User) string { return n.ID }, (*ent.User).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.User, error) {
				q := client.User.Query().Where(ent.FieldIn[predicate.User](user.FieldID, ids)).Select(columns...).UserQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		IdentityByID: newByID(cfg, g, j, "Identity", func(n *ent.Identity) string { return n.ID }, (*ent.Identity).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.Identity, error) {
				q := client.Identity.Query().Where(ent.FieldIn[predicate.Identity](identity.FieldID, ids)).Select(columns...).IdentityQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		IntegrationByID: newByID(cfg, g, j, "Integration", func(n *ent.Integration) string { return n.ID }, (*ent.Integration).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.Integration, error) {
				q := client.Integration.Query().Where(ent.FieldIn[predicate.Integration](integration.FieldID, ids)).Select(columns...).IntegrationQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		ResourceByID: newByID(cfg, g, j, "Resource", func(n *ent.Resource) string { return n.ID }, (*ent.Resource).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.Resource, error) {
				q := client.Resource.Query().Where(ent.FieldIn[predicate.Resource](resource.FieldID, ids)).Select(columns...).ResourceQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		PolicyRulesetByID: newByID(cfg, g, j, "PolicyRuleset", func(n *ent.PolicyRuleset) string { return n.ID }, (*ent.PolicyRuleset).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.PolicyRuleset, error) {
				q := client.PolicyRuleset.Query().Where(ent.FieldIn[predicate.PolicyRuleset](policyruleset.FieldID, ids)).Select(columns...).PolicyRulesetQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		PolicyRuleByID: newByID(cfg, g, j, "PolicyRule", func(n *ent.PolicyRule) string { return n.ID }, (*ent.PolicyRule).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.PolicyRule, error) {
				q := client.PolicyRule.Query().Where(ent.FieldIn[predicate.PolicyRule](policyrule.FieldID, ids)).Select(columns...).PolicyRuleQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		AuditEventByID: newByID(cfg, g, j, "AuditEvent", func(n *ent.AuditEvent) string { return n.ID }, (*ent.AuditEvent).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.AuditEvent, error) {
				q := client.AuditEvent.Query().Where(ent.FieldIn[predicate.AuditEvent](auditevent.FieldID, ids)).Select(columns...).AuditEventQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		PolicyConditionByID: newByID(cfg, g, j, "PolicyCondition", func(n *ent.PolicyCondition) string { return n.ID }, (*ent.PolicyCondition).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.PolicyCondition, error) {
				q := client.PolicyCondition.Query().Where(ent.FieldIn[predicate.PolicyCondition](policycondition.FieldID, ids)).Select(columns...).PolicyConditionQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		PolicyAssignmentByID: newByID(cfg, g, j, "PolicyAssignment", func(n *ent.PolicyAssignment) string { return n.ID }, (*ent.PolicyAssignment).Value,
			func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*ent.PolicyAssignment, error) {
				q := client.PolicyAssignment.Query().Where(ent.FieldIn[predicate.PolicyAssignment](policyassignment.FieldID, ids)).Select(columns...).PolicyAssignmentQuery
				if modify != nil {
					q.Modify(modify)
				}
				return q.All(ctx)
			}),
		userEdges:     newUserEdges(cfg, g, j, client),
		identityEdges: newIdentityEdges(cfg, g, j, client),
		policyEdges:   newPolicyEdges(cfg, g, j, client),
		auditEdges:    newAuditEdges(cfg, g, j, client),
	}
	j.targets = map[string]joinTarget{
		"User": joinable(l.UserByID, user.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.User.Query().JoinCondition(ctx, alias)
		}),
		"Identity": joinable(l.IdentityByID, identity.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.Identity.Query().JoinCondition(ctx, alias)
		}),
		"Integration": joinable(l.IntegrationByID, integration.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.Integration.Query().JoinCondition(ctx, alias)
		}),
		"Resource": joinable(l.ResourceByID, resource.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.Resource.Query().JoinCondition(ctx, alias)
		}),
		"PolicyRuleset": joinable(l.PolicyRulesetByID, policyruleset.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.PolicyRuleset.Query().JoinCondition(ctx, alias)
		}),
		"PolicyRule": joinable(l.PolicyRuleByID, policyrule.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.PolicyRule.Query().JoinCondition(ctx, alias)
		}),
		"AuditEvent": joinable(l.AuditEventByID, auditevent.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.AuditEvent.Query().JoinCondition(ctx, alias)
		}),
		"PolicyCondition": joinable(l.PolicyConditionByID, policycondition.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.PolicyCondition.Query().JoinCondition(ctx, alias)
		}),
		"PolicyAssignment": joinable(l.PolicyAssignmentByID, policyassignment.Table, func(ctx context.Context, alias string) (*sql.Predicate, error) {
			return client.PolicyAssignment.Query().JoinCondition(ctx, alias)
		}),
	}
	j.counters = map[string]map[string]counter{
		"User": {
			"directReports": l.DirectReportsByManagerID, "secondaryUsers": l.SecondaryUsersByParentUserID,
			"identities": l.IdentitiesByUserID, "policyAssignments": l.PolicyAssignmentsByUserID,
			"policyConditions": l.PolicyConditionsByUserID, "policyRulesets": l.PolicyRulesetsByAssignedUserID,
			"auditEvents": l.AuditEventsBySubjectUserID, "resources": l.ResourcesByUserID,
		},
		"Identity":      {"memberships": l.ResourcesByIdentityID},
		"Integration":   {"identities": l.IdentitiesByIntegrationID, "resources": l.ResourcesByIntegrationID},
		"Resource":      {"members": l.IdentitiesByResourceID, "rulesets": l.PolicyRulesetsByResourceID},
		"PolicyRuleset": {"rules": l.PolicyRulesByRulesetID, "conditions": l.PolicyConditionsByRulesetID, "assignments": l.PolicyAssignmentsByRulesetID},
		"PolicyRule":    {"conditions": l.PolicyConditionsByRuleID, "assignments": l.PolicyAssignmentsByRuleID},
	}
	return l
}

// Node loads a node of any type through the loader of its type, so node(id:),
// nodes(ids:) and polymorphic references batch like every other edge. Siblings
// of other types are left to their own loaders.
func (l *Loaders) Node(ctx context.Context, k Keys) (ent.Noder, error) {
	table, err := gid.Table(k.Key)
	if err != nil {
		return nil, apierror.BadInput(err)
	}
	same := k
	if k.siblings != nil {
		same.siblings = func() []string {
			var ids []string
			for _, s := range k.siblings() {
				if t, err := gid.Table(s); err == nil && t == table {
					ids = append(ids, s)
				}
			}
			return ids
		}
	}
	switch table {
	case user.Table:
		return noder(l.UserByID.Load(ctx, same))
	case identity.Table:
		return noder(l.IdentityByID.Load(ctx, same))
	case integration.Table:
		return noder(l.IntegrationByID.Load(ctx, same))
	case resource.Table:
		return noder(l.ResourceByID.Load(ctx, same))
	case policyruleset.Table:
		return noder(l.PolicyRulesetByID.Load(ctx, same))
	case policyrule.Table:
		return noder(l.PolicyRuleByID.Load(ctx, same))
	case policycondition.Table:
		return noder(l.PolicyConditionByID.Load(ctx, same))
	case policyassignment.Table:
		return noder(l.PolicyAssignmentByID.Load(ctx, same))
	case auditevent.Table:
		return noder(l.AuditEventByID.Load(ctx, same))
	}
	// Tenants, tokens and memberships are not reachable as nodes.
	return nil, apierror.NotFound("node", k.Key)
}

// Nodes loads many nodes of any types: one statement per type present.
func (l *Loaders) Nodes(ctx context.Context, ids []string) ([]ent.Noder, []error) {
	nodes, errs := make([]ent.Noder, len(ids)), make([]error, len(ids))
	for i, id := range ids {
		nodes[i], errs[i] = l.Node(ctx, SiblingKeys(id, ids))
	}
	return nodes, errs
}

// noder returns n as a Noder without the typed-nil interface trap.
func noder[T ent.Noder](n T, err error) (ent.Noder, error) {
	if err != nil {
		return nil, err
	}
	return n, nil
}

// column is the parent key of an edge whose parent id is a column of the row itself.
func column(name string) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		return ent.ParentKey{IDs: ids, Column: func(s *sql.Selector) string { return s.C(name) }}
	}
}

// through is the parent key of an edge reached through a join table: the row's
// id matches table.rowColumn, and table.parentColumn holds the parent id. A
// soft-deleted join row (an ended policy assignment) relates nothing.
func through(table, rowColumn, parentColumn string, distinct bool) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		t := sql.Table(table)
		return ent.ParentKey{
			IDs: ids,
			Join: func(s *sql.Selector) {
				s.Join(t).OnP(sql.And(sql.ColumnsEQ(s.C("id"), t.C(rowColumn)), sql.IsNull(t.C("deleted_at"))))
			},
			Column:   func(*sql.Selector) string { return t.C(parentColumn) },
			Distinct: distinct,
		}
	}
}
