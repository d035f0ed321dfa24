package loader

import (
	"context"
	"strings"
	"sync"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/stmtmemo"
)

// ByID batches lookups of one node type by id, one batch per projection and
// plan of joined references. A missing id is a NOT_FOUND error.
type ByID[T any] struct {
	cfg    Config
	groups *groups
	joins  *joiner
	typ    string
	id     func(*T) string
	value  func(*T, string) (ent.Value, error)
	fetch  func(ctx context.Context, ids, columns []string, modify func(*sql.Selector)) ([]*T, error)
	mu     sync.Mutex
	byCols map[string]*batch[*T]
}

func newByID[T any](cfg Config, g *groups, j *joiner, typ string, id func(*T) string, value func(*T, string) (ent.Value, error),
	fetch func(context.Context, []string, []string, func(*sql.Selector)) ([]*T, error)) *ByID[T] {
	return &ByID[T]{cfg: cfg, groups: g, joins: j, typ: typ, id: id, value: value, fetch: fetch}
}

// Load returns the node with k's key, with the columns the field being resolved
// selects, and caches the rows of the references it selects in their loaders.
func (l *ByID[T]) Load(ctx context.Context, k Keys) (*T, error) {
	field := graphql.GetFieldContext(ctx).Field
	var plan joinPlan
	if !l.cfg.Bypass {
		plan = fieldJoins(ctx, l.typ, "object", field, []graphql.CollectedField{field})
	}
	columns := FieldProjection(ctx, l.typ)
	// The batch's key is the same for every node resolving this field: made
	// once per field, not once per node.
	key := memo(ctx, memoKey{siteOf(field), "byid", l.typ}, func() string { return batchKey(columns, plan) })
	return l.batchFor(key, columns, plan).load(ctx, k)
}

// batchKey names the batch of a projection and a plan of joins.
func batchKey(columns []string, plan joinPlan) string {
	return strings.Join(columns, ",") + "|" + plan.key()
}

// LoadID returns the node with id, outside any sibling group (a root lookup).
func (l *ByID[T]) LoadID(ctx context.Context, id string) (*T, error) {
	return l.Load(ctx, RootKeys(id))
}

func (l *ByID[T]) batchFor(key string, columns []string, plan joinPlan) *batch[*T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.byCols[key]; ok {
		return b
	}
	if l.byCols == nil {
		l.byCols = map[string]*batch[*T]{}
	}
	b := newBatch(l.cfg, func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
		rows, err := l.fetchJoined(ctx, ids, columns, plan)
		register(l.groups, rows)
		found := make(map[string]*T, len(rows))
		for _, r := range rows {
			found[l.id(r)] = r
		}
		results := make([]*dataloader.Result[*T], len(ids))
		for i, key := range ids {
			switch r, ok := found[key]; {
			case err != nil:
				results[i] = &dataloader.Result[*T]{Error: err}
			case !ok:
				results[i] = &dataloader.Result[*T]{Error: apierror.NotFound(l.typ, key)}
			default:
				results[i] = &dataloader.Result[*T]{Data: r}
			}
		}
		return results
	})
	l.byCols[key] = b
	return b
}

// fetchJoined reads the rows of ids with the references of plan joined, and
// caches the referenced rows in their loaders.
func (l *ByID[T]) fetchJoined(ctx context.Context, ids, columns []string, plan joinPlan) ([]*T, error) {
	return joined(ctx, l.joins, plan, l.value, func(joins func(*sql.Selector, func(string) string)) ([]*T, error) {
		var modify func(*sql.Selector)
		if joins != nil {
			modify = func(s *sql.Selector) { joins(s, s.C) }
		}
		return l.fetch(stmtmemo.WithCall(ctx, l.statementCall(ctx, ids, columns, plan)), ids, columns, modify)
	})
}

// cache stores nodes read by another statement as answers of the batch of
// columns and plan, and makes them one sibling group.
func (l *ByID[T]) cache(columns []string, plan joinPlan, nodes []*T) {
	b := l.batchFor(batchKey(columns, plan), columns, plan)
	for _, n := range nodes {
		b.prime(l.id(n), n)
	}
	register(l.groups, nodes)
}

// Optional loads the node an optional reference of obj points at.
func Optional[P, T any](ctx context.Context, l *ByID[T], obj *P, ref func(*P) *string) (*T, error) {
	k, ok := OptionalKeysOf(ctx, obj, ref)
	if !ok {
		return nil, nil
	}
	return l.Load(ctx, k)
}

// Required loads the node a required reference of obj points at.
func Required[P, T any](ctx context.Context, l *ByID[T], obj *P, ref func(*P) string) (*T, error) {
	return l.Load(ctx, KeysOf(ctx, obj, ref))
}
