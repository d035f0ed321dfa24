package graph

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idgraph/idgraph/internal/stmtmemo"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

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
	case "/graphql", "/export", "/healthz", "/metrics", "/":
		return path
	}
	// The REST endpoints carry ids in their paths: one series per API.
	for _, prefix := range []string{"/playground", "/api", "/v1"} {
		if strings.HasPrefix(path, prefix+"/") {
			return prefix
		}
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

func newMetrics(statements *store.Counter, kept *stmtmemo.Memo, byOperation bool) *metrics {
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
			Help: "SQL statements sent to the database for requests and commands.",
		}, func() float64 { return float64(statements.Total()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_db_background_queries_total",
			Help: "SQL statements sent by background work (the expiration job), not counted above.",
		}, func() float64 { return float64(statements.BackgroundTotal()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_db_statement_cache_hits_total",
			Help: "Reads run through an already prepared statement.",
		}, func() float64 { return float64(statements.CacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_db_statement_cache_misses_total",
			Help: "Reads whose statement had to be prepared first (a new query shape).",
		}, func() float64 { return float64(statements.CacheStats().Misses) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_statements_kept_total",
			Help: "Loader statements (edge pages, by-id lookups) sent as kept for their shape, not built anew.",
		}, func() float64 { return float64(kept.Stats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "idgraph_statements_built_total",
			Help: "Loader statements of a keepable shape that were built (the first of their shape, or not keepable).",
		}, func() float64 { return float64(kept.Stats().Misses) }),
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
