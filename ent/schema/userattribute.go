package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/idgraph/idgraph/internal/gid"
)

// UserAttribute is one open directory attribute of a user (an org dimension
// such as location or level, beyond the six that are columns of users). A key
// is removed by deleting its row.
type UserAttribute struct {
	ent.Schema
}

func (UserAttribute) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.UserAttribute)} }

func (UserAttribute) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").NotEmpty().Immutable(),
		field.String("key").NotEmpty().Immutable().MaxLen(64),
		field.String("value").Default("").MaxLen(1024),
	}
}

func (UserAttribute) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("attributes").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of UserAttribute: one value per key and user, and the filter on a
// key (equals, in, prefix, exists) read from (tenant, key, value) alone.
func (UserAttribute) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "key").Unique(),
		index.Fields("tenant_id", "key", "value", "user_id"),
	}
}

func (UserAttribute) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
