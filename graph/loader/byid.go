package loader

import (
	"context"
	"strings"
	"sync"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/internal/apierror"
)

// ByID batches lookups of one node type by id, one batch per projection. A
// missing id is a NOT_FOUND error.
type ByID[T any] struct {
	cfg    Config
	groups *groups
	typ    string
	id     func(*T) string
	fetch  func(ctx context.Context, ids, columns []string) ([]*T, error)
	mu     sync.Mutex
	byCols map[string]*batch[*T]
}

func newByID[T any](cfg Config, g *groups, typ string, id func(*T) string, fetch func(context.Context, []string, []string) ([]*T, error)) *ByID[T] {
	return &ByID[T]{cfg: cfg, groups: g, typ: typ, id: id, fetch: fetch, byCols: map[string]*batch[*T]{}}
}

// Load returns the node with k's key, with the columns the field being resolved selects.
func (l *ByID[T]) Load(ctx context.Context, k Keys) (*T, error) {
	columns := FieldProjection(ctx, l.typ)
	l.mu.Lock()
	key := strings.Join(columns, ",")
	b, ok := l.byCols[key]
	if !ok {
		b = newBatch(l.cfg, func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
			rows, err := l.fetch(ctx, ids, columns)
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
	}
	l.mu.Unlock()
	return b.load(ctx, k)
}

// LoadID returns the node with id, outside any sibling group (a root lookup).
func (l *ByID[T]) LoadID(ctx context.Context, id string) (*T, error) {
	return l.Load(ctx, RootKeys(id))
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
