package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/idgraph/idgraph/internal/gid"
)

// ApiToken is a credential for the GraphQL API. Only a hash of its secret is
// stored; the token itself is shown once, when it is created. Tokens are managed
// from the command line and never appear in the GraphQL schema.
type ApiToken struct {
	ent.Schema
}

func (ApiToken) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.APIToken)} }

func (ApiToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			Default("").
			Comment("What the token is for, as its creator described it."),
		field.Strings("permissions").
			Comment("Permissions granted, e.g. directory.user.view, or * for all."),
		field.String("secret_hash").
			NotEmpty().
			Sensitive().
			Comment("SHA-256 of the token's secret, hex; the secret itself is never stored."),
		field.Time("expires_at").
			Optional().
			Nillable().
			Comment("After this the token is refused; null for no expiry."),
		field.Time("last_used_at").
			Optional().
			Nillable().
			Comment("When the token last authenticated a request, to within a minute."),
		field.Time("revoked_at").
			Optional().
			Nillable().
			Comment("When the token was revoked; it is refused from then on."),
	}
}

func (ApiToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
