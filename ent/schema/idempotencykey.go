package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/idgraph/idgraph/internal/gid"
)

// IdempotencyKey remembers a mutation sent with an Idempotency-Key header, so a
// retry gets the first answer instead of a second write. Keys belong to the
// token that sent them and are kept for 24 hours.
type IdempotencyKey struct {
	ent.Schema
}

func (IdempotencyKey) Mixin() []ent.Mixin { return []ent.Mixin{record(gid.IdempotencyKey)} }

func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_id").NotEmpty().Immutable().Comment("The token that sent the key."),
		field.String("key").NotEmpty().MaxLen(255).Immutable().Comment("The client's Idempotency-Key."),
		field.String("request_hash").NotEmpty().Immutable().
			Comment("SHA-256 of the operation and its variables: a key reused for another request is refused."),
		field.Bytes("response").Optional().
			Comment("The JSON answer, once the mutation has finished; empty while it runs."),
	}
}

func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "token_id", "key").Unique(),
		index.Fields("created_at"),
	}
}

func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
