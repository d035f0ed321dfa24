// Package loader holds the per-request dataloaders that serve every relation and
// count of the graph. The number of SQL statements a request sends depends on the
// shape of the query, never on how many nodes it returns.
//
// Batching does not rely on timing. Every batch of rows a loader (or a root
// resolver) produces is registered as a sibling group; when a resolver loads an
// edge for one member of a group, the loader fetches that edge for the whole
// group in one statement and caches the answers, so the siblings' calls are cache
// hits. That is one statement per field per level, with no batch wait. Objects in
// no group (none today) fall back to the dataloader's timed batching.
package loader

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/apierror"
)

// Config tunes the fallback batching of objects that belong to no sibling group.
type Config struct {
	Wait     time.Duration
	MaxBatch int
	// Bypass turns batching and caching off: every load is its own statement, as
	// if resolvers queried per node. Benchmarks use it to show what loaders save.
	Bypass bool
}

// DefaultConfig keeps the fallback wait short: it is paid once per level.
var DefaultConfig = Config{Wait: time.Millisecond, MaxBatch: 1000}

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
	Key string
	// Known is set when the key's object belongs to a sibling group.
	Known    bool
	siblings func() []string
}

// RootKeys is the key of a lookup with no siblings, such as user(id:).
func RootKeys(id string) Keys { return SiblingKeys(id, []string{id}) }

// SiblingKeys is the key of one of a known set of lookups, such as nodes(ids:).
func SiblingKeys(id string, all []string) Keys {
	return Keys{Key: id, Known: true, siblings: func() []string { return all }}
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
		return Keys{Key: key(obj)}
	}
	return Keys{Key: key(obj), Known: true, siblings: func() []string {
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
		return Keys{Key: *own}, true
	}
	return Keys{Key: *own, Known: true, siblings: func() []string {
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

// batch is one loader: the batch function (one result per key, in key order), the
// per-request cache of the sibling fast path, and a dataloader for the rest.
type batch[V any] struct {
	bypass   bool
	fetch    dataloader.BatchFunc[string, V]
	fallback *dataloader.Loader[string, V]
	mu       sync.Mutex
	done     map[string]*dataloader.Result[V]
}

func newBatch[V any](cfg Config, fetch dataloader.BatchFunc[string, V]) *batch[V] {
	return &batch[V]{
		bypass:   cfg.Bypass,
		fetch:    fetch,
		fallback: dataloader.NewBatchedLoader(fetch, options[V](cfg)...),
		done:     map[string]*dataloader.Result[V]{},
	}
}

func (b *batch[V]) load(ctx context.Context, k Keys) (V, error) {
	if b.bypass {
		r := b.fetch(ctx, []string{k.Key})[0]
		return r.Data, r.Error
	}
	if !k.Known {
		return b.fallback.Load(ctx, k.Key)()
	}
	// Siblings arrive concurrently; the first fetches for all of them while the
	// others wait here, then find their answers cached.
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.done[k.Key]; ok {
		return r.Data, r.Error
	}
	siblings := k.siblings()
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

// maxKeys bounds an IN (...) list: well inside SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const maxKeys = 1000

func chunks(keys []string, size int) [][]string {
	var out [][]string
	for len(keys) > size {
		out = append(out, keys[:size])
		keys = keys[size:]
	}
	return append(out, keys)
}

func options[V any](c Config) []dataloader.Option[string, V] {
	opts := []dataloader.Option[string, V]{dataloader.WithWait[string, V](c.Wait)}
	if c.MaxBatch > 0 {
		opts = append(opts, dataloader.WithBatchCapacity[string, V](c.MaxBatch))
	}
	return opts
}

// Page is the arguments of one connection field plus what the query selects of it.
type Page[O, W any] struct {
	After, Before *entgql.Cursor[string]
	First, Last   *int
	OrderBy       O
	Where         W
	// Rows is set when edges, nodes or pageInfo are selected; Count when totalCount is.
	Rows, Count bool
	// Columns is the projection of the rows (nil: every column).
	Columns []string
	// rowsKey identifies equal arguments, filterKey equal filters: totals depend on
	// the filter only, so every field and count with the same filter shares one COUNT.
	rowsKey, filterKey string
}

// pagingArguments do not change which rows a connection has, only which it returns.
var pagingArguments = map[string]bool{"first": true, "last": true, "after": true, "before": true, "orderBy": true}

// NewPage reads the connection field being resolved in ctx.
func NewPage[O, W any](ctx context.Context, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy O, where W) Page[O, W] {
	p := Page[O, W]{After: after, First: first, Before: before, Last: last, OrderBy: orderBy, Where: where}
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		switch f.Name {
		case "edges", "nodes", "pageInfo":
			p.Rows = true
		case "totalCount":
			p.Count = true
		}
	}
	// Raw argument values (variables substituted) describe the page canonically;
	// encoding/json sorts map keys. first comes from the parsed arguments, where
	// the page-size middleware may have filled in the default.
	args := fc.Field.ArgumentMap(oc.Variables)
	filter := map[string]any{}
	for name, v := range args {
		if !pagingArguments[name] {
			filter[name] = v
		}
	}
	if p.Rows {
		p.Columns = ConnectionProjection(ctx, strings.TrimSuffix(fc.Field.Definition.Type.Name(), "Connection"))
	}
	rows, _ := json.Marshal(args)
	filters, _ := json.Marshal(filter)
	p.rowsKey, p.filterKey = string(rows)+strings.Join(p.Columns, ","), string(filters)
	if first != nil {
		p.rowsKey += fmt.Sprintf("+first=%d", *first)
	}
	return p
}

// countOnly is the page a count field asks for: the unfiltered total, no rows.
func countOnly[O, W any]() Page[O, W] {
	return Page[O, W]{Count: true, filterKey: "{}"}
}

// Conn batches one connection field across parents: one batch (so one statement)
// per distinct page of rows, and one per distinct filter for the totals.
type Conn[C, O, W any] struct {
	cfg      Config
	fetch    func(ctx context.Context, parentIDs []string, p Page[O, W]) (map[string]*C, error)
	total    func(*C) *int
	mu       sync.Mutex
	byRows   map[string]*batch[*C]
	byFilter map[string]*batch[*C]
}

func newConn[C, O, W any](cfg Config, total func(*C) *int, fetch func(context.Context, []string, Page[O, W]) (map[string]*C, error)) *Conn[C, O, W] {
	return &Conn[C, O, W]{cfg: cfg, fetch: fetch, total: total, byRows: map[string]*batch[*C]{}, byFilter: map[string]*batch[*C]{}}
}

func (c *Conn[C, O, W]) batchFor(batches map[string]*batch[*C], key string, p Page[O, W]) *batch[*C] {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := batches[key]
	if !ok {
		b = newBatch(c.cfg, func(ctx context.Context, ids []string) []*dataloader.Result[*C] {
			conns, err := c.fetch(ctx, ids, p)
			results := make([]*dataloader.Result[*C], len(ids))
			for i, id := range ids {
				results[i] = &dataloader.Result[*C]{Data: conns[id], Error: err}
			}
			return results
		})
		batches[key] = b
	}
	return b
}

// Load returns the page of the parent's connection.
func (c *Conn[C, O, W]) Load(ctx context.Context, k Keys, p Page[O, W]) (*C, error) {
	var conn *C
	if p.Rows {
		rows := p
		rows.Count = false
		page, err := c.batchFor(c.byRows, p.rowsKey, rows).load(ctx, k)
		if err != nil {
			return nil, err
		}
		copied := *page // cached pages are shared; the total is set on a copy
		conn = &copied
	}
	if p.Count {
		counts := Page[O, W]{Where: p.Where, Count: true}
		counted, err := c.batchFor(c.byFilter, p.filterKey, counts).load(ctx, k)
		if err != nil {
			return nil, err
		}
		if conn == nil {
			return counted, nil
		}
		*c.total(conn) = *c.total(counted)
	}
	if conn == nil { // neither rows nor total asked for: only __typename
		return c.batchFor(c.byFilter, p.filterKey, Page[O, W]{Where: p.Where, Count: true}).load(ctx, k)
	}
	return conn, nil
}

// Count returns the total number of the parent's rows, with no filter.
func (c *Conn[C, O, W]) Count(ctx context.Context, k Keys) (int, error) {
	conn, err := c.Load(ctx, k, countOnly[O, W]())
	if err != nil {
		return 0, err
	}
	return *c.total(conn), nil
}

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
