package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/idgraph/idgraph/internal/gid"
)

// Tenant is one organisation; every other record belongs to exactly one.
type Tenant struct {
	ent.Schema
}

func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			DefaultFunc(func() string { return gid.New(gid.Tenant) }).
			Comment("Global id of the tenant (tnt_...)."),
		field.String("slug").
			Unique().
			NotEmpty().
			Comment("Short unique handle of the organisation, e.g. demo."),
		field.String("name").
			Comment("Display name of the organisation."),
		field.Time("created_at").
			Immutable().
			Default(time.Now).
			Comment("When the tenant was created."),
	}
}

func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		idPrefix{gid.Tenant},
	}
}
