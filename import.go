package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/importer"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/viewer"
)

// importCommand loads records in the REST APIs' shapes into a tenant,
// upserting by external id: a progress line on a terminal, each refused
// record with its file and line on stderr, a summary on stdout.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", "idgraph.db", "database: a SQLite file path or file: URI, or a postgres:// URL")
	slug := fs.String("tenant", "", "slug of the tenant to load into (required; created when it does not exist)")
	allOrNothing := fs.Bool("all-or-nothing", false, "load nothing when any record is refused")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	switch {
	case *slug == "":
		return errors.New("import: --tenant is required")
	case len(files) == 0:
		return errors.New("import: name the JSON or NDJSON files to load (- reads standard input)")
	}
	start := time.Now()
	reader := importer.NewReader()
	for _, name := range files {
		if err := readImportFile(reader, name); err != nil {
			return err
		}
	}
	db, err := store.OpenWith(ctx, *dsn, store.Options{CacheMiB: 64})
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := importTenant(ctx, db, *slug, stderr)
	if err != nil {
		return err
	}
	opts := directory.ImportOptions{AllOrNothing: *allOrNothing}
	if isTerminal(stderr) {
		last := time.Time{}
		opts.Progress = func(kind string, done, total int) {
			if now := time.Now(); now.Sub(last) > 100*time.Millisecond || done == total {
				last = now
				filled := 0
				if total > 0 {
					filled = 30 * done / total
				}
				fmt.Fprintf(stderr, "\r%-13s [%s%s] %d/%d ", kind, strings.Repeat("#", filled), strings.Repeat(" ", 30-filled), done, total)
			}
		}
	}
	records := reader.Set.Len() + len(reader.Set.Unread)
	report, err := directory.New(db.Client).Import(viewer.NewContext(ctx, v), &reader.Set, opts)
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r"+strings.Repeat(" ", 72)+"\r")
	}
	if err != nil && !errors.Is(err, directory.ErrNothingLoaded) {
		return err
	}
	// In the order of the files and lines they came from.
	slices.SortStableFunc(report.Refusals, func(a, b directory.ImportRefusal) int {
		fa, la := splitOrigin(a.Origin)
		fb, lb := splitOrigin(b.Origin)
		return cmp.Or(cmp.Compare(slices.Index(files, fa), slices.Index(files, fb)), cmp.Compare(la, lb))
	})
	const shown = 1000
	for i, r := range report.Refusals {
		if i == shown {
			fmt.Fprintf(stderr, "... and %d more refused records\n", len(report.Refusals)-shown)
			break
		}
		what := strings.TrimSpace(r.Kind + " " + r.ExternalID)
		if what != "" {
			what += ": "
		}
		fmt.Fprintf(stderr, "%s: %s%s (%s)\n", r.Origin, what, r.Error.Message, r.Error.Code)
	}
	if report.Users.Created+report.Identities.Created > 10_000 {
		if err := db.Analyze(ctx); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcreated\tupdated\tunchanged\trefused\t")
	for _, row := range []struct {
		kind string
		c    directory.ImportCounts
	}{{"integrations", report.Integrations}, {"users", report.Users}, {"identities", report.Identities},
		{"resources", report.Resources}, {"memberships", report.Memberships}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", row.kind, row.c.Created, row.c.Updated, row.c.Unchanged, row.c.Refused)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d records into tenant %s in %s\n", records, *slug, time.Since(start).Round(time.Millisecond))
	switch {
	case errors.Is(err, directory.ErrNothingLoaded):
		return fmt.Errorf("%d records were refused: nothing was loaded (--all-or-nothing)", len(report.Refusals))
	case len(report.Refusals) > 0:
		return fmt.Errorf("%d records were refused; the others loaded", len(report.Refusals))
	}
	return nil
}

// splitOrigin splits "file:line" into the file and the line.
func splitOrigin(origin string) (string, int) {
	i := strings.LastIndexByte(origin, ':')
	if i < 0 {
		return origin, 0
	}
	line, _ := strconv.Atoi(origin[i+1:])
	return origin[:i], line
}

func readImportFile(reader *importer.Reader, name string) error {
	if name == "-" {
		return reader.ReadFile("stdin", os.Stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return reader.ReadFile(name, f)
}

// importTenant returns the viewer an import writes as: the tenant, made
// when it does not exist yet.
func importTenant(ctx context.Context, db *store.DB, slug string, stderr io.Writer) (*viewer.Viewer, error) {
	system := viewer.System(ctx)
	t, err := db.Client.Tenant.Query().Where(tenant.Slug(slug)).Only(system)
	if err != nil {
		if !ent.IsNotFound(err) {
			return nil, err
		}
		if t, err = db.Client.Tenant.Create().SetSlug(slug).SetName(slug).Save(system); err != nil {
			return nil, fmt.Errorf("creating tenant %s: %w", slug, err)
		}
		fmt.Fprintf(stderr, "created tenant %s (%s)\n", slug, t.ID)
	}
	return &viewer.Viewer{TokenID: "cli", TokenName: "idgraph import", TenantID: t.ID, TenantSlug: t.Slug, TenantName: t.Name,
		TenantCreatedAt: t.CreatedAt, Permissions: []string{viewer.All}}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
