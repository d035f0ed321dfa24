package idempotency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

func TestClaimsReplaysStaleClaimsAndExpiry(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, "idem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := db.Client.Tenant.Create().SetSlug("demo").SetName("Demo").SaveX(viewer.System(ctx))
	ctx = viewer.NewContext(ctx, &viewer.Viewer{TenantID: tn.ID, TokenID: "tok_a"})
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := New(db.Client, 30*time.Second)
	s.now = func() time.Time { return clock }

	_, claim, err := s.Begin(ctx, "tok_a", "k", "h1")
	if err != nil || claim == nil {
		t.Fatalf("first claim: %v", err)
	}
	var conflict *apierror.Error
	if _, _, err := s.Begin(ctx, "tok_a", "k", "h1"); !errors.As(err, &conflict) || conflict.Code != apierror.CodeConflict {
		t.Fatalf("a running key: %v", err)
	}
	// The first request died: after StaleAfter its claim is taken over.
	clock = clock.Add(time.Minute)
	_, claim, err = s.Begin(ctx, "tok_a", "k", "h1")
	if err != nil || claim == nil {
		t.Fatalf("taking over a stale claim: %v", err)
	}
	if err := s.Finish(ctx, claim, []byte(`{"data":{}}`)); err != nil {
		t.Fatal(err)
	}
	if replay, _, err := s.Begin(ctx, "tok_a", "k", "h1"); err != nil || string(replay) != `{"data":{}}` {
		t.Fatalf("replay: %q %v", replay, err)
	}
	clock = clock.Add(Retention + time.Minute)
	if n, err := s.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
}
