package seed_test

import (
	"context"
	"errors"
	"testing"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/lifecycle"
	"github.com/idgraph/idgraph/internal/seed"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

func open(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.DSN(t, "seed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOrganisationShape(t *testing.T) {
	ctx := viewer.System(context.Background()) // the test inspects every tenant
	db := open(t)
	r, err := seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: 10000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	c := db.Client
	users, err := c.User.Query().Where(user.ParentUserIDIsNil()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 10000 {
		t.Fatalf("%d primary users, want 10000", len(users))
	}
	reports := map[string]int{}
	chiefs := 0
	states := map[user.State]bool{}
	for _, u := range users {
		states[u.State] = true
		if u.ManagerID == nil {
			chiefs++
		} else {
			reports[*u.ManagerID]++
		}
	}
	if chiefs != 1 {
		t.Errorf("%d users without a manager, want one chief executive", chiefs)
	}
	for m, n := range reports {
		if n < 3 || n > 12 {
			t.Errorf("manager %s has %d reports, want 3 to 12", m, n)
		}
	}
	if len(states) != len(lifecycle.States(lifecycle.User)) {
		t.Errorf("states represented: %v", states)
	}
	if r.Depth < 6 {
		t.Errorf("org is %d levels deep", r.Depth)
	}
	primaries, _ := c.Integration.Query().Where(integration.IsPrimary(true)).Count(ctx)
	if primaries != 1 {
		t.Errorf("%d primary integrations", primaries)
	}
	orphans, _ := c.Identity.Query().Where(identity.StateEQ(identity.StateOrphan), identity.UserIDIsNil()).Count(ctx)
	if share := float64(orphans) / float64(r.Identities); share < 0.005 || share > 0.04 {
		t.Errorf("orphan identities are %.1f%% of %d", share*100, r.Identities)
	}
	secondaries, _ := c.User.Query().Where(user.ParentUserIDNotNil()).Count(ctx)
	if secondaries == 0 || r.Memberships == 0 || r.Assignments == 0 || r.Conditions == 0 || r.AuditEvents == 0 {
		t.Errorf("missing parts of the graph: %+v (secondary users %d)", r, secondaries)
	}
	perUser, _ := c.User.Query().Where(user.ParentUserIDIsNil(), user.Not(user.HasIdentities())).Count(ctx)
	if perUser != 0 {
		t.Errorf("%d users without identities", perUser)
	}
}

func TestSameSeedSameGraph(t *testing.T) {
	ctx := viewer.System(context.Background()) // the test inspects every tenant
	ids := func(seedValue uint64) []string {
		db := open(t)
		if _, err := seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: 300, Seed: seedValue}); err != nil {
			t.Fatal(err)
		}
		out, err := db.Client.User.Query().Order(ent.Asc(user.FieldID)).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, other := ids(3), ids(3), ids(4)
	if len(a) != len(b) {
		t.Fatalf("different sizes %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 3 twice differs at %d: %s vs %s", i, a[i], b[i])
		}
	}
	if a[0] == other[0] {
		t.Errorf("seeds 3 and 4 gave the same first id")
	}
}

func TestReseedingFailsAndChangesNothing(t *testing.T) {
	ctx := viewer.System(context.Background()) // the test inspects every tenant
	db := open(t)
	if _, err := seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: 50, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Client.User.Query().Count(ctx)
	_, err := seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: 50, Seed: 1})
	if !errors.Is(err, seed.ErrAlreadySeeded) {
		t.Fatalf("err = %v, want ErrAlreadySeeded", err)
	}
	after, _ := db.Client.User.Query().Count(ctx)
	if before != after {
		t.Fatalf("users %d before, %d after the refused seed", before, after)
	}
	// A second tenant sits beside the first.
	if _, err := seed.Run(ctx, db, seed.Options{Tenant: "acme", Users: 50, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	tenants, _ := db.Client.Tenant.Query().Count(ctx)
	if tenants != 2 {
		t.Fatalf("%d tenants", tenants)
	}
}
