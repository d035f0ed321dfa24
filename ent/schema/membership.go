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

// Membership links an identity to a resource it belongs to; it carries the member's role.
type Membership struct {
	ent.Schema
}

func (Membership) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.Membership)} }

func (Membership) Fields() []ent.Field {
	return []ent.Field{
		field.String("identity_id").NotEmpty(),
		field.String("resource_id").NotEmpty(),
		field.Enum("role").Values("member", "owner", "admin").Default("member"),
	}
}

func (Membership) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("identity", Identity.Type).Field("identity_id").Unique().Required(),
		edge.To("resource", Resource.Type).Field("resource_id").Unique().Required(),
	}
}

// Indexes of Membership. No tenant_id index: memberships are always reached
// through an identity or a resource, and an 800,000-row table pays for every index.
func (Membership) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("identity_id", "resource_id").Unique(),
		index.Fields("resource_id", "identity_id"),
	}
}

func (Membership) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
