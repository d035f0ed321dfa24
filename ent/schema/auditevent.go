package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/viewer"
)

// AuditEvent is a workspace log entry: who did what to which record, and what changed.
type AuditEvent struct {
	ent.Schema
}

func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.AuditEvent)} }

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("action").NotEmpty().
			Comment("What happened, e.g. user.updated.").
			Annotations(entgql.OrderField("ACTION")),
		field.String("actor").
			Annotations(entgql.OrderField("ACTOR")).Default("").Comment("Who did it: a token or a system process."),
		field.JSON("changes", map[string]any{}).Optional().
			Comment("Changed fields, before and after; PII values are redacted.").
			Annotations(entgql.Type("Map")),
		field.Time("occurred_at").Default(time.Now).
			Comment("When it happened.").
			Annotations(entgql.OrderField("OCCURRED_AT")),
		field.String("subject_user_id").Optional().Nillable().
			Comment("The directory user the event is about.").
			Annotations(entgql.Skip(entgql.SkipType)),
		field.String("record_id").Optional().Nillable().
			Comment("Id of the record the event changed (any node).").
			Annotations(anyNode{"record"}),
		field.String("parent_record_id").Optional().Nillable().
			Comment("Id of the parent of the changed record, e.g. the user of an identity."),
		field.String("related_record_id").Optional().Nillable().
			Comment("Id of another record the event involves, e.g. the resource of a membership.").
			Annotations(anyNode{"relatedRecord"}),
		field.String("parent_event_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subject_user", User.Type).Ref("audit_events").Field("subject_user_id").Unique().
			Annotations(hidden()),
		edge.To("children", AuditEvent.Type).Annotations(hidden()).From("parent_event").Field("parent_event_id").Unique().
			Annotations(hidden()),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		live("audit_events"),
		byParent("subject_user_id"),
		byParent("record_id"),
		byParent("parent_record_id"),
		byParent("related_record_id"),
		byParent("parent_event_id"),
		liveBy("occurred_at"),
		liveBy("created_at"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return node(viewer.AuditView, "Workspace log of the caller's tenant, newest last by default.")
}
