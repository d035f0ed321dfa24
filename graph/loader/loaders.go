package loader

import (
	"context"
	"sync"

	"entgo.io/ent/dialect/sql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/policy"
)

// Loaders are one request's dataloaders, named <Targets>By<Key>: by id and by
// edge from the ent schema (entities_gen.go), and the derived relations below.
type Loaders struct {
	byIDs
	edges
	derived

	orgChart orgChart

	client *ent.Client
	cfg    Config
	groups *groups
	joins  *joiner
	memoMu sync.Mutex
	memo   map[memoKey]any
}

// derived are the relations that are not edges of the ent schema: reached
// through two joins, or through a column that may hold any node's id. Each is
// built on first use, by its method below.
type derived struct {
	policyRulesetsByAssignedUserID lazy[PolicyRulesetConn]
	resourcesByUserID              lazy[ResourceConn]
	resourceCountsByUserID         lazy[ResourceCounts]
	auditEventsByRecordID          lazy[AuditEventConn]
	auditEventsByParentRecordID    lazy[AuditEventConn]
	auditEventsByRelatedRecordID   lazy[AuditEventConn]
	attributesByUserID             lazy[Attributes]
	qualifiedRulesByUserID         lazy[PolicyRuleConn]
	manifestRulesByUserID          lazy[PolicyRuleConn]
	stagedRulesByUserID            lazy[PolicyRuleConn]
	qualifiedUsersByRuleID         lazy[UserConn]
	manifestUsersByRuleID          lazy[UserConn]
	stagedUsersByRuleID            lazy[UserConn]
	missingUsersByRuleID           lazy[UserConn]
	unqualifiedUsersByRuleID       lazy[UserConn]
	missingUsersByRulesetID        lazy[UserConn]
	unqualifiedUsersByRulesetID    lazy[UserConn]
	standing                       lazy[standingRules]
	subjects                       lazy[subjects]
}

// lazy holds a loader built on first use. A request asks for a few of its
// loaders; building all of them up front was about 300 allocations (13 KB)
// of every request, a tenth of what a user's profile page allocates.
type lazy[T any] struct {
	once sync.Once
	v    *T
}

func (z *lazy[T]) get(build func() *T) *T {
	z.once.Do(func() { z.v = build() })
	return z.v
}

// New builds the loaders of one request; each is made when first asked for.
func New(client *ent.Client, cfg Config) *Loaders {
	l := &Loaders{client: client, cfg: cfg, groups: &groups{of: map[any]any{}}, joins: &joiner{}, memo: map[memoKey]any{}}
	l.joins.newTarget = func(typ string) joinTarget { return l.newJoinTarget(client, typ) }
	l.joins.counter = l.counterOf
	return l
}

// PolicyRulesetsByAssignedUserID pages the rulesets a user is assigned through
// policy assignments.
func (l *Loaders) PolicyRulesetsByAssignedUserID() *PolicyRulesetConn {
	return l.policyRulesetsByAssignedUserID.get(func() *PolicyRulesetConn {
		return pagesOfPolicyRuleset(l.cfg, l.groups, l.joins, l.client,
			through(policyassignment.Table, policyassignment.FieldRulesetID, policyassignment.FieldUserID, true))
	})
}

// ResourcesByUserID pages the resources a user's identities are members of.
func (l *Loaders) ResourcesByUserID() *ResourceConn {
	return l.resourcesByUserID.get(func() *ResourceConn {
		return pagesOfResource(l.cfg, l.groups, l.joins, l.client, resourcesOfUsers)
	})
}

// ResourceCountsByUserID counts a user's resources by kind.
func (l *Loaders) ResourceCountsByUserID() *ResourceCounts {
	return l.resourceCountsByUserID.get(func() *ResourceCounts { return newResourceCounts(l.cfg, l.client) })
}

// Record, parent and related ids may name any node, so users and identities
// share the three loaders of audit events by them.

// AuditEventsByRecordID pages the audit events about a record.
func (l *Loaders) AuditEventsByRecordID() *AuditEventConn {
	return l.auditEventsByRecordID.get(func() *AuditEventConn {
		return pagesOfAuditEvent(l.cfg, l.groups, l.joins, l.client, column(auditevent.FieldRecordID))
	})
}

// AuditEventsByParentRecordID pages the audit events whose parent record is a node.
func (l *Loaders) AuditEventsByParentRecordID() *AuditEventConn {
	return l.auditEventsByParentRecordID.get(func() *AuditEventConn {
		return pagesOfAuditEvent(l.cfg, l.groups, l.joins, l.client, column(auditevent.FieldParentRecordID))
	})
}

// AuditEventsByRelatedRecordID pages the audit events related to a node.
func (l *Loaders) AuditEventsByRelatedRecordID() *AuditEventConn {
	return l.auditEventsByRelatedRecordID.get(func() *AuditEventConn {
		return pagesOfAuditEvent(l.cfg, l.groups, l.joins, l.client, column(auditevent.FieldRelatedRecordID))
	})
}

// AttributesByUserID loads a user's attributes.
func (l *Loaders) AttributesByUserID() *Attributes {
	return l.attributesByUserID.get(func() *Attributes { return newAttributes(l.cfg, l.client) })
}

// QualifiedRulesByUserID pages the rules a user qualifies for.
func (l *Loaders) QualifiedRulesByUserID() *PolicyRuleConn {
	return l.qualifiedRulesByUserID.get(func() *PolicyRuleConn { return l.rulesOfUser(policy.Qualified) })
}

// ManifestRulesByUserID pages the rules manifest for a user.
func (l *Loaders) ManifestRulesByUserID() *PolicyRuleConn {
	return l.manifestRulesByUserID.get(func() *PolicyRuleConn { return l.rulesOfUser(policy.Manifest) })
}

// StagedRulesByUserID pages the rules staged for a user.
func (l *Loaders) StagedRulesByUserID() *PolicyRuleConn {
	return l.stagedRulesByUserID.get(func() *PolicyRuleConn { return l.rulesOfUser(policy.Staged) })
}

func (l *Loaders) rulesOfUser(rel policy.Relation) *PolicyRuleConn {
	return standingRulesOf(l.cfg, l.groups, l.joins, l.client, l, rel)
}

// QualifiedUsersByRuleID pages the users who qualify for a rule.
func (l *Loaders) QualifiedUsersByRuleID() *UserConn {
	return l.qualifiedUsersByRuleID.get(func() *UserConn { return l.usersOfRule(policy.Qualified) })
}

// ManifestUsersByRuleID pages the users a rule is manifest for.
func (l *Loaders) ManifestUsersByRuleID() *UserConn {
	return l.manifestUsersByRuleID.get(func() *UserConn { return l.usersOfRule(policy.Manifest) })
}

// StagedUsersByRuleID pages the users a rule is staged for.
func (l *Loaders) StagedUsersByRuleID() *UserConn {
	return l.stagedUsersByRuleID.get(func() *UserConn { return l.usersOfRule(policy.Staged) })
}

// MissingUsersByRuleID pages the users who qualify for a rule and lack its assignment.
func (l *Loaders) MissingUsersByRuleID() *UserConn {
	return l.missingUsersByRuleID.get(func() *UserConn { return l.usersOfRule(policy.Missing) })
}

// UnqualifiedUsersByRuleID pages the users assigned a rule they do not qualify for.
func (l *Loaders) UnqualifiedUsersByRuleID() *UserConn {
	return l.unqualifiedUsersByRuleID.get(func() *UserConn { return l.usersOfRule(policy.Unqualified) })
}

func (l *Loaders) usersOfRule(rel policy.Relation) *UserConn {
	return standingUsers(l.cfg, l.groups, l.joins, l.client, l.standingRules(), rel)
}

// MissingUsersByRulesetID pages the users missing an assignment of a ruleset.
func (l *Loaders) MissingUsersByRulesetID() *UserConn {
	return l.missingUsersByRulesetID.get(func() *UserConn {
		return driftOfRulesets(l.cfg, l.groups, l.joins, l.client, l, policy.Missing)
	})
}

// UnqualifiedUsersByRulesetID pages the users assigned a ruleset they do not qualify for.
func (l *Loaders) UnqualifiedUsersByRulesetID() *UserConn {
	return l.unqualifiedUsersByRulesetID.get(func() *UserConn {
		return driftOfRulesets(l.cfg, l.groups, l.joins, l.client, l, policy.Unqualified)
	})
}

// standingRules loads rules with what the policy evaluates of them.
func (l *Loaders) standingRules() *standingRules {
	return l.standing.get(func() *standingRules { return newStandingRules(l.cfg, l.client) })
}

// subjectsOf loads users with what the policy evaluates of them.
func (l *Loaders) subjectsOf() *subjects {
	return l.subjects.get(func() *subjects { return newSubjects(l.cfg, l.client) })
}

// counterOf is the connection field of typ that can be counted beside its
// parents' rows: the schema's edges, and two derived relations.
func (l *Loaders) counterOf(typ, field string) counter {
	if typ == "User" {
		switch field {
		case "policyRulesets":
			return l.PolicyRulesetsByAssignedUserID()
		case "resources":
			return l.ResourcesByUserID()
		case "qualifiedRules":
			return l.QualifiedRulesByUserID()
		case "manifestRules":
			return l.ManifestRulesByUserID()
		case "stagedRules":
			return l.StagedRulesByUserID()
		}
	}
	if typ == "PolicyRuleset" {
		switch field {
		case "missingAssignments":
			return l.MissingUsersByRulesetID()
		case "unqualifiedAssignments":
			return l.UnqualifiedUsersByRulesetID()
		}
	}
	if typ == "PolicyRule" {
		switch field {
		case "qualifiedUsers":
			return l.QualifiedUsersByRuleID()
		case "manifestUsers":
			return l.ManifestUsersByRuleID()
		case "stagedUsers":
			return l.StagedUsersByRuleID()
		case "missingAssignments":
			return l.MissingUsersByRuleID()
		case "unqualifiedAssignments":
			return l.UnqualifiedUsersByRuleID()
		}
	}
	return l.edgeCounter(typ, field)
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
	if n, ok, err := l.nodeIn(ctx, table, same); ok {
		return n, err
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
