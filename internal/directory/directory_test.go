package directory

import (
	"context"
	"fmt"
	"testing"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// TestPanicRollsBackAtOnce: a panic inside a write transaction rolls it back
// before it reaches the caller, so its rows are gone and the write lock free
// while the request is still unwinding.
func TestPanicRollsBackAtOnce(t *testing.T) {
	ctx := viewer.System(context.Background())
	db, err := store.Open(ctx, storetest.DSN(t, "panic.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db.Client)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic was swallowed")
			}
			// Still inside the panicking request: the transaction must be over,
			// its connection back in the pool, its row gone.
			if inUse := db.SQL().Stats().InUse; inUse != 0 {
				t.Fatalf("%d connections still held by the panicked transaction", inUse)
			}
			if n, err := db.Client.Tenant.Query().Count(ctx); err != nil || n != 0 {
				t.Fatalf("tenants after the panic: %d, %v", n, err)
			}
		}()
		_ = s.inTx(ctx, func(tx *ent.Tx) error {
			if _, err := tx.Tenant.Create().SetSlug("p").SetName("P").Save(ctx); err != nil {
				t.Fatal(err)
			}
			panic("boom")
		})
	}()
}

// TestWriteLogsWhatChanged: the write path logs each field an update changes,
// with the value it had, and only those: a field set to its value, or an
// unset field cleared, is no change, and a change of nothing writes nothing.
func TestWriteLogsWhatChanged(t *testing.T) {
	sys := viewer.System(context.Background())
	db, err := store.Open(sys, storetest.DSN(t, "diff.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn, err := db.Client.Tenant.Create().SetSlug("d").SetName("D").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	ctx := viewer.NewContext(context.Background(), &viewer.Viewer{TenantID: tn.ID, Permissions: []string{viewer.All}})
	s := New(db.Client)
	manager, err := s.CreateUser(ctx, UserFields{Email: ptr("m@example.com")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, UserFields{Email: ptr("u@example.com"), Title: ptr("Engineer")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lastLog := func() map[string]any {
		ev, err := db.Client.AuditEvent.Query().Order(ent.Desc("occurred_at"), ent.Desc("id")).First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Changes
	}
	for _, c := range []struct {
		name   string
		change func() (*ent.User, error)
		logged string // the changes map, or "" when nothing is written
	}{
		{"a changed field, with the value it had", func() (*ent.User, error) {
			return s.UpdateUser(ctx, u.ID, nil, UserFields{Title: ptr("Staff Engineer"), Email: ptr("u@example.com")})
		}, "map[title:map[after:Staff Engineer before:Engineer]]"},
		{"a field set to its value", func() (*ent.User, error) {
			return s.UpdateUser(ctx, u.ID, nil, UserFields{Title: ptr("Staff Engineer")})
		}, ""},
		{"an unset field cleared", func() (*ent.User, error) { return s.SetManager(ctx, u.ID, nil, nil) }, ""},
		{"a foreign key set", func() (*ent.User, error) { return s.SetManager(ctx, u.ID, &manager.ID, nil) },
			"map[manager_id:map[after:" + manager.ID + " before:<nil>]]"},
		{"a set field cleared", func() (*ent.User, error) { return s.SetManager(ctx, u.ID, nil, nil) },
			"map[manager_id:map[after:<nil> before:" + manager.ID + "]]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := db.Client.User.Get(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			events := db.Client.AuditEvent.Query().CountX(ctx)
			after, err := c.change()
			if err != nil {
				t.Fatal(err)
			}
			wrote := db.Client.AuditEvent.Query().CountX(ctx) > events
			switch {
			case c.logged == "" && (wrote || after.Version != before.Version):
				t.Errorf("a change of nothing was written: version %d -> %d, changes %v", before.Version, after.Version, lastLog())
			case c.logged != "" && !wrote:
				t.Errorf("nothing logged, want %s", c.logged)
			case c.logged != "" && fmt.Sprint(lastLog()) != c.logged:
				t.Errorf("logged %v, want %s", lastLog(), c.logged)
			case c.logged != "" && after.Version != before.Version+1:
				t.Errorf("version %d -> %d", before.Version, after.Version)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
