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

// PolicyAssignment (a "policy user") records that a ruleset, through one of its rules, grants a user access.
type PolicyAssignment struct {
	ent.Schema
}

func (PolicyAssignment) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.PolicyAssignment)} }

func (PolicyAssignment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").
			Annotations(entgql.OrderField("STATE")).Values(lifecycle.States(lifecycle.User)...).Default("active").
			Comment("State of the assignment."),
		field.Time("activated_at").
			Annotations(entgql.OrderField("ACTIVATED_AT")).Optional().Nillable().Comment("When access was granted."),
		field.Time("expires_at").
			Annotations(entgql.OrderField("EXPIRES_AT")).Optional().Nillable().Comment("When access lapses."),
		field.String("user_id").NotEmpty().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("ruleset_id").NotEmpty().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("rule_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (PolicyAssignment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("policy_assignments").Field("user_id").Unique().Required().
			Annotations(hidden()),
		edge.From("ruleset", PolicyRuleset.Type).Ref("assignments").Field("ruleset_id").Unique().Required().
			Annotations(hidden()),
		edge.From("rule", PolicyRule.Type).Ref("assignments").Field("rule_id").Unique().
			Annotations(hidden()),
	}
}

func (PolicyAssignment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "tenant_id", "ruleset_id"),
		byParent("ruleset_id"),
		byParent("rule_id"),
		due("policy_assignments"),
	}
}

func (PolicyAssignment) Annotations() []schema.Annotation {
	return node(viewer.PolicyView, "")
}
