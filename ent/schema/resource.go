package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Resource is something on a vendor that identities belong to: a group, channel, project, drive or file.
type Resource struct {
	ent.Schema
}

// ResourceKinds are the resource kinds; each has a per-user count in UserCounts.
var ResourceKinds = []string{
	"gitlab_group", "gitlab_project",
	"google_drive_doc", "google_drive_file", "google_drive_folder", "google_drive_deck", "google_drive_sheet",
	"google_identity_group", "google_workspace_drive", "google_workspace_group",
	"okta_group",
	"slack_public_channel", "slack_private_channel", "slack_group",
}

func (Resource) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.Resource)} }

func (Resource) Fields() []ent.Field {
	return []ent.Field{
		externalID(),
		field.Enum("kind").Values(ResourceKinds...).
			Comment("What the resource is on its vendor.").
			Annotations(entgql.OrderField("KIND")),
		field.String("vendor_id").
			Annotations(entgql.OrderField("VENDOR_ID")).NotEmpty().Comment("Id of the resource on the vendor's API."),
		field.String("name").NotEmpty().
			Comment("Display name.").
			Annotations(entgql.OrderField("NAME")),
		field.String("handle").
			Annotations(entgql.OrderField("HANDLE")).Default("").Comment("Handle or path on the vendor."),
		field.String("integration_id").NotEmpty().Immutable().
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (Resource) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("integration", Integration.Type).Ref("resources").
			Field("integration_id").Unique().Required().Immutable().
			Annotations(hidden()),
		edge.From("members", Identity.Type).Ref("resources").
			Through("memberships", Membership.Type).
			Annotations(hidden()),
		edge.To("rulesets", PolicyRuleset.Type).Annotations(hidden()),
	}
}

func (Resource) Indexes() []ent.Index {
	return []ent.Index{
		live("resources"),
		externalIDs("resources"),
		index.Fields("integration_id", "tenant_id", "vendor_id").Unique(),
		byParent("integration_id"),
		liveBy("created_at"),
		liveBy("kind", "name"),
		liveBy("name"),
	}
}

func (Resource) Annotations() []schema.Annotation {
	return node(viewer.DirectoryUserView, "Groups, channels, projects and drives of the caller's tenant.")
}
