package graph

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/playground"
	"github.com/idgraph/idgraph/graph/rest"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/idempotency"
	"github.com/idgraph/idgraph/internal/stmtmemo"
	"github.com/idgraph/idgraph/internal/store"
)

// Options configure the HTTP handler.
type Options struct {
	Logger  *slog.Logger
	Loaders loader.Config
	// Auth checks tokens; NewHandler makes one with default settings when nil.
	// The caller that owns it runs its last-use flusher (see auth.Authenticator.Run).
	Auth *auth.Authenticator
	// Idempotency keeps Idempotency-Key answers; NewHandler makes one when nil.
	// The caller that owns it expires old keys (see idempotency.Store.Expire).
	Idempotency *idempotency.Store
	Limits      Limits
	// DemoToken, set by serve --demo, is filled into the playground's headers.
	DemoToken string
	// MetricsMux, when set, serves /metrics (with request durations by
	// operation name) instead of the API's address, which then has none; give it
	// an address only operators reach. Without it /metrics is on the API
	// address, where anyone can read it, and durations are not broken down by
	// operation: the names clients give their operations stay theirs.
	MetricsMux *http.ServeMux
	// FieldMiddleware runs around every field resolver, after the built-in checks
	// (tracing hooks; tests use it to make a resolver fail).
	FieldMiddleware []graphql.FieldMiddleware
}

// NewHandler returns idgraph's whole HTTP surface: /graphql, /export, the REST
// endpoints of the APIs teams move from (/api/..., /v1/..., package rest), the
// playground at /, /healthz and /metrics. Production and tests use it alike.
func NewHandler(db *store.DB, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Loaders == (loader.Config{}) {
		opts.Loaders = loader.DefaultConfig
	}
	if opts.Loaders.Statements == nil && !opts.Loaders.Bypass {
		opts.Loaders.Statements = stmtmemo.New()
	}
	if opts.Auth == nil {
		opts.Auth = auth.NewAuthenticator(db.Client, auth.Options{})
	}
	limits := opts.Limits.withDefaults()
	opts.Loaders.DefaultPage, opts.Loaders.MaxPage = limits.DefaultPage, limits.MaxPage
	m := newMetrics(db.Statements, opts.Loaders.Statements, opts.MetricsMux != nil)
	a := &api{
		present: presentError(opts.Logger), limits: limits, auth: opts.Auth, logger: opts.Logger,
		idempotency: opts.Idempotency, slots: make(chan struct{}, limits.MaxConcurrent),
	}
	if a.idempotency == nil {
		a.idempotency = NewIdempotencyStore(db, limits)
	}

	executable := NewExecutableSchema(Config{
		Schema:     schemaFor(limits.MaxPage),
		Resolvers:  NewResolver(db.Client),
		Directives: DirectiveRoot{HasPermission: hasPermission, IdOf: idOf},
	})
	gql := handler.New(executable)
	gql.AddTransport(transport{api: a})
	gql.SetParserTokenLimit(limits.ParserTokens)
	// Parsed documents and persisted queries are cached only when small, so the
	// caches stay within a few MiB whatever clients send.
	gql.SetQueryCache(smallEntries[*ast.QueryDocument](lru.New[*ast.QueryDocument](1000)))
	if !limits.DisableIntrospection {
		gql.Use(extension.Introspection{})
	} else {
		gql.SetDisableSuggestion(true)
	}
	gql.Use(extension.AutomaticPersistedQuery{Cache: persistedQueries{
		local: smallEntries[string](lru.New[string](limits.APQEntries)), client: db.Client, logger: opts.Logger,
	}})
	gql.Use(limits.Limits)
	gql.Use(&filterPermissions{})
	gql.AroundFields(checkField(limits.DefaultPage, limits.MaxPage))
	for _, mw := range opts.FieldMiddleware {
		gql.AroundFields(mw)
	}
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if info := requestInfoFrom(ctx); info != nil {
			oc := graphql.GetOperationContext(ctx)
			name := oc.OperationName
			if name == "" && oc.Operation != nil {
				name = oc.Operation.Name // named in the document, not in the request
			}
			info.setOperation(name)
		}
		return next(ctx)
	})
	gql.SetErrorPresenter(a.present)
	gql.SetRecoverFunc(recoverPanic(opts.Logger))

	var endpoint http.Handler = a.guard(loader.Middleware(db.Client, opts.Loaders, gql))
	var restAround func(http.Handler) http.Handler
	if len(limits.CORSOrigins) > 0 {
		endpoint = cors.New(cors.Options{
			AllowedOrigins: limits.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Authorization", "Content-Type", "X-Tenant-ID"},
			ExposedHeaders: []string{"X-Correlation-ID"},
			MaxAge:         600,
		}).Handler(endpoint)
		// The REST endpoints answer the same origins, with their own methods
		// and headers.
		restAround = cors.New(cors.Options{
			AllowedOrigins: limits.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete},
			AllowedHeaders: []string{"Authorization", "Content-Type", "X-Tenant-ID", "X-API-Key"},
			ExposedHeaders: []string{"X-Correlation-ID", "Link", "X-Total-Results-Count"},
			MaxAge:         600,
		}).Handler
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", endpoint)
	mux.Handle("/export", &exporter{api: a, schema: executable.Schema(), graphql: endpoint, log: directory.New(db.Client),
		maxRows: limits.MaxExportRows, pageSize: limits.MaxPage})
	rest.Register(mux, rest.Options{GraphQL: endpoint, MaxBodyBytes: limits.MaxBodyBytes, Around: restAround,
		Logger: opts.Logger})
	mux.Handle("GET /{$}", playground.Page(playground.Options{Endpoint: "/graphql", Export: "/export", Token: opts.DemoToken}))
	mux.Handle("GET /playground/", playground.Assets())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	metricsMux := mux
	if opts.MetricsMux != nil {
		metricsMux = opts.MetricsMux
	}
	metricsMux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return observe(opts.Logger, m, mux)
}

// NewIdempotencyStore returns the store of Idempotency-Key answers for a server
// with these limits: a claim older than twice the time limit belongs to a
// request that died.
func NewIdempotencyStore(db *store.DB, limits Limits) *idempotency.Store {
	return idempotency.New(db.Client, 2*limits.withDefaults().Timeout)
}

// maxCachedQueryBytes bounds what one cache entry may hold.
const maxCachedQueryBytes = 16 << 10

// smallEntries caches only entries whose query text is at most maxCachedQueryBytes.
type smallCache[T any] struct{ graphql.Cache[T] }

func smallEntries[T any](c graphql.Cache[T]) graphql.Cache[T] { return smallCache[T]{c} }

func (c smallCache[T]) Add(ctx context.Context, key string, value T) {
	if len(key) > maxCachedQueryBytes {
		return
	}
	if s, ok := any(value).(string); ok && len(s) > maxCachedQueryBytes {
		return
	}
	c.Cache.Add(ctx, key, value)
}
