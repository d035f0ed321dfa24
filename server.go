// Command idgraph serves an organisation's identity graph over GraphQL.
//
//	idgraph serve [--db DSN] [--addr HOST:PORT]
//	idgraph seed  [--db DSN] [--users N] [--seed S] [--tenant SLUG]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/internal/seed"
	"github.com/idgraph/idgraph/internal/store"
)

const usage = `usage:
  idgraph serve [--db DSN] [--addr HOST:PORT]
  idgraph seed  [--db DSN] [--users N] [--seed S] [--tenant SLUG]
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
	dsn := fs.String("db", "idgraph.db", "database: a SQLite file path or file: URI")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	if os.Getenv("GOGC") == "" {
		// The live heap is small (tens of MiB) and every request allocates a few
		// MiB: a 4x heap target spends a quarter of the default GC work for a
		// little memory (25% more requests per second in BENCHMARKS.md).
		debug.SetGCPercent(400)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()

	srv := &http.Server{
		Addr:              *addr,
		Handler:           graph.NewHandler(db, graph.Options{Logger: logger}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("serving", slog.String("addr", "http://"+*addr+"/graphql"), slog.String("db", *dsn))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Finish the requests in flight, refuse new ones.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	logger.Info("shutting down")
	return srv.Shutdown(shutdownCtx)
}

func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", "idgraph.db", "database: a SQLite file path or file: URI")
	users := fs.Int("users", 1000, "number of directory users")
	seedValue := fs.Uint64("seed", 1, "random seed: the same seed gives the same graph")
	tenant := fs.String("tenant", "demo", "tenant slug to create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := store.OpenWith(ctx, *dsn, store.Options{CacheMiB: 1024})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	r, err := seed.Run(ctx, db.Client, seed.Options{Tenant: *tenant, Users: *users, Seed: *seedValue})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded tenant %s (%s) in %s: %d users (%d levels), %d identities, %d resources, %d memberships, "+
		"%d rulesets, %d rules, %d conditions, %d assignments, %d audit events\n",
		*tenant, r.TenantID, time.Since(start).Round(time.Millisecond), r.Users, r.Depth, r.Identities, r.Resources,
		r.Memberships, r.Rulesets, r.Rules, r.Conditions, r.Assignments, r.AuditEvents)
	return nil
}
