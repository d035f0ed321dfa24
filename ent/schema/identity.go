package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/lifecycle"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Identity is an account a person holds on a vendor system (Okta, Google, Slack, GitLab...).
type Identity struct {
	ent.Schema
}

func (Identity) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.Identity)} }

func (Identity) Fields() []ent.Field {
	return []ent.Field{
		externalID(),
		field.Enum("state").
			Values(lifecycle.States(lifecycle.Identity)...).
			Default("active").
			Comment("State of the identity record; orphan means active but linked to no user.").
			Annotations(entgql.OrderField("STATE")),
		field.String("vendor_id").
			Annotations(entgql.OrderField("VENDOR_ID")).NotEmpty().
			Comment("Id of the account on the vendor's API, in its native format."),
		field.String("email").Default("").
			Comment("Email address on the vendor; used to match a directory user.").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("username").
			Annotations(entgql.OrderField("USERNAME")).Default("").Comment("Username on the vendor."),
		field.String("display_name").Default("").
			Comment("Display name on the vendor.").
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.JSON("profile", map[string]any{}).Optional().
			Comment("Raw vendor profile as imported. Contains PII; needs directory.identity.view.").
			Annotations(entgql.Type("Map"), entgql.Skip(entgql.SkipType)),
		field.Enum("linked_by").Values("auto", "manual", "scim").Optional().Nillable().
			Comment("How the identity was linked to its user."),
		field.String("integration_id").NotEmpty().Immutable().
			Annotations(entgql.Skip(entgql.SkipType)),
		field.String("user_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipType)),
		field.Time("last_synced_at").Optional().Nillable().
			Comment("Last time the identity was synced from its vendor.").
			Annotations(entgql.OrderField("LAST_SYNCED_AT")),
		field.Time("profile_changed_at").Optional().Nillable().Comment("Last time the vendor profile changed."),
		field.Time("last_authenticated_at").
			Annotations(entgql.OrderField("LAST_AUTHENTICATED_AT")).Optional().Nillable().Comment("Last sign-in on the vendor."),
		field.Time("provisioned_at").
			Annotations(entgql.OrderField("PROVISIONED_AT")).Optional().Nillable().Comment("When the account was provisioned."),
		field.Time("deprovisioned_at").
			Annotations(entgql.OrderField("DEPROVISIONED_AT")).Optional().Nillable().Comment("When the account was deprovisioned."),
		field.Time("expires_at").
			Annotations(entgql.OrderField("EXPIRES_AT")).Optional().Nillable().Comment("When the account is scheduled to expire."),
	}
}

func (Identity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("integration", Integration.Type).Ref("identities").
			Field("integration_id").Unique().Required().Immutable().
			Annotations(hidden()),
		edge.From("user", User.Type).Ref("identities").
			Field("user_id").Unique().
			Annotations(hidden()),
		edge.To("resources", Resource.Type).
			Through("memberships", Membership.Type).
			Annotations(hidden(), graphQLField{"memberships"}),
	}
}

func (Identity) Indexes() []ent.Index {
	return []ent.Index{
		live("identities"),
		externalIDs("identities"),
		byParent("user_id"),
		orphans("identities", "user_id"),
		liveBy("created_at"),
		index.Fields("integration_id", "tenant_id", "vendor_id").Unique(),
		byParent("integration_id"),
		liveBy("state"),
		liveBy("email"),
		due("identities"),
	}
}

func (Identity) Annotations() []schema.Annotation {
	return node(viewer.DirectoryUserView, "Directory identities (vendor accounts) of the caller's tenant.")
}
