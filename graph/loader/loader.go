// Package loader holds the per-request dataloaders that serve every relation and
// count of the graph. A request's loaders batch the keys its resolvers ask for at
// one level of the query into one SQL statement, so the number of statements a
// request sends depends on the shape of the query, never on how many nodes it returns.
package loader

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/apierror"
)

// Config tunes batching. Wait is how long a loader collects keys before it sends
// its statement: every level of a query pays it once, so it is kept short; gqlgen
// resolves a list's children concurrently, so sibling keys arrive within microseconds.
type Config struct {
	Wait     time.Duration
	MaxBatch int
}

// DefaultConfig is what the server uses; BENCHMARKS.md records how it was chosen.
var DefaultConfig = Config{Wait: 250 * time.Microsecond, MaxBatch: 1000}

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

// WithLoaders returns ctx carrying l, for callers outside the HTTP middleware.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// Page is the arguments of one connection field plus what the query selects of it.
type Page[O, W any] struct {
	After, Before *entgql.Cursor[string]
	First, Last   *int
	OrderBy       O
	Where         W
	// Rows is set when edges, nodes or pageInfo are selected; Count when totalCount is.
	Rows, Count bool
	// signature identifies equal arguments: parents asking with equal ones share a batch.
	signature string
}

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
	// The raw argument values (after variables) are a canonical description of the page;
	// encoding/json sorts map keys.
	raw, _ := json.Marshal(fc.Field.ArgumentMap(oc.Variables))
	p.signature = string(raw)
	if p.Rows {
		p.signature += "+rows"
	}
	if p.Count {
		p.signature += "+count"
	}
	return p
}

// countOnly is the page a count field asks for: a grouped COUNT, no rows.
func countOnly[O, W any]() Page[O, W] {
	return Page[O, W]{Count: true, signature: "{}+count"}
}

// Conn batches one connection field across parents. Each distinct set of
// arguments gets its own dataloader, so one batch is one statement.
type Conn[C, O, W any] struct {
	cfg    Config
	fetch  func(ctx context.Context, parentIDs []string, p Page[O, W]) (map[string]*C, error)
	total  func(*C) int
	mu     sync.Mutex
	byPage map[string]*dataloader.Loader[string, *C]
}

func newConn[C, O, W any](cfg Config, total func(*C) int, fetch func(context.Context, []string, Page[O, W]) (map[string]*C, error)) *Conn[C, O, W] {
	return &Conn[C, O, W]{cfg: cfg, fetch: fetch, total: total, byPage: map[string]*dataloader.Loader[string, *C]{}}
}

// Load returns the page of parentID's connection.
func (c *Conn[C, O, W]) Load(ctx context.Context, parentID string, p Page[O, W]) (*C, error) {
	c.mu.Lock()
	l, ok := c.byPage[p.signature]
	if !ok {
		l = dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[*C] {
			conns, err := c.fetch(ctx, ids, p)
			results := make([]*dataloader.Result[*C], len(ids))
			for i, id := range ids {
				results[i] = &dataloader.Result[*C]{Data: conns[id], Error: err}
			}
			return results
		}, options[*C](c.cfg)...)
		c.byPage[p.signature] = l
	}
	c.mu.Unlock()
	return l.Load(ctx, parentID)()
}

// Count returns the total number of parentID's rows, with no filter.
func (c *Conn[C, O, W]) Count(ctx context.Context, parentID string) (int, error) {
	conn, err := c.Load(ctx, parentID, countOnly[O, W]())
	if err != nil {
		return 0, err
	}
	return c.total(conn), nil
}

// ByID batches lookups of one node type by id. A missing id is a NOT_FOUND error.
type ByID[T any] = dataloader.Loader[string, *T]

func newByID[T any](cfg Config, typ string, id func(*T) string, fetch func(context.Context, []string) ([]*T, error)) *ByID[T] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
		rows, err := fetch(ctx, ids)
		found := make(map[string]*T, len(rows))
		for _, r := range rows {
			found[id(r)] = r
		}
		results := make([]*dataloader.Result[*T], len(ids))
		for i, key := range ids {
			switch r, ok := found[key]; {
			case err != nil:
				results[i] = &dataloader.Result[*T]{Error: err}
			case !ok:
				results[i] = &dataloader.Result[*T]{Error: apierror.NotFound(typ, key)}
			default:
				results[i] = &dataloader.Result[*T]{Data: r}
			}
		}
		return results
	}, options[*T](cfg)...)
}

// Optional loads the node an optional edge points at; a nil id is a nil node.
func Optional[T any](ctx context.Context, l *ByID[T], id *string) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return l.Load(ctx, *id)()
}

func options[V any](c Config) []dataloader.Option[string, V] {
	opts := []dataloader.Option[string, V]{dataloader.WithWait[string, V](c.Wait)}
	if c.MaxBatch > 0 {
		opts = append(opts, dataloader.WithBatchCapacity[string, V](c.MaxBatch))
	}
	return opts
}
