package graph

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/playground"
	"github.com/idgraph/idgraph/graph/querylimit"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/idempotency"
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

// Limits protect the server from expensive or hostile requests. Zero fields take
// the value in DefaultLimits.
type Limits struct {
	querylimit.Limits
	MaxBodyBytes int64         // request body
	Timeout      time.Duration // per request; cancels its SQL
	MaxBatch     int           // operations per batched request; 0 refuses batches
	MaxErrors    int           // errors reported per response
	ParserTokens int           // tokens the parser reads before giving up
	APQEntries   int           // automatic persisted queries kept
	// MaxConcurrent is how many requests run at once; the others wait for a
	// slot (within their time limit). Requests are CPU-bound: past a few per
	// core, more at once only adds their memory together. 0: 4 per CPU.
	MaxConcurrent int
	// MaxResponseFields is how many field values a request's responses may hold
	// in all; the fields past it fail with QUERY_TOO_COMPLEX. What a request
	// allocates grows with them (about 1 KB each), whatever the data.
	MaxResponseFields int
	// DisableIntrospection turns off __schema and __type, and with them the
	// "did you mean" suggestions that would otherwise leak field names.
	DisableIntrospection bool
	// CORSOrigins are the browser origins allowed to call /graphql; none by default.
	CORSOrigins []string
}

// DefaultLimits are the limits of a server started without flags.
var DefaultLimits = Limits{
	Limits:       querylimit.Defaults,
	MaxBodyBytes: 1 << 20,
	Timeout:      15 * time.Second,
	MaxErrors:    20,
	// About 50 MB of allocation at the most.
	MaxResponseFields: 60_000,
	ParserTokens:      15_000,
	APQEntries:        1000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.MaxDepth, d.MaxDepth)
	fill(&l.MaxFields, d.MaxFields)
	fill(&l.MaxCost, d.MaxCost)
	fill(&l.MaxStatements, d.MaxStatements)
	fill(&l.MaxInputDepth, d.MaxInputDepth)
	fill(&l.MaxInputObjects, d.MaxInputObjects)
	fill(&l.MaxInputList, d.MaxInputList)
	fill(&l.MaxInputString, d.MaxInputString)
	fill(&l.DefaultPage, d.DefaultPage)
	fill(&l.MaxPage, d.MaxPage)
	fill(&l.MaxErrors, d.MaxErrors)
	fill(&l.MaxResponseFields, d.MaxResponseFields)
	fill(&l.ParserTokens, d.ParserTokens)
	fill(&l.APQEntries, d.APQEntries)
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = 4 * runtime.GOMAXPROCS(0)
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// NewHandler returns idgraph's whole HTTP surface: /graphql, the playground at /,
// /healthz and /metrics. Production and tests use it alike.
func NewHandler(db *store.DB, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Loaders == (loader.Config{}) {
		opts.Loaders = loader.DefaultConfig
	}
	if opts.Auth == nil {
		opts.Auth = auth.NewAuthenticator(db.Client, auth.Options{})
	}
	limits := opts.Limits.withDefaults()
	m := newMetrics(db.Statements, opts.MetricsMux != nil)
	a := &api{
		present: presentError(opts.Logger), limits: limits, auth: opts.Auth, logger: opts.Logger,
		idempotency: opts.Idempotency, slots: make(chan struct{}, limits.MaxConcurrent),
	}
	if a.idempotency == nil {
		a.idempotency = NewIdempotencyStore(db, limits)
	}

	gql := handler.New(NewExecutableSchema(Config{
		Schema:     schemaFor(limits.MaxPage),
		Resolvers:  NewResolver(db.Client),
		Directives: DirectiveRoot{HasPermission: hasPermission, IdOf: idOf},
	}))
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
	gql.AroundFields(stopWhenSpent)
	gql.AroundFields(requireViewPermission)
	gql.AroundFields(pageSizes(limits.DefaultPage, limits.MaxPage))
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
	if len(limits.CORSOrigins) > 0 {
		endpoint = cors.New(cors.Options{
			AllowedOrigins: limits.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Authorization", "Content-Type", "X-Tenant-ID"},
			ExposedHeaders: []string{"X-Correlation-ID"},
			MaxAge:         600,
		}).Handler(endpoint)
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", endpoint)
	mux.Handle("GET /{$}", playground.Page(playground.Options{Endpoint: "/graphql", Token: opts.DemoToken}))
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

// requestInfo carries what the HTTP middleware logs and measures but only gqlgen knows.
type requestInfo struct {
	correlationID string
	mu            sync.Mutex
	operation     string
}

var operationName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (i *requestInfo) setOperation(name string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.operation = name
}

func (i *requestInfo) op() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.operation
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// CorrelationID returns the id of the request ctx belongs to.
func CorrelationID(ctx context.Context) string {
	if info := requestInfoFrom(ctx); info != nil {
		return info.correlationID
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// observe gives every request a correlation id (response header, log line, error
// extensions), counts and times it, and writes one JSON log line for it.
func observe(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{correlationID: ulid.Make().String()}
		w.Header().Set("X-Correlation-ID", info.correlationID)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		statementsBefore := m.statements.Total()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		elapsed := time.Since(start)
		name := info.op()
		switch {
		case name == "":
			name = "anonymous"
		case !operationName.MatchString(name):
			name = "invalid"
		}
		op := m.operationLabel(name)
		m.requests.WithLabelValues(r.Method, routeLabel(r.URL.Path), strconv.Itoa(rec.status)).Inc()
		if r.URL.Path == "/graphql" {
			m.duration.WithLabelValues(op).Observe(elapsed.Seconds())
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("correlation_id", info.correlationID),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", name),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			// Approximate under concurrency: other requests' statements land in the same window.
			slog.Int64("sql_statements", m.statements.Total()-statementsBefore),
		)
	})
}

// routeLabel bounds the path label to the routes idgraph serves: a client asking
// for random paths must not create new time series.
func routeLabel(path string) string {
	switch path {
	case "/graphql", "/healthz", "/metrics", "/":
		return path
	}
	if strings.HasPrefix(path, "/playground/") {
		return "/playground"
	}
	return "other"
}

type metrics struct {
	registry   *prometheus.Registry
	statements *store.Counter
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	mu         sync.Mutex
	operations map[string]struct{}
	// byOperation labels durations by operation name (private metrics only).
	byOperation bool
}

// maxOperationLabels bounds the label values a client can create by naming operations.
const maxOperationLabels = 200

func newMetrics(statements *store.Counter, byOperation bool) *metrics {
	m := &metrics{
		byOperation: byOperation,
		registry:    prometheus.NewRegistry(),
		statements:  statements,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idgraph_http_requests_total",
			Help: "HTTP requests served, by method, path and status.",
		}, []string{"method", "path", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idgraph_graphql_request_duration_seconds",
			Help:    "Duration of /graphql requests, by operation name.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"operation"}),
		operations: map[string]struct{}{},
	}
	m.registry.MustRegister(
		m.requests, m.duration,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_db_queries_total",
			Help: "SQL statements sent to the database.",
		}, func() float64 { return float64(statements.Total()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_db_statement_cache_hits_total",
			Help: "Reads run through an already prepared statement.",
		}, func() float64 { return float64(statements.CacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_db_statement_cache_misses_total",
			Help: "Reads whose statement had to be prepared first (a new query shape).",
		}, func() float64 { return float64(statements.CacheStats().Misses) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// operationLabel is the duration label of an operation's (checked) name.
func (m *metrics) operationLabel(name string) string {
	if !m.byOperation {
		return "all"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.operations[name]; !ok {
		if len(m.operations) >= maxOperationLabels {
			return "other"
		}
		m.operations[name] = struct{}{}
	}
	return name
}
