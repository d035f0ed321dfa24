package tally_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/internal/seed"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/tally"
	"github.com/idgraph/idgraph/internal/viewer"
)

// TestTalliesEqualCounts loads an organisation in bulk, then writes to it as
// any writer would (ent, not the API's write path): moves, soft and hard
// deletes, links and unlinks, and eight writers at once; after each step
// every kept count must equal COUNT(*) of the live rows.
func TestTalliesEqualCounts(t *testing.T) {
	ctx := viewer.System(context.Background())
	db, err := store.Open(ctx, storetest.DSN(t, "tally.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := seed.Run(ctx, db, seed.Options{Tenant: "demo", Users: 300, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	agree(t, ctx, db, "after the bulk load")

	c := db.Client
	users, err := c.User.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	identities, err := c.Identity.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	pick := func(ids []string) string { return ids[rng.IntN(len(ids))] }
	now := time.Now()
	steps := []struct {
		name string
		do   func() error
	}{
		{"an identity moves to another user", func() error {
			return c.Identity.UpdateOneID(pick(identities)).SetUserID(pick(users)).Exec(ctx)
		}},
		{"an identity loses its user", func() error { return c.Identity.UpdateOneID(pick(identities)).ClearUserID().Exec(ctx) }},
		{"an identity is soft-deleted", func() error {
			return c.Identity.UpdateOneID(pick(identities)).SetDeletedAt(now).Exec(ctx)
		}},
		{"identities are soft-deleted and restored in one statement", func() error {
			if err := c.Identity.Update().Where(identity.UserID(pick(users))).SetDeletedAt(now).Exec(ctx); err != nil {
				return err
			}
			return c.Identity.Update().Where(identity.DeletedAtNotNil()).ClearDeletedAt().Exec(ctx)
		}},
		{"an identity is deleted for good", func() error {
			id := pick(identities)
			all := viewer.IncludeDeleted(ctx)
			if _, err := c.Membership.Delete().Where(membership.IdentityID(id)).Exec(all); err != nil {
				return err
			}
			_, err := c.Identity.Delete().Where(identity.ID(id)).Exec(all)
			return err
		}},
		{"a user changes manager", func() error {
			err := c.User.UpdateOneID(pick(users)).SetManagerID(pick(users)).Exec(ctx)
			if err != nil && isLoop(err) {
				return nil
			}
			return err
		}},
		{"a user is soft-deleted", func() error { return c.User.UpdateOneID(pick(users)).SetDeletedAt(now).Exec(ctx) }},
		{"a user with a manager is created", func() error {
			return c.User.Create().SetTenantID(tenantOf(t, ctx, c)).SetEmail(fmt.Sprintf("new%d@demo.test", rng.IntN(1e9))).
				SetManagerID(pick(users)).Exec(ctx)
		}},
	}
	for round := range 3 {
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			agree(t, ctx, db, fmt.Sprintf("round %d, %s", round, s.name))
		}
	}

	// Eight writers at once, each moving identities between users.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for range 25 {
				err := c.Identity.UpdateOneID(identities[r.IntN(len(identities))]).SetUserID(users[r.IntN(len(users))]).Exec(ctx)
				if err != nil && !ent.IsNotFound(err) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	agree(t, ctx, db, "after eight concurrent writers")
}

func isLoop(err error) bool { return err != nil && strings.Contains(err.Error(), "reporting line") }

func tenantOf(t *testing.T, ctx context.Context, c *ent.Client) string {
	t.Helper()
	u, err := c.User.Query().First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return u.TenantID
}

// agree fails unless every user's kept counts equal COUNT(*) of live rows.
func agree(t *testing.T, ctx context.Context, db *store.DB, when string) {
	t.Helper()
	for _, tl := range tally.Tallies {
		var wrong int
		q := fmt.Sprintf(`SELECT COUNT(*) FROM %[1]s WHERE %[2]s <> (SELECT COUNT(*) FROM %[3]s AS c
			WHERE c.%[4]s = %[1]s.id AND c.deleted_at IS NULL)`, tl.Target, tl.Column, tl.Counted, tl.Key)
		if err := db.SQL().QueryRowContext(ctx, q).Scan(&wrong); err != nil {
			t.Fatal(err)
		}
		if wrong > 0 {
			t.Fatalf("%s: %d users have a wrong %s", when, wrong, tl.Column)
		}
	}
	var managers int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE direct_reports_count > 0`).Scan(&managers); err != nil || managers == 0 {
		t.Fatalf("%s: %d users counted as managers (%v): the check sees nothing", when, managers, err)
	}
}

func TestIndexedFindsTheCountColumns(t *testing.T) {
	for _, c := range []struct {
		table, create string
		want          bool
	}{
		{"users", "CREATE INDEX `user_tenant_id_identities_count_deleted_at` ON `users` (`tenant_id`, `identities_count`, `deleted_at`)", true},
		{"users", "CREATE INDEX user_by_team ON public.users USING btree (tenant_id, direct_reports_count DESC)", true},
		{"users", "CREATE INDEX `users_live` ON `users` (`tenant_id`, `id`, `deleted_at`) WHERE deleted_at IS NULL", false},
		{"users", "CREATE INDEX `users_big_teams` ON `users` (`tenant_id`) WHERE direct_reports_count > 10", true},
		{"users", "CREATE INDEX `users_x` ON `users` (`identities_count_note`)", false},
		{"identities", "CREATE INDEX `identities_x` ON `identities` (`identities_count`)", false},
	} {
		if got := tally.Indexed(c.table, c.create); got != c.want {
			t.Errorf("Indexed(%s, %q) = %v, want %v", c.table, c.create, got, c.want)
		}
	}
}
