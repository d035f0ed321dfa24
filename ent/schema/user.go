package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/lifecycle"
	"github.com/idgraph/idgraph/internal/viewer"
)

// User is a directory user: a person (or service account, mailbox...) of the organisation.
type User struct {
	ent.Schema
}

func (User) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.User)} }

func (User) Fields() []ent.Field {
	return []ent.Field{
		externalID(),
		field.Enum("state").
			Values(lifecycle.States(lifecycle.User)...).
			Default("active").
			Comment("Lifecycle state. Staged users are not in ruleset manifests until active.").
			Annotations(entgql.OrderField("STATE")),
		field.String("first_name").Default("").Comment("First (given) name.").
			Annotations(entgql.OrderField("FIRST_NAME")),
		field.String("last_name").Default("").
			Comment("Last (family) name.").
			Annotations(entgql.OrderField("LAST_NAME")),
		field.String("full_name").Default("").
			Comment("First and last name.").
			Annotations(entgql.OrderField("FULL_NAME")),
		field.String("email").NotEmpty().
			Comment("Email address, unique within the tenant; used to match identities to users.").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("username").Default("").
			Comment("Username, usually the email handle.").
			Annotations(entgql.OrderField("USERNAME")),
		field.String("badge_id").Optional().Nillable().
			Comment("Badge number from the primary integration (PII)."),
		field.String("employee_id").
			Annotations(entgql.OrderField("EMPLOYEE_ID")).Optional().Nillable().
			Comment("Employee number from the primary integration."),
		field.String("employee_alt_id").Optional().Nillable().
			Comment("Secondary employee number from the primary integration."),
		field.Enum("type").
			Values("employee", "service_account", "vendor", "shared", "mailbox", "client",
				"temporary", "administrator", "auditor", "unknown").
			Default("employee").
			Comment("Kind of account holder.").
			Annotations(entgql.OrderField("TYPE")),
		field.String("title").Default("").
			Comment("Job title.").
			Annotations(entgql.OrderField("TITLE")),
		field.String("department").Default("").
			Comment("Department (org dimension).").
			Annotations(entgql.OrderField("DEPARTMENT")),
		field.String("division").Default("").Comment("Division (org dimension).").
			Annotations(entgql.OrderField("DIVISION")),
		field.String("company").Default("").Comment("Company (org dimension).").
			Annotations(entgql.OrderField("COMPANY")),
		field.String("office").Default("").Comment("Office location (org dimension).").
			Annotations(entgql.OrderField("OFFICE")),
		field.String("cost_center").Default("").Comment("Cost center (org dimension).").
			Annotations(entgql.OrderField("COST_CENTER")),
		field.JSON("metadata", map[string]any{}).Optional().
			Comment("Custom key/value metadata added by people or automation.").
			Annotations(entgql.Type("Map")),
		// Account facts of directories that hold sign-ups (verification and
		// consent), kept as the source gives them.
		field.Bool("email_verified").Default(false).
			Comment("Whether the email address was verified by the source directory."),
		field.Time("privacy_policy_agreed_at").Optional().Nillable().
			Comment("When the user agreed to the privacy policy."),
		field.Time("terms_of_service_agreed_at").Optional().Nillable().
			Comment("When the user agreed to the terms of service."),
		field.JSON("app_metadata", map[string]any{}).Optional().
			Comment("Metadata the source application keeps about the user (not editable by the user there).").
			Annotations(entgql.Type("Map")),
		field.JSON("user_metadata", map[string]any{}).Optional().
			Comment("Metadata the user keeps about themselves in the source application.").
			Annotations(entgql.Type("Map")),
		field.String("manager_id").Optional().Nillable().
			Comment("Id of the user's manager.").
			Annotations(entgql.Skip(entgql.SkipType)),
		// Kept by database triggers (internal/orgpath), never set by the API: the
		// ids of the user's managers from the top down, "/" for the top, so that
		// everyone under a manager is one index range.
		field.String("reporting_path").Default("").
			Comment("The user's managers from the top of the organisation down, as /id/id/ (maintained by the database).").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Kept by database triggers (internal/tally), never set by the API: lists
		// order by them (largest teams first) through an index like any column.
		field.Int("direct_reports_count").Default(0).
			Comment("Live direct reports (maintained by the database).").
			Annotations(entgql.OrderField("DIRECT_REPORTS_COUNT"), entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Int("identities_count").Default(0).
			Comment("Live identities (maintained by the database).").
			Annotations(entgql.OrderField("IDENTITIES_COUNT"), entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.String("parent_user_id").Optional().Nillable().
			Comment("Id of the primary user this secondary (e.g. admin) account belongs to.").
			Annotations(entgql.Skip(entgql.SkipType)),
		field.Time("expires_at").
			Annotations(entgql.OrderField("EXPIRES_AT")).Optional().Nillable().Comment("When the user is scheduled to expire."),
		field.Time("provisioned_at").
			Annotations(entgql.OrderField("PROVISIONED_AT")).Optional().Nillable().Comment("When the user was provisioned."),
		field.Time("deprovisioned_at").
			Annotations(entgql.OrderField("DEPROVISIONED_AT")).Optional().Nillable().Comment("When the user was deprovisioned."),
		field.Time("last_authenticated_at").Optional().Nillable().
			Comment("Last sign-in seen on any identity.").
			Annotations(entgql.OrderField("LAST_AUTHENTICATED_AT")),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("direct_reports", User.Type).Annotations(hidden()).
			From("manager").Unique().Field("manager_id").
			Annotations(hidden()),
		edge.To("secondary_users", User.Type).Annotations(hidden()).
			From("parent_user").Unique().Field("parent_user_id").
			Annotations(hidden()),
		edge.To("identities", Identity.Type).Annotations(hidden()),
		edge.To("policy_assignments", PolicyAssignment.Type).Annotations(hidden()),
		edge.To("policy_conditions", PolicyCondition.Type).Annotations(hidden()),
		edge.To("audit_events", AuditEvent.Type).Annotations(hidden()),
		edge.To("attributes", UserAttribute.Type).Annotations(hidden()),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{
		live("users"),
		externalIDs("users"),
		// Email is unique among live users: a soft-deleted person's address can be
		// given to someone new, and a CONFLICT does not tell a caller who existed.
		index.Fields("tenant_id", "email").Unique().
			Annotations(entsql.IndexWhere("deleted_at IS NULL")).StorageKey("users_live_email"),
		liveBy("created_at"),
		byParent("manager_id"),
		orphans("users", "manager_id"),
		byParent("parent_user_id"),
		// Everyone under a manager is a range of this index. PostgreSQL compares
		// the range by bytes (text_pattern_ops) whatever the database's collation.
		index.Fields("tenant_id", "reporting_path", "id", "deleted_at").
			Annotations(entsql.OpClassColumn("reporting_path", "text_pattern_ops")).
			StorageKey("users_reporting_path"),
		liveBy("full_name"),
		liveBy("last_name"),
		liveBy("state"),
		liveBy("department"),
		liveBy("direct_reports_count"),
		liveBy("identities_count"),
		liveBy("title"),
		due("users"),
	}
}

func (User) Annotations() []schema.Annotation {
	return node(viewer.DirectoryUserView, "Directory users of the caller's tenant.")
}
