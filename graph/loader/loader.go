// Package loader holds the per-request dataloaders that serve every relation and
// count of the graph. The number of SQL statements a request sends depends on the
// shape of the query, never on how many nodes it returns.
//
// Batching does not rely on timing. Every batch of rows a loader (or a root
// resolver) produces is registered as a sibling group; when a resolver loads an
// edge for one member of a group, the loader fetches that edge for the whole
// group in one statement and caches the answers, so the siblings' calls are cache
// hits. That is one statement per field per level, with no batch wait, and
// pages of one node type beside each other on one object share one (see
// siblings.go). An object
// in no group (the node a mutation returns) is a group of one. Fields resolve one
// after another (see graph/gqlgenc), so waiting for more keys, as a timed
// dataloader does, could never gather any.
package loader

import (
	"context"
	"net/http"
	"sync"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/stmtmemo"
)

// Config tunes the loaders.
type Config struct {
	// Bypass turns batching and caching off: every load is its own statement, as
	// if resolvers queried per node. Benchmarks use it to show what loaders save.
	Bypass bool
	// DefaultPage and MaxPage are the page sizes the handler gives a connection
	// without first or last, and allows at most; sibling pages (see siblings)
	// are read ahead only when DefaultPage is set.
	DefaultPage, MaxPage int
	// Statements keeps the statements of edge pages and by-id lookups by
	// shape, for every request of a handler (nil: each is built every time).
	Statements *stmtmemo.Memo
}

// DefaultConfig batches and caches.
var DefaultConfig = Config{}

type ctxKey struct{}

// Middleware gives every request its own Loaders. Loaders must never outlive a
// request: their caches would serve one caller's rows to another.
func Middleware(client *ent.Client, cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), ctxKey{}, New(client, cfg))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders {
	return ctx.Value(ctxKey{}).(*Loaders)
}

// Keys is the key one resolver asks for and, computed only by the one caller
// that misses the cache, the keys its siblings will ask for.
type Keys struct {
	Key      string
	siblings func() []string
}

// RootKeys is the key of a lookup with no siblings, such as user(id:).
func RootKeys(id string) Keys { return SiblingKeys(id, []string{id}) }

// SiblingKeys is the key of one of a known set of lookups, such as nodes(ids:).
func SiblingKeys(id string, all []string) Keys {
	return Keys{Key: id, siblings: func() []string { return all }}
}

// groups records which objects were loaded together.
type groups struct {
	mu sync.Mutex
	of map[any]any // member pointer -> the []*T it was loaded with
}

// Register marks nodes as loaded together; later edge loads on any of them cover all.
func Register[T any](ctx context.Context, nodes []*T) {
	register(For(ctx).groups, nodes)
}

func register[T any](g *groups, nodes []*T) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range nodes {
		g.of[n] = nodes
	}
}

// KeysOf returns obj's key and, lazily, its siblings' keys.
func KeysOf[T any](ctx context.Context, obj *T, key func(*T) string) Keys {
	members, ok := membersOf(ctx, obj)
	if !ok {
		return RootKeys(key(obj))
	}
	return Keys{Key: key(obj), siblings: func() []string {
		out := make([]string, len(members))
		for i, m := range members {
			out[i] = key(m)
		}
		return out
	}}
}

// OptionalKeysOf is KeysOf for an optional reference; ok is false when obj's is nil.
func OptionalKeysOf[T any](ctx context.Context, obj *T, key func(*T) *string) (k Keys, ok bool) {
	own := key(obj)
	if own == nil {
		return Keys{}, false
	}
	members, known := membersOf(ctx, obj)
	if !known {
		return RootKeys(*own), true
	}
	return Keys{Key: *own, siblings: func() []string {
		out := make([]string, 0, len(members))
		for _, m := range members {
			if s := key(m); s != nil {
				out = append(out, *s)
			}
		}
		return out
	}}, true
}

func membersOf[T any](ctx context.Context, obj *T) ([]*T, bool) {
	g := For(ctx).groups
	g.mu.Lock()
	defer g.mu.Unlock()
	members, ok := g.of[obj].([]*T)
	return members, ok
}

// batch is one loader: the batch function (one result per key, in key order)
// and the per-request cache of its answers.
type batch[V any] struct {
	bypass bool
	fetch  dataloader.BatchFunc[string, V]
	mu     sync.Mutex
	done   map[string]*dataloader.Result[V]
}

func newBatch[V any](cfg Config, fetch dataloader.BatchFunc[string, V]) *batch[V] {
	return &batch[V]{bypass: cfg.Bypass, fetch: fetch, done: map[string]*dataloader.Result[V]{}}
}

func (b *batch[V]) load(ctx context.Context, k Keys) (V, error) {
	if b.bypass {
		r := b.fetch(ctx, []string{k.Key})[0]
		return r.Data, r.Error
	}
	// The first sibling to ask fetches for all of them; the others find their
	// answers cached.
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.done[k.Key]; ok {
		return r.Data, r.Error
	}
	var siblings []string
	if k.siblings != nil {
		siblings = k.siblings()
	}
	missing := make([]string, 0, len(siblings)+1)
	seen := make(map[string]bool, len(siblings)+1)
	for _, key := range append(siblings, k.Key) {
		if _, cached := b.done[key]; !cached && !seen[key] {
			seen[key] = true
			missing = append(missing, key)
		}
	}
	for _, chunk := range chunks(missing, maxKeys) {
		for i, r := range b.fetch(ctx, chunk) {
			b.done[chunk[i]] = r
		}
	}
	r := b.done[k.Key]
	return r.Data, r.Error
}

// prime caches v as key's answer unless the batch has one already. Priming
// only saves a statement, so it never waits: a batch whose lock is held is
// fetching, and may be the very batch whose fetch is priming (a join's target
// can have the projection and joins of its parent).
func (b *batch[V]) prime(key string, v V) {
	if !b.mu.TryLock() {
		return
	}
	defer b.mu.Unlock()
	if _, ok := b.done[key]; !ok {
		b.done[key] = &dataloader.Result[V]{Data: v}
	}
}

// maxKeys bounds the keys one statement carries (they travel as one array
// parameter, so this bounds the work of a statement, not a parameter count).
const maxKeys = 1000

func chunks(keys []string, size int) [][]string {
	var out [][]string
	for len(keys) > size {
		out = append(out, keys[:size])
		keys = keys[size:]
	}
	return append(out, keys)
}

// inKeyOrder is a batch's answer: each key's value from byKey (the zero value
// when absent), in the order of keys, all with err.
func inKeyOrder[V any](keys []string, byKey map[string]V, err error) []*dataloader.Result[V] {
	results := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		results[i] = &dataloader.Result[V]{Data: byKey[k], Error: err}
	}
	return results
}
