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

	groups *groups
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
	return &Loaders{
		groups: g,
		memo:   map[memoKey]any{},
		UserByID: newByID(cfg, g, "User", func(n *ent.User) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.User, error) {
				return client.User.Query().Where(ent.FieldIn[predicate.User](user.FieldID, ids)).Select(columns...).UserQuery.All(ctx)
			}),
		IdentityByID: newByID(cfg, g, "Identity", func(n *ent.Identity) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.Identity, error) {
				return client.Identity.Query().Where(ent.FieldIn[predicate.Identity](identity.FieldID, ids)).Select(columns...).IdentityQuery.All(ctx)
			}),
		IntegrationByID: newByID(cfg, g, "Integration", func(n *ent.Integration) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.Integration, error) {
				return client.Integration.Query().Where(ent.FieldIn[predicate.Integration](integration.FieldID, ids)).Select(columns...).IntegrationQuery.All(ctx)
			}),
		ResourceByID: newByID(cfg, g, "Resource", func(n *ent.Resource) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.Resource, error) {
				return client.Resource.Query().Where(ent.FieldIn[predicate.Resource](resource.FieldID, ids)).Select(columns...).ResourceQuery.All(ctx)
			}),
		PolicyRulesetByID: newByID(cfg, g, "PolicyRuleset", func(n *ent.PolicyRuleset) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.PolicyRuleset, error) {
				return client.PolicyRuleset.Query().Where(ent.FieldIn[predicate.PolicyRuleset](policyruleset.FieldID, ids)).Select(columns...).PolicyRulesetQuery.All(ctx)
			}),
		PolicyRuleByID: newByID(cfg, g, "PolicyRule", func(n *ent.PolicyRule) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.PolicyRule, error) {
				return client.PolicyRule.Query().Where(ent.FieldIn[predicate.PolicyRule](policyrule.FieldID, ids)).Select(columns...).PolicyRuleQuery.All(ctx)
			}),
		AuditEventByID: newByID(cfg, g, "AuditEvent", func(n *ent.AuditEvent) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.AuditEvent, error) {
				return client.AuditEvent.Query().Where(ent.FieldIn[predicate.AuditEvent](auditevent.FieldID, ids)).Select(columns...).AuditEventQuery.All(ctx)
			}),
		PolicyConditionByID: newByID(cfg, g, "PolicyCondition", func(n *ent.PolicyCondition) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.PolicyCondition, error) {
				return client.PolicyCondition.Query().Where(ent.FieldIn[predicate.PolicyCondition](policycondition.FieldID, ids)).Select(columns...).PolicyConditionQuery.All(ctx)
			}),
		PolicyAssignmentByID: newByID(cfg, g, "PolicyAssignment", func(n *ent.PolicyAssignment) string { return n.ID },
			func(ctx context.Context, ids, columns []string) ([]*ent.PolicyAssignment, error) {
				return client.PolicyAssignment.Query().Where(ent.FieldIn[predicate.PolicyAssignment](policyassignment.FieldID, ids)).Select(columns...).PolicyAssignmentQuery.All(ctx)
			}),
		userEdges:     newUserEdges(cfg, g, client),
		identityEdges: newIdentityEdges(cfg, g, client),
		policyEdges:   newPolicyEdges(cfg, g, client),
		auditEdges:    newAuditEdges(cfg, g, client),
	}
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
// id matches table.rowColumn, and table.parentColumn holds the parent id.
func through(table, rowColumn, parentColumn string, distinct bool) func([]string) ent.ParentKey {
	return func(ids []string) ent.ParentKey {
		t := sql.Table(table)
		return ent.ParentKey{
			IDs:      ids,
			Join:     func(s *sql.Selector) { s.Join(t).On(s.C("id"), t.C(rowColumn)) },
			Column:   func(*sql.Selector) string { return t.C(parentColumn) },
			Distinct: distinct,
		}
	}
}
