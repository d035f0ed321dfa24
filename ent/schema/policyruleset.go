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

// PolicyRuleset groups the access rules that govern one resource.
type PolicyRuleset struct {
	ent.Schema
}

func (PolicyRuleset) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.PolicyRuleset)} }

func (PolicyRuleset) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().
			Comment("Display name.").
			Annotations(entgql.OrderField("NAME")),
		field.Enum("state").
			Annotations(entgql.OrderField("STATE")).Values("unmanaged", "managed", "staged", "archived").Default("unmanaged").
			Comment("Whether idgraph manages the resource's membership from this ruleset."),
		field.Enum("type").
			Annotations(entgql.OrderField("TYPE")).Values("directory_attribute", "manual", "identity_attribute", "group_sync").
			Default("directory_attribute").
			Comment("How the ruleset decides membership."),
		field.Bool("is_authoritative").
			Annotations(entgql.OrderField("IS_AUTHORITATIVE")).Default(false).
			Comment("Whether members not qualified by a rule are removed."),
		field.Int("expires_after_days").Optional().Nillable().
			Comment("Days after which an assignment expires; null for never."),
		field.String("resource_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (PolicyRuleset) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("resource", Resource.Type).Ref("rulesets").Field("resource_id").Unique().
			Annotations(hidden()),
		edge.To("rules", PolicyRule.Type).Annotations(hidden()),
		edge.To("conditions", PolicyCondition.Type).Annotations(hidden()),
		edge.To("assignments", PolicyAssignment.Type).Annotations(hidden()),
	}
}

func (PolicyRuleset) Indexes() []ent.Index {
	return []ent.Index{
		live("policy_rulesets"),
		byParent("resource_id"),
		liveBy("created_at"),
		liveBy("name"),
	}
}

func (PolicyRuleset) Annotations() []schema.Annotation {
	return node(viewer.PolicyView, "Access policy rulesets of the caller's tenant.")
}
