package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/idgraph/idgraph/internal/gid"
)

// PersistedQuery is a query registered through automatic persisted queries,
// kept in the database so that every replica knows every hash.
type PersistedQuery struct {
	ent.Schema
}

func (PersistedQuery) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.PersistedQuery)} }

func (PersistedQuery) Fields() []ent.Field {
	return []ent.Field{
		field.String("hash").NotEmpty().Immutable().Comment("SHA-256 of the query, hex."),
		field.Text("query").NotEmpty().Immutable().Comment("The query text."),
	}
}

func (PersistedQuery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "hash").Unique(),
		index.Fields("created_at"),
	}
}

func (PersistedQuery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
