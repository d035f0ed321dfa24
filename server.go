// Command idgraph serves an organisation's identity graph over GraphQL.
//
//	idgraph serve [--db DSN] [--addr HOST:PORT] [limits...]
//	idgraph seed  [--db DSN] [--users N] [--seed S] [--tenant SLUG]
//	idgraph token create|list|revoke ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"entgo.io/ent/dialect"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/idempotency"
	"github.com/idgraph/idgraph/internal/seed"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/viewer"
)

const usage = `usage:
  idgraph serve [--db DSN] [--addr HOST:PORT] [--demo] [limits: idgraph serve -h]
  idgraph seed  [--db DSN] [--users N] [--seed S] [--tenant SLUG]
  idgraph import [--db DSN] --tenant SLUG [--all-or-nothing] FILE...
  idgraph token create [--db DSN] --tenant SLUG --permissions P,... [--name NAME] [--expires 90d|12h|never]
  idgraph token list   [--db DSN]
  idgraph token revoke [--db DSN] ID
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "idgraph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "seed":
		return seedCommand(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCommand(ctx, args[1:], stdout, stderr)
	case "import":
		return importCommand(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", "idgraph.db", "database: a SQLite file path or file: URI, or a postgres:// URL")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	demo := fs.Bool("demo", false, "seed the demo organisation into an empty database and fill a read-only token into the playground")
	pprofAddr := fs.String("pprof-addr", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (off by default)")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics on this address instead of --addr, with request durations by operation name (off by default: /metrics on --addr, without operation names)")
	limits := limitFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	if os.Getenv("GOGC") == "" {
		// The live heap is small (tens of MiB) and every request allocates a few
		// MiB: a 4x heap target spends a quarter of the default GC work for a
		// little memory (25% more requests per second in BENCHMARKS.md).
		debug.SetGCPercent(400)
	}
	if *pprofAddr != "" {
		go servePprof(*pprofAddr, logger)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if os.Getenv("GOMEMLIMIT") == "" {
		// The 4x heap target above, but never past this soft limit: under load the
		// collector runs more often instead of letting the heap grow with it.
		debug.SetMemoryLimit(memoryLimit(db.Engine))
	}

	var demoToken string
	if *demo {
		if demoToken, err = prepareDemo(ctx, db); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "idgraph demo: open http://%s/ — the playground has a read-only token (24 h) filled in:\n  %s\n", *addr, demoToken)
	}

	authenticator := auth.NewAuthenticator(db.Client, auth.Options{})
	lim := limits()
	keys := graph.NewIdempotencyStore(db, lim)
	// Background work runs until shutdown, after the last request, and is waited
	// for before the database closes.
	backgroundCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	background.Go(func() {
		authenticator.Run(backgroundCtx, time.Minute, func(err error) {
			logger.Error("recording token use", slog.String("error", err.Error()))
		})
	})
	background.Go(func() { housekeeping(backgroundCtx, logger, db, keys) })
	// Expirations take effect within a second of being due; every replica runs
	// them, and each record is expired once whichever gets there first.
	background.Go(func() {
		directory.New(db.Client).RunExpirations(store.Background(backgroundCtx), time.Second, func(n directory.Expired, err error) {
			if err != nil {
				logger.Error("expiring records", slog.String("error", err.Error()))
				return
			}
			logger.Info("expired records", slog.Int("users", n.Users), slog.Int("identities", n.Identities), slog.Int("assignments", n.Assignments))
		})
	})
	finishBackground := func() {
		stopBackground()
		background.Wait()
	}
	var metricsMux *http.ServeMux
	if *metricsAddr != "" {
		metricsMux = http.NewServeMux()
		go serveOn(*metricsAddr, metricsMux, "metrics", logger)
	}
	handler := graph.NewHandler(db, graph.Options{Logger: logger, Auth: authenticator, Idempotency: keys, Limits: lim,
		DemoToken: demoToken, MetricsMux: metricsMux})
	srv := httpServer(*addr, handler, lim)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("serving", slog.String("addr", "http://"+*addr+"/graphql"), slog.String("db", *dsn))
	select {
	case err := <-errc:
		finishBackground()
		return err
	case <-ctx.Done():
	}
	// Finish the requests in flight, refuse new ones, then record token use.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	logger.Info("shutting down")
	err = srv.Shutdown(shutdownCtx)
	finishBackground()
	return err
}

// memoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets one. It keeps
// a server near 130 MB under load. SQLite's page caches live beside the Go
// heap, so on SQLite the heap gets less; on PostgreSQL it gets more, and the
// collector runs less often (Q1 of the side-by-side: 165 requests/s at 64 MiB,
// 237 at 96 MiB).
func memoryLimit(engine string) int64 {
	if engine == dialect.Postgres {
		return 96 << 20
	}
	return 64 << 20
}

// servePprof serves the profiler on its own address, never on the API's.
func servePprof(addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	serveOn(addr, mux, "profiler", logger)
}

// serveOn serves an operator's endpoint (profiler, metrics) on its own address.
func serveOn(addr string, mux *http.ServeMux, what string, logger *slog.Logger) {
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	logger.Info(what, slog.String("addr", "http://"+addr+"/"))
	if err := srv.ListenAndServe(); err != nil {
		logger.Error(what, slog.String("error", err.Error()))
	}
}

// housekeeping deletes expired idempotency keys and persisted queries, hourly.
func housekeeping(ctx context.Context, logger *slog.Logger, db *store.DB, keys *idempotency.Store) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := keys.Expire(ctx); err != nil && ctx.Err() == nil {
			logger.Error("expiring idempotency keys", slog.String("error", err.Error()))
		} else if n > 0 {
			logger.Info("expired idempotency keys", slog.Int("count", n))
		}
		if n, err := graph.ExpirePersistedQueries(ctx, db.Client); err != nil && ctx.Err() == nil {
			logger.Error("expiring persisted queries", slog.String("error", err.Error()))
		} else if n > 0 {
			logger.Info("expired persisted queries", slog.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// demoPermissions read everything and change nothing.
var demoPermissions = []string{viewer.DirectoryUserView, viewer.DirectoryIdentityView, viewer.PolicyView, viewer.AuditView}

// prepareDemo seeds the demo organisation into an empty database and issues a
// read-only token for the playground. A database that holds other tenants but
// no demo is left alone: --demo is for trying idgraph, not for real data.
func prepareDemo(ctx context.Context, db *store.DB) (string, error) {
	system := viewer.System(ctx)
	tenants, err := db.Client.Tenant.Query().Count(system)
	if err != nil {
		return "", err
	}
	if tenants == 0 {
		if _, err := seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: 1000, Seed: 1}); err != nil {
			return "", err
		}
		if err := db.Analyze(ctx); err != nil {
			return "", err
		}
	}
	expires := time.Now().Add(24 * time.Hour)
	token, _, err := auth.Issue(ctx, db.Client, auth.IssueOptions{Tenant: "demo", Permissions: demoPermissions, Name: "serve --demo", ExpiresAt: &expires})
	if err != nil {
		return "", fmt.Errorf("--demo needs an empty database or one with the demo tenant: %w", err)
	}
	return token, nil
}

// httpServer bounds how long a client may take over each part of a request, so
// slow clients (slowloris) cannot hold connections open.
func httpServer(addr string, h http.Handler, lim graph.Limits) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A request may run for its time limit and still get its answer written.
		WriteTimeout:   lim.Timeout + 10*time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 1 << 20,
	}
}

// limitFlags declares the request limits as flags of fs, defaulting to graph.DefaultLimits.
func limitFlags(fs *flag.FlagSet) func() graph.Limits {
	d := graph.DefaultLimits
	maxDepth := fs.Int("max-depth", d.MaxDepth, "deepest field nesting a query may have")
	maxCost := fs.Int("max-cost", d.MaxCost, "most objects a query may ask for (a connection multiplies its children by its page size)")
	maxFields := fs.Int("max-fields", d.MaxFields, "most fields (aliases included) a query may select")
	maxStatements := fs.Int("max-statements", d.MaxStatements, "most SQL statements a query may need (one per object or connection field, aliases included); a request may send twice this")
	maxInputDepth := fs.Int("max-input-depth", d.MaxInputDepth, "deepest nesting of an argument value (input objects and lists), variables included")
	maxInputObjects := fs.Int("max-input-objects", d.MaxInputObjects, "most input objects (filters, records) in all of a query's arguments")
	maxInputList := fs.Int("max-input-list", d.MaxInputList, "most entries in one list or input object of an argument")
	maxInputString := fs.Int("max-input-string", d.MaxInputString, "longest string in an argument, in bytes")
	maxResponseFields := fs.Int("max-response-fields", d.MaxResponseFields, "most field values a request's responses may hold (each costs about 1 KB of memory)")
	maxBody := fs.Int64("max-body", d.MaxBodyBytes, "largest request body, in bytes")
	timeout := fs.Duration("timeout", d.Timeout, "longest a request may run; its SQL is cancelled after it")
	maxBatch := fs.Int("max-batch", 0, "operations allowed in one batched request (0: batching off)")
	maxConcurrent := fs.Int("max-concurrent", 0, "requests executed at once; others wait for a slot within their timeout (0: 4 per CPU)")
	maxExportRows := fs.Int("max-export-rows", d.MaxExportRows, "most rows one POST /export may stream")
	introspection := fs.Bool("introspection", true, "serve __schema and __type (and field suggestions in errors)")
	origins := fs.String("cors-origins", "", "comma-separated browser origins allowed to call /graphql (none by default)")
	return func() graph.Limits {
		l := d
		l.MaxDepth, l.MaxCost, l.MaxFields, l.MaxStatements = *maxDepth, *maxCost, *maxFields, *maxStatements
		l.MaxInputDepth, l.MaxInputObjects, l.MaxInputList, l.MaxInputString = *maxInputDepth, *maxInputObjects, *maxInputList, *maxInputString
		l.MaxBodyBytes, l.Timeout, l.MaxBatch, l.MaxConcurrent = *maxBody, *timeout, *maxBatch, *maxConcurrent
		l.MaxResponseFields, l.MaxExportRows = *maxResponseFields, *maxExportRows
		l.DisableIntrospection = !*introspection
		for _, o := range strings.Split(*origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				l.CORSOrigins = append(l.CORSOrigins, o)
			}
		}
		return l
	}
}

func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", "idgraph.db", "database: a SQLite file path or file: URI, or a postgres:// URL")
	users := fs.Int("users", 1000, "number of directory users")
	seedValue := fs.Uint64("seed", 1, "random seed: the same seed gives the same graph")
	tenant := fs.String("tenant", "demo", "tenant slug to create")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The load builds indexes after the rows are in (with a small cache of
	// their own, see store's bulk load), so a large page cache buys little: at
	// 100,000 users 1 GiB took 29 s to seed, 64 MiB 24 s. 64 MiB serves the
	// inserts, the counts and the foreign key check.
	db, err := store.OpenWith(ctx, *dsn, store.Options{CacheMiB: 64})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	r, err := seed.Run(ctx, db, seed.Options{Tenant: *tenant, Users: *users, Seed: *seedValue})
	if err != nil {
		return err
	}
	if err := db.Analyze(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded tenant %s (%s) in %s: %d users (%d levels), %d directory attributes, %d identities, %d resources, "+
		"%d memberships, %d rulesets, %d rules, %d conditions, %d assignments, %d audit events\n",
		*tenant, r.TenantID, time.Since(start).Round(time.Millisecond), r.Users, r.Depth, r.Attributes, r.Identities, r.Resources,
		r.Memberships, r.Rulesets, r.Rules, r.Conditions, r.Assignments, r.AuditEvents)
	return nil
}

// parseFlags reads each flag from the environment first (IDGRAPH_ and the flag's
// name in capitals, dashes as underscores: --max-depth is IDGRAPH_MAX_DEPTH), then
// from the command line, which wins. Containers and systemd units set the
// environment; people type flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "IDGRAPH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && err == nil {
			if setErr := f.Value.Set(v); setErr != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, setErr)
			}
		}
	})
	if err != nil {
		return err
	}
	return fs.Parse(args)
}
