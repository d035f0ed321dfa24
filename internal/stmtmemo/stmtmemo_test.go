package stmtmemo

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	const tenant = "tnt_01"
	ids := []string{"usr_a", "usr_b"}
	keys := `["usr_a","usr_b"]`
	cases := []struct {
		name  string
		args  []any
		slots []slot // nil: not kept
	}{
		{"tenant, keys and a limit", []any{tenant, keys, tenant, int64(101)}, []slot{tenantSlot, keysSlot, tenantSlot, constant}},
		{"keys as an array", []any{[]string{"usr_a", "usr_b"}, tenant}, nil}, // not the keys of this call's dialect
		{"a constant string", []any{tenant, "okta", keys}, []slot{tenantSlot, constant, keysSlot}},
		{"a parent's id alone", []any{tenant, "usr_a"}, nil},
		{"a subset of the keys", []any{tenant, `["usr_a"]`}, nil},
		{"the tenant inside a value", []any{"prefix-" + tenant}, nil},
		{"a time", []any{tenant, keys, time.Now()}, nil},
		{"bytes naming a parent", []any{tenant, []byte("usr_b")}, nil},
		{"a type not looked into", []any{tenant, struct{ s string }{"x"}}, nil},
		{"nothing", nil, []slot{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, ok := classify("SELECT", tc.args, tenant, keys, ids)
			if tc.slots == nil {
				if ok {
					t.Fatalf("kept with slots %v, want it built every time", st.slots)
				}
				return
			}
			if !ok {
				t.Fatal("not kept")
			}
			if !reflect.DeepEqual(st.slots, tc.slots) {
				t.Errorf("slots %v, want %v", st.slots, tc.slots)
			}
		})
	}
}

// TestStatementKeptAndFilledIn: the second call of a shape gets the first
// call's text with its own tenant and keys, without building; a shape whose
// arguments cannot be told apart is built every time.
func TestStatementKeptAndFilledIn(t *testing.T) {
	m := New()
	m.verify = false
	builds := 0
	build := func(tenant, keys string) func() (string, []any, error) {
		return func() (string, []any, error) {
			builds++
			return "SELECT ... WHERE tenant_id = ? AND parent IN (SELECT value FROM json_each(?)) LIMIT ?", []any{tenant, keys, int64(6)}, nil
		}
	}
	text, args, err := m.Call("users.reports", "t1", []string{"a"}).Statement(`["a"]`, build("t1", `["a"]`))
	if err != nil || !strings.HasPrefix(text, "SELECT") || !reflect.DeepEqual(args, []any{"t1", `["a"]`, int64(6)}) {
		t.Fatalf("first call: %q %v %v", text, args, err)
	}
	text2, args2, err := m.Call("users.reports", "t2", []string{"b", "c"}).Statement(`["b","c"]`, build("t2", `["b","c"]`))
	if err != nil || text2 != text || !reflect.DeepEqual(args2, []any{"t2", `["b","c"]`, int64(6)}) {
		t.Fatalf("second call: %q %v %v", text2, args2, err)
	}
	if builds != 1 {
		t.Errorf("built %d times, want 1", builds)
	}
	if s := m.Stats(); s != (Stats{Hits: 1, Misses: 1}) {
		t.Errorf("stats %+v", s)
	}

	// A parent's id as an argument of its own: never kept.
	single := func() (string, []any, error) { builds++; return "SELECT ... WHERE id = ?", []any{"a"}, nil }
	for range 2 {
		if _, _, err := m.Call("users.one", "t1", []string{"a"}).Statement(`["a"]`, single); err != nil {
			t.Fatal(err)
		}
	}
	if builds != 3 || m.Stats().Refused != 2 {
		t.Errorf("built %d times, refused %d; want 3 and 2", builds, m.Stats().Refused)
	}
}

// TestVerifyCatchesAShapeThatSaysTooLittle: in tests, a kept statement that
// differs from the one built (a shape missing something the text depends on)
// fails the call instead of sending the wrong statement.
func TestVerifyCatchesAShapeThatSaysTooLittle(t *testing.T) {
	m := New()
	if !m.verify {
		t.Fatal("a Memo made in a test does not verify")
	}
	limit := int64(5)
	build := func() (string, []any, error) { return "SELECT ... LIMIT ?", []any{"t1", limit}, nil }
	if _, _, err := m.Call("s", "t1", []string{"a"}).Statement("k", build); err != nil {
		t.Fatal(err)
	}
	limit = 6
	if _, _, err := m.Call("s", "t1", []string{"a"}).Statement("k", build); err == nil {
		t.Fatal("a kept statement that differs from the one built was given back")
	}
}

func TestNoCallWithoutTenantOrMemo(t *testing.T) {
	var nilMemo *Memo
	if nilMemo.Call("s", "t", []string{"a"}) != nil || New().Call("s", "", []string{"a"}) != nil || New().Call("", "t", []string{"a"}) != nil {
		t.Fatal("a call was made without a memo, tenant or shape")
	}
	ctx := WithCall(context.Background(), nil)
	if CallFrom(ctx) != nil {
		t.Fatal("a nil call was carried")
	}
	outer := WithCall(context.Background(), New().Call("outer", "t", []string{"a"}))
	if CallFrom(WithCall(outer, nil)) != nil {
		t.Fatal("a loader without a call of its own built under another's")
	}
}

// TestShapesBounded: past maxKept shapes, the least recently used is built
// again when it comes back; the memo holds no more than maxKept.
func TestShapesBounded(t *testing.T) {
	m := New()
	builds := 0
	build := func() (string, []any, error) { builds++; return "SELECT ?", []any{"t"}, nil }
	for i := range maxKept + 1 {
		if _, _, err := m.Call("shape "+strconv.Itoa(i), "t", []string{"a"}).Statement("k", build); err != nil {
			t.Fatal(err)
		}
	}
	if m.kept.Len() != maxKept {
		t.Errorf("%d shapes kept, want %d", m.kept.Len(), maxKept)
	}
	builds = 0
	if _, _, err := m.Call("shape 0", "t", []string{"a"}).Statement("k", build); err != nil {
		t.Fatal(err)
	}
	if builds != 1 || m.Stats().Misses != maxKept+2 {
		t.Errorf("the oldest shape: built %d times, %d misses in all; want 1 and %d", builds, m.Stats().Misses, maxKept+2)
	}
}
