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

// PolicyRule grants a role on a ruleset's resource to the users who satisfy its conditions.
type PolicyRule struct {
	ent.Schema
}

func (PolicyRule) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.PolicyRule)} }

func (PolicyRule) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").
			Annotations(entgql.OrderField("STATE")).Values("staged", "active", "suspended", "deactivated").Default("active").
			Comment("Rules take effect only when active."),
		field.String("role_name").Default("").
			Comment("Name of the role granted, e.g. Member.").
			Annotations(entgql.OrderField("ROLE_NAME")),
		field.String("role_handle").
			Annotations(entgql.OrderField("ROLE_HANDLE")).Default("").Comment("Vendor handle of the role."),
		field.Bool("is_imported").Default(false).Comment("Whether the rule was imported from the vendor."),
		field.String("description").Default("").Comment("What the rule is for."),
		field.Int("expires_after_days").Optional().Nillable().
			Comment("Days after which an assignment from this rule expires."),
		field.Bool("expires_after_days_inherited").Default(true).
			Comment("Whether expiresAfterDays comes from the ruleset."),
		field.Int("priority").Default(0).
			Comment("Lower numbers win when rules conflict.").
			Annotations(entgql.OrderField("PRIORITY")),
		field.String("ruleset_id").NotEmpty().
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (PolicyRule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ruleset", PolicyRuleset.Type).Ref("rules").Field("ruleset_id").Unique().Required().
			Annotations(hidden()),
		edge.To("conditions", PolicyCondition.Type).Annotations(hidden()),
		edge.To("assignments", PolicyAssignment.Type).Annotations(hidden()),
	}
}

func (PolicyRule) Indexes() []ent.Index {
	return []ent.Index{
		live("policy_rules"),
		index.Fields("ruleset_id", "tenant_id", "priority"),
	}
}

func (PolicyRule) Annotations() []schema.Annotation {
	return node(viewer.PolicyView, "Access policy rules of the caller's tenant.")
}
