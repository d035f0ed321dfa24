package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Integration is a connected workspace: an identity provider, directory, app or HRIS.
type Integration struct {
	ent.Schema
}

func (Integration) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.Integration)} }

func (Integration) Fields() []ent.Field {
	return []ent.Field{
		externalID(),
		field.Enum("vendor").
			Annotations(entgql.OrderField("VENDOR")).
			Values("okta", "google", "slack", "gitlab", "github", "azure_ad", "workday", "demo").
			Comment("The vendor behind the integration."),
		field.Enum("kind").
			Annotations(entgql.OrderField("KIND")).
			Values("idp", "directory", "app", "hris").
			Comment("Role of the integration: identity provider, directory, application or HR system."),
		field.String("name").NotEmpty().
			Comment("Display name.").
			Annotations(entgql.OrderField("NAME")),
		field.String("handle").
			Annotations(entgql.OrderField("HANDLE")).Default("").Comment("Short handle of the integration."),
		field.String("domain").
			Annotations(entgql.OrderField("DOMAIN")).Default("").Comment("Domain the integration serves."),
		field.Bool("is_primary").
			Annotations(entgql.OrderField("IS_PRIMARY")).Default(false).
			Comment("Whether this is the tenant's primary integration (exactly one is)."),
		field.Time("last_synced_at").Optional().Nillable().Comment("Last successful sync."),
	}
}

func (Integration) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("identities", Identity.Type).Annotations(hidden()),
		edge.To("resources", Resource.Type).Annotations(hidden()),
	}
}

func (Integration) Indexes() []ent.Index {
	return []ent.Index{
		live("integrations"),
		externalIDs("integrations"),
		liveBy("name"),
		liveBy("created_at"),
	}
}

func (Integration) Annotations() []schema.Annotation {
	return node(viewer.DirectoryUserView, "Workspace integrations of the caller's tenant.")
}
