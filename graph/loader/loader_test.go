package loader

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/graph-gophers/dataloader/v7"
)

// TestSiblingsShareOneFetch starts every sibling's load at once, as gqlgen does for
// a list: the batch function must run once, with every key, and each caller must
// get its own answer.
func TestSiblingsShareOneFetch(t *testing.T) {
	var calls atomic.Int32
	var gotKeys []string
	b := newBatch(DefaultConfig, func(_ context.Context, keys []string) []*dataloader.Result[string] {
		calls.Add(1)
		gotKeys = keys
		out := make([]*dataloader.Result[string], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[string]{Data: "v" + k}
		}
		return out
	})
	siblings := []string{"a", "b", "c", "b", "d"}
	var wg sync.WaitGroup
	results := make([]string, len(siblings))
	for i, k := range siblings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := b.load(context.Background(), SiblingKeys(k, siblings))
			if err != nil {
				t.Error(err)
			}
			results[i] = v
		}()
	}
	wg.Wait()
	if calls.Load() != 1 || len(gotKeys) != 4 {
		t.Fatalf("batch ran %d times with keys %v, want once with 4 distinct keys", calls.Load(), gotKeys)
	}
	for i, k := range siblings {
		if results[i] != "v"+k {
			t.Errorf("key %s got %q", k, results[i])
		}
	}
}

func TestBatchErrorReachesEveryKey(t *testing.T) {
	boom := errors.New("boom")
	b := newBatch(DefaultConfig, func(_ context.Context, keys []string) []*dataloader.Result[int] {
		out := make([]*dataloader.Result[int], len(keys))
		for i := range keys {
			out[i] = &dataloader.Result[int]{Error: boom}
		}
		return out
	})
	for _, k := range []string{"x", "y"} {
		if _, err := b.load(context.Background(), SiblingKeys(k, []string{"x", "y"})); !errors.Is(err, boom) {
			t.Errorf("key %s: err %v", k, err)
		}
	}
}

func TestChunksStayWithinParameterLimit(t *testing.T) {
	keys := make([]string, 2500)
	for i := range keys {
		keys[i] = string(rune('a' + i%26))
	}
	parts := chunks(keys, maxKeys)
	if len(parts) != 3 || len(parts[0]) != maxKeys || len(parts[2]) != 500 {
		t.Fatalf("chunks of %d: %d parts", len(keys), len(parts))
	}
}

// TestObjectOutsideAGroupLoadsAlone: the node a mutation returns belongs to no
// sibling group. Its edges load at once, for it alone: fields resolve one after
// another, so waiting for other keys could never gather any.
func TestObjectOutsideAGroupLoadsAlone(t *testing.T) {
	type node struct{ id string }
	ctx := context.WithValue(context.Background(), ctxKey{}, &Loaders{groups: &groups{of: map[any]any{}}})
	var got []string
	b := newBatch(DefaultConfig, func(_ context.Context, keys []string) []*dataloader.Result[string] {
		got = keys
		out := make([]*dataloader.Result[string], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[string]{Data: "v" + k}
		}
		return out
	})
	v, err := b.load(ctx, KeysOf(ctx, &node{"n1"}, func(n *node) string { return n.id }))
	if err != nil || v != "vn1" || len(got) != 1 || got[0] != "n1" {
		t.Fatalf("load = %q, %v; batch saw %v, want only n1", v, err, got)
	}
}

// TestLoadersAreBuiltOnceOnFirstUse asks for loaders of one request from many
// goroutines at once: each name must give one loader, built when first asked
// for, so every field that uses it shares its cache; names of the same type
// must not share one.
func TestLoadersAreBuiltOnceOnFirstUse(t *testing.T) {
	l := New(nil, DefaultConfig)
	if l.directReportsByManagerID.v != nil || l.userByID.v != nil {
		t.Fatal("a loader was built before anything asked for it")
	}
	const callers = 16
	reports := make([]*UserConn, callers)
	byID := make([]any, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			reports[i] = l.DirectReportsByManagerID()
			byID[i] = l.UserByID()
		})
	}
	wg.Wait()
	for i := range callers {
		if reports[i] == nil || reports[i] != reports[0] || byID[i] != byID[0] {
			t.Fatalf("caller %d got another loader than caller 0", i)
		}
	}
	if l.SecondaryUsersByParentUserID() == reports[0] {
		t.Fatal("two edges of the same node type share one loader")
	}
	if l.identitiesByUserID.v != nil {
		t.Fatal("a loader nobody asked for was built")
	}
}
