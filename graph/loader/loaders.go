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

	// standing and subjects are what the policy reads of rules and of users.
	standing *standingRules
	subjects *subjects
	orgChart orgChart

	client *ent.Client
	cfg    Config
	groups *groups
	joins  *joiner
	memoMu sync.Mutex
	memo   map[memoKey]any
}

// derived are the relations that are not edges of the ent schema: reached
// through two joins, or through a column that may hold any node's id.
type derived struct {
	PolicyRulesetsByAssignedUserID *PolicyRulesetConn
	ResourcesByUserID              *ResourceConn
	ResourceCountsByUserID         *ResourceCounts
	AuditEventsByRecordID          *AuditEventConn
	AuditEventsByParentRecordID    *AuditEventConn
	AuditEventsByRelatedRecordID   *AuditEventConn
	AttributesByUserID             *Attributes
	QualifiedRulesByUserID         *PolicyRuleConn
	ManifestRulesByUserID          *PolicyRuleConn
	StagedRulesByUserID            *PolicyRuleConn
	QualifiedUsersByRuleID         *UserConn
	ManifestUsersByRuleID          *UserConn
	StagedUsersByRuleID            *UserConn
	MissingUsersByRuleID           *UserConn
	UnqualifiedUsersByRuleID       *UserConn
	MissingUsersByRulesetID        *UserConn
	UnqualifiedUsersByRulesetID    *UserConn
}

// New builds the loaders of one request.
func New(client *ent.Client, cfg Config) *Loaders {
	g := &groups{of: map[any]any{}}
	j := &joiner{}
	l := &Loaders{
		client: client,
		cfg:    cfg,
		groups: g,
		joins:  j,
		memo:   map[memoKey]any{},
		byIDs:  newByIDs(cfg, g, j, client),
		edges:  newEdges(cfg, g, j, client),
		derived: derived{
			PolicyRulesetsByAssignedUserID: pagesOfPolicyRuleset(cfg, g, j, client,
				through(policyassignment.Table, policyassignment.FieldRulesetID, policyassignment.FieldUserID, true)),
			ResourcesByUserID:      pagesOfResource(cfg, g, j, client, resourcesOfUsers),
			ResourceCountsByUserID: newResourceCounts(cfg, client),
			// Record, parent and related ids may name any node, so users and
			// identities share these.
			AuditEventsByRecordID:        pagesOfAuditEvent(cfg, g, j, client, column(auditevent.FieldRecordID)),
			AuditEventsByParentRecordID:  pagesOfAuditEvent(cfg, g, j, client, column(auditevent.FieldParentRecordID)),
			AuditEventsByRelatedRecordID: pagesOfAuditEvent(cfg, g, j, client, column(auditevent.FieldRelatedRecordID)),
			AttributesByUserID:           newAttributes(cfg, client),
		},
	}
	l.standing = newStandingRules(cfg, client)
	l.QualifiedRulesByUserID = standingRulesOf(cfg, g, j, client, l, policy.Qualified)
	l.ManifestRulesByUserID = standingRulesOf(cfg, g, j, client, l, policy.Manifest)
	l.StagedRulesByUserID = standingRulesOf(cfg, g, j, client, l, policy.Staged)
	l.subjects = newSubjects(cfg, client)
	l.QualifiedUsersByRuleID = standingUsers(cfg, g, j, client, l.standing, policy.Qualified)
	l.ManifestUsersByRuleID = standingUsers(cfg, g, j, client, l.standing, policy.Manifest)
	l.StagedUsersByRuleID = standingUsers(cfg, g, j, client, l.standing, policy.Staged)
	l.MissingUsersByRuleID = standingUsers(cfg, g, j, client, l.standing, policy.Missing)
	l.UnqualifiedUsersByRuleID = standingUsers(cfg, g, j, client, l.standing, policy.Unqualified)
	l.MissingUsersByRulesetID = driftOfRulesets(cfg, g, j, client, l, policy.Missing)
	l.UnqualifiedUsersByRulesetID = driftOfRulesets(cfg, g, j, client, l, policy.Unqualified)
	j.newTarget = func(typ string) joinTarget { return l.newJoinTarget(client, typ) }
	j.counter = l.counterOf
	return l
}

// counterOf is the connection field of typ that can be counted beside its
// parents' rows: the schema's edges, and two derived relations.
func (l *Loaders) counterOf(typ, field string) counter {
	if typ == "User" {
		switch field {
		case "policyRulesets":
			return l.PolicyRulesetsByAssignedUserID
		case "resources":
			return l.ResourcesByUserID
		case "qualifiedRules":
			return l.QualifiedRulesByUserID
		case "manifestRules":
			return l.ManifestRulesByUserID
		case "stagedRules":
			return l.StagedRulesByUserID
		}
	}
	if typ == "PolicyRuleset" {
		switch field {
		case "missingAssignments":
			return l.MissingUsersByRulesetID
		case "unqualifiedAssignments":
			return l.UnqualifiedUsersByRulesetID
		}
	}
	if typ == "PolicyRule" {
		switch field {
		case "qualifiedUsers":
			return l.QualifiedUsersByRuleID
		case "manifestUsers":
			return l.ManifestUsersByRuleID
		case "stagedUsers":
			return l.StagedUsersByRuleID
		case "missingAssignments":
			return l.MissingUsersByRuleID
		case "unqualifiedAssignments":
			return l.UnqualifiedUsersByRuleID
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
