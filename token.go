package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/viewer"
)

// tokenCommand manages API tokens: create prints the new token alone on stdout
// (so it can be captured by a script) and its description on stderr.
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("token: want create, list or revoke")
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", "idgraph.db", "database: a SQLite file path or file: URI, or a postgres:// URL")
	switch args[0] {
	case "create":
		tenant := fs.String("tenant", "", "slug of the tenant the token reads (required)")
		permissions := fs.String("permissions", "", "comma-separated permissions (required): "+strings.Join(viewer.Known, ", "))
		name := fs.String("name", "", "what the token is for")
		expires := fs.String("expires", "90d", "lifetime: e.g. 90d, 12h, or never")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *tenant == "" {
			return errors.New("token create: --tenant is required")
		}
		perms, err := viewer.ParsePermissions(*permissions)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		expiresAt, err := auth.ParseLifetime(*expires, time.Now())
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		return withDB(ctx, *dsn, func(db *store.DB) error {
			token, row, err := auth.Issue(ctx, db.Client, auth.IssueOptions{Tenant: *tenant, Permissions: perms, Name: *name, ExpiresAt: expiresAt})
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, token)
			fmt.Fprintf(stderr, "created %s for tenant %s with %s, expires %s; the token is shown only once\n",
				row.ID, *tenant, strings.Join(perms, ","), when(row.ExpiresAt, "never"))
			return nil
		})
	case "list":
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		return withDB(ctx, *dsn, func(db *store.DB) error {
			tokens, err := auth.List(ctx, db.Client)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTENANT\tNAME\tPERMISSIONS\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
			for _, t := range tokens {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Edges.Tenant.Slug, t.Name,
					strings.Join(t.Permissions, ","), t.CreatedAt.UTC().Format(time.RFC3339),
					when(t.ExpiresAt, "never"), when(t.LastUsedAt, "never"), when(t.RevokedAt, "-"))
			}
			return w.Flush()
		})
	case "revoke":
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("token revoke: give exactly one token id (tok_...)")
		}
		return withDB(ctx, *dsn, func(db *store.DB) error {
			if err := auth.Revoke(ctx, db.Client, fs.Arg(0), time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "revoked %s; running servers refuse it within %s\n", fs.Arg(0), auth.DefaultCacheTTL)
			return nil
		})
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("token: unknown subcommand %q", args[0])
}

func withDB(ctx context.Context, dsn string, f func(*store.DB) error) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return f(db)
}

func when(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
