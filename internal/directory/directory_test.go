package directory

import (
	"context"
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
