// Package seed fills a database with a deterministic synthetic organisation:
// the same options always give the same graph, ids included.
package seed

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Options describe the organisation to generate.
type Options struct {
	Tenant string // slug, e.g. demo
	Users  int
	Seed   uint64
}

// Report says what was generated.
type Report struct {
	TenantID                                                   string
	Users, Identities, Resources, Memberships, Rulesets, Rules int
	Conditions, Assignments, AuditEvents, Depth                int
	Attributes                                                 int
}

// ErrAlreadySeeded is returned when the tenant already exists; nothing is written.
var ErrAlreadySeeded = fmt.Errorf("tenant is already seeded")

// base is the fixed clock of generated data, so output does not depend on when seed runs.
var base = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)

// Run generates the organisation in one transaction (a bulk load: COPY on
// PostgreSQL, prepared multi-row INSERTs on SQLite): it is all written or none
// of it is.
func Run(ctx context.Context, db *store.DB, opts Options) (Report, error) {
	if opts.Users < 1 {
		return Report{}, fmt.Errorf("users must be at least 1, got %d", opts.Users)
	}
	if opts.Tenant == "" {
		opts.Tenant = "demo"
	}
	// The seed creates a tenant, so it acts above tenants.
	ctx = viewer.System(ctx)
	exists, err := db.Client.Tenant.Query().Where(tenant.Slug(opts.Tenant)).Exist(ctx)
	if err != nil {
		return Report{}, err
	}
	if exists {
		return Report{}, fmt.Errorf("%w: %q (use another --tenant, or a fresh --db)", ErrAlreadySeeded, opts.Tenant)
	}
	g := newGenerator(opts)
	var report Report
	err = db.Bulk(ctx, func(ins store.Inserter) error {
		report, err = g.write(ctx, &writer{c: db.Client, ins: ins})
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return report, nil
}

type generator struct {
	opts Options
	rng  *rand.Rand
	// ids draws ULID entropy monotonically: ids minted in the same millisecond
	// increase, so bulk inserts append to each primary-key index instead of
	// splitting pages all over it.
	ids *ulid.MonotonicEntropy
}

func newGenerator(opts Options) *generator {
	// Each tenant gets its own stream so a second tenant does not repeat the first's ids.
	var salt uint64
	for _, c := range opts.Tenant {
		salt = salt*31 + uint64(c)
	}
	g := &generator{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, salt))}
	g.ids = ulid.Monotonic(entropy{g.rng}, 0)
	return g
}

// Read and MonotonicRead make the generator the entropy source of ULIDs.
// ulid.New takes the monotonic path only from a source that has
// MonotonicRead; through Read alone, every id of one millisecond (all the
// identities and memberships, minted at the seed's clock) was random.
func (g *generator) Read(p []byte) (int, error) { return g.ids.Read(p) }

// MonotonicRead implements ulid.MonotonicReader.
func (g *generator) MonotonicRead(ms uint64, p []byte) error { return g.ids.MonotonicRead(ms, p) }

// entropy reads random bytes from a seeded generator.
type entropy struct{ rng *rand.Rand }

func (e entropy) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], e.rng.Uint64())
		copy(p[i:], b[:])
	}
	return len(p), nil
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// at returns a timestamp some days after the base clock.
func (g *generator) at(maxDays int) time.Time {
	return base.Add(time.Duration(g.rng.IntN(maxDays*24*60)) * time.Minute)
}
