package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/idgraph/idgraph/internal/gid"
)

// recordMixin gives every entity its prefixed ULID, its tenant and its timestamps.
// The tenant is never exposed as a GraphQL field or filter: it comes from the
// caller's credentials, so it is skipped in every entgql mode.
type recordMixin struct {
	mixin.Schema
	prefix string
}

func record(prefix string) recordMixin { return recordMixin{prefix: prefix} }

// Annotations hand the id prefix to the generators in ent/entc.
func (m recordMixin) Annotations() []schema.Annotation {
	return []schema.Annotation{idPrefix{m.prefix}}
}

func (m recordMixin) Fields() []ent.Field {
	prefix := m.prefix
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			DefaultFunc(func() string { return gid.New(prefix) }).
			Comment("Global id: a type prefix and a ULID (e.g. drusr_01hq8x...); node(id:) resolves it."),
		field.String("tenant_id").
			Immutable().
			NotEmpty().
			Annotations(entgql.Skip()),
		field.Time("created_at").
			Immutable().
			Default(time.Now).
			Comment("When the record was created.").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			Comment("When the record last changed.").
			Annotations(entgql.OrderField("UPDATED_AT")),
		field.Int("version").
			Default(1).
			Comment("Incremented by every change. Pass it back as ifVersion to update only the version you read."),
		field.Time("deleted_at").
			Optional().
			Nillable().
			Comment("When the record was soft-deleted; null for live records."),
	}
}

func (recordMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("tenant", Tenant.Type).
			Field("tenant_id").
			Unique().
			Required().
			Immutable().
			Annotations(entgql.Skip()),
	}
}

// byParent indexes a foreign key for the pages and counts of its edge: a
// parent's rows in id order (the default page order), so that a page of 20 of a
// parent's 70,000 children reads 20 index entries, and with deleted_at in the
// index a count of a parent's live rows never visits the table.
func byParent(fk string) ent.Index { return index.Fields(fk, "tenant_id", "id", "deleted_at") }

// live indexes the tenant's live rows in id order, for root pages. It is
// partial (deleted_at IS NULL) rather than a (tenant_id, deleted_at, id) index:
// PostgreSQL does not take IS NULL as pinning a column, so it would not read the
// latter in id order, and scanned the primary key filtering by tenant instead.
func live(table string) ent.Index {
	return index.Fields("tenant_id", "id", "deleted_at").
		Annotations(entsql.IndexWhere("deleted_at IS NULL")).
		StorageKey(table + "_live")
}

// liveBy indexes the tenant's live rows by fields, for filters and orderings
// on them: partial on deleted_at IS NULL, and with deleted_at as a last column
// because SQLite does not count a condition the partial index implies as
// covered; so a filtered count reads the index alone on both engines.
func liveBy(fields ...string) ent.Index {
	return index.Fields(append(append([]string{"tenant_id"}, fields...), "deleted_at")...).
		Annotations(entsql.IndexWhere("deleted_at IS NULL"))
}

// orphans indexes, in id order, the tenant's live rows whose optional foreign
// key is unset, for pages filtered with hasX: false (orphan identities, the top
// of the org chart). The byParent index cannot serve them in order on
// PostgreSQL, for the same reason as in live.
func orphans(table, fk string) ent.Index {
	return index.Fields("tenant_id", "id", fk, "deleted_at").
		Annotations(entsql.IndexWhere(fk + " IS NULL AND deleted_at IS NULL")).
		StorageKey(table + "_orphans_" + fk)
}

// externalID is the record's id in its source system (a GUID, a vendor's user
// id), for clients and imports that know records by it; unique per tenant
// and type among live records (externalIDs).
func externalID() ent.Field {
	return field.String("external_id").Optional().Nillable().
		Comment("The record's id in its source system (a GUID, a vendor's id); unique within the tenant.").
		Annotations(entgql.OrderField("EXTERNAL_ID"))
}

// externalIDs makes external ids unique per tenant among live records, and
// finds a record by one.
func externalIDs(table string) ent.Index {
	return index.Fields("tenant_id", "external_id").Unique().
		Annotations(entsql.IndexWhere("external_id IS NOT NULL AND deleted_at IS NULL")).
		StorageKey(table + "_live_external_id")
}

// due indexes the live rows that are set to expire, by when, across tenants:
// the expiration job reads the rows whose time has come, never the rest.
func due(table string) ent.Index {
	return index.Fields("expires_at").
		Annotations(entsql.IndexWhere("expires_at IS NOT NULL AND deleted_at IS NULL")).
		StorageKey(table + "_due")
}

// hidden keeps an ent edge out of the generated GraphQL type (and so out of
// entgql's eager loading): every relation is served by graph/loader instead,
// while the edge still powers where-input predicates such as hasManagerWith.
func hidden() entgql.Annotation { return entgql.Skip(entgql.SkipType) }

// graphQLField names the GraphQL field that serves an edge when it differs from
// the edge's name (Identity.memberships serves the edge resources). The loader
// generator in ent/entc reads it.
type graphQLField struct{ Field string }

func (graphQLField) Name() string { return "IDGraphField" }

// anyNode marks a field holding the id of a node of any type, served as the
// Node-typed GraphQL field named here (AuditEvent.record). The loader generator
// in ent/entc reads it.
type anyNode struct{ Field string }

func (anyNode) Name() string { return "IDGraphAnyNode" }

// idPrefix is the type prefix of an entity's ids (gid); ent/entc generates gid's
// prefix-to-table map from it.
type idPrefix struct{ Prefix string }

func (idPrefix) Name() string { return "IDGraphPrefix" }

// viewedWith is the permission reading a node type needs, wherever it appears:
// root fields, nested objects and connections, node(id:), edge filters.
// ent/entc generates graph's permission maps from it.
type viewedWith struct{ Permission string }

func (viewedWith) Name() string { return "IDGraphView" }

// node makes an entity a GraphQL node type that view permits reading: a Relay
// connection, orderable by several fields, and, when rootDescription is set, a
// root query field of that description.
func node(view, rootDescription string) []schema.Annotation {
	as := []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder(), viewedWith{view}}
	if rootDescription != "" {
		as = append(as, entgql.QueryField().Description(rootDescription).Directives(requires(view)))
	}
	return as
}
