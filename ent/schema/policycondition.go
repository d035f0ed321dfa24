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

// PolicyCondition is one test a user must pass to qualify for a rule (or a whole ruleset).
type PolicyCondition struct {
	ent.Schema
}

func (PolicyCondition) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.PolicyCondition)} }

func (PolicyCondition) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("type").
			Annotations(entgql.OrderField("TYPE")).Values("attribute", "user", "group", "manager").Default("attribute").
			Comment("attribute: compare a profile key; user: name one user; group, manager: membership tests."),
		field.String("profile_key").
			Annotations(entgql.OrderField("PROFILE_KEY")).Default("").Comment("Attribute compared, e.g. department."),
		field.Enum("profile_operator").
			Values("equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with").
			// "in" and "not_in" would collide with ent's generated ProfileOperatorIn predicate.
			NamedValues("OneOf", "in", "NoneOf", "not_in").
			Default("equals").
			Comment("How the attribute is compared with profileValue."),
		field.String("profile_value").Default("").Comment("Value compared against; comma-separated for in/not_in."),
		field.Bool("is_imported").Default(false).Comment("Whether the condition was imported from the vendor."),
		field.String("description").Default("").Comment("What the condition is for."),
		field.String("ruleset_id").NotEmpty().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("rule_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("user_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (PolicyCondition) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ruleset", PolicyRuleset.Type).Ref("conditions").Field("ruleset_id").Unique().Required().
			Annotations(hidden()),
		edge.From("rule", PolicyRule.Type).Ref("conditions").Field("rule_id").Unique().
			Annotations(hidden()),
		edge.From("user", User.Type).Ref("policy_conditions").Field("user_id").Unique().
			Annotations(hidden()),
	}
}

func (PolicyCondition) Indexes() []ent.Index {
	return []ent.Index{
		byParent("ruleset_id"),
		byParent("rule_id"),
		byParent("user_id"),
	}
}

func (PolicyCondition) Annotations() []schema.Annotation {
	return node(viewer.PolicyView, "")
}
