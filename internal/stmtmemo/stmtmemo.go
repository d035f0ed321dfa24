// Package stmtmemo keeps the SQL statement of each shape of loader call, so
// that a statement is built once and afterwards only sent.
//
// ent builds a statement as a tree of selectors and predicates and then writes
// its text and arguments out together: for a user's profile page that is a
// sixth of the server's CPU, and the text is the same on every request. A
// loader knows when two of its calls send the same text: the same edge, page
// arguments, selection, siblings and viewer's permissions. What differs
// between them is the tenant and the batch of parent ids, and both travel as
// arguments. A Memo keeps such a statement with the places of those two
// arguments, and gives it back with the current call's.
//
// A statement is kept only when its arguments can be told apart: each is the
// tenant, the batch of keys, or a value that mentions neither (a limit, a
// constant of the code). A statement with any other argument that names the
// tenant or a parent, or with a time, is built every time.
package stmtmemo

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// maxKept bounds the shapes kept (a few KB each): page sizes and selections
// are the client's to choose. The least recently used shape goes first, and is
// built again when it comes back. As many as the prepared statements kept
// (internal/store), which the texts go on to.
const maxKept = 512

// Memo is the statements kept by shape, shared by every request of a server.
type Memo struct {
	kept *lru.Cache[string, *statement]
	// verify builds every statement even when one is kept, and fails the call
	// whose kept statement differs from it. On in tests, where it checks that
	// the loaders' shapes say everything a statement depends on.
	verify                bool
	hits, misses, refused atomic.Int64
}

// New returns an empty Memo; in a test binary it verifies every statement it
// gives back.
func New() *Memo {
	kept, _ := lru.New[string, *statement](maxKept)
	return &Memo{kept: kept, verify: testing.Testing()}
}

// Unverified turns off the checking New turns on in tests, for benchmarks,
// which should time what a server does.
func (m *Memo) Unverified() *Memo {
	m.verify = false
	return m
}

// Stats are a Memo's calls since it was made: statements given back, built,
// and built but not kept because their arguments could not be told apart.
type Stats struct{ Hits, Misses, Refused int64 }

// Stats returns the calls so far (none for a nil Memo).
func (m *Memo) Stats() Stats {
	if m == nil {
		return Stats{}
	}
	return Stats{Hits: m.hits.Load(), Misses: m.misses.Load(), Refused: m.refused.Load()}
}

type slot uint8

const (
	constant slot = iota
	tenantSlot
	keysSlot
)

type statement struct {
	text  string
	args  []any // the constants; nil where a slot is filled per call
	slots []slot
}

// with returns the statement's arguments for tenant and keys.
func (s *statement) with(tenant string, keys any) []any {
	args := make([]any, len(s.args))
	for i, sl := range s.slots {
		switch sl {
		case tenantSlot:
			args[i] = tenant
		case keysSlot:
			args[i] = keys
		default:
			args[i] = s.args[i]
		}
	}
	return args
}

// Call is one loader call: the shape of its statement, and the tenant and
// parent ids that are its arguments.
type Call struct {
	memo   *Memo
	shape  string
	tenant string
	ids    []string
}

// Call returns the call of shape for tenant and the parents ids; nil (build
// every time) for a Memo that is nil or a call without a tenant.
func (m *Memo) Call(shape, tenant string, ids []string) *Call {
	if m == nil || shape == "" || tenant == "" || len(ids) == 0 {
		return nil
	}
	return &Call{memo: m, shape: shape, tenant: tenant, ids: ids}
}

type callKey struct{}

// WithCall returns ctx carrying c to the code that builds the statement. A
// nil c hides any call ctx carried already: a statement built beneath another
// loader's must not be kept under that loader's shape.
func WithCall(ctx context.Context, c *Call) context.Context {
	if c == nil && CallFrom(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, callKey{}, c)
}

// CallFrom returns the call ctx carries, or nil.
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Statement returns the call's statement: the one kept for its shape, with
// the call's tenant and keys (the argument that carries its ids), or else the
// one build returns, kept for the next call when its arguments allow.
func (c *Call) Statement(keys any, build func() (string, []any, error)) (string, []any, error) {
	m := c.memo
	if st, ok := m.kept.Get(c.shape); ok {
		m.hits.Add(1)
		args := st.with(c.tenant, keys)
		if m.verify {
			text, built, err := build()
			if err != nil {
				return "", nil, err
			}
			if text != st.text || !reflect.DeepEqual(args, built) {
				return "", nil, fmt.Errorf("stmtmemo: the statement kept for shape %q is not the one built:\nkept:  %s %v\nbuilt: %s %v",
					c.shape, st.text, args, text, built)
			}
		}
		return st.text, args, nil
	}
	text, args, err := build()
	if err != nil {
		return "", nil, err
	}
	m.misses.Add(1)
	st, ok := classify(text, args, c.tenant, keys, c.ids)
	if !ok {
		m.refused.Add(1)
		return text, args, nil
	}
	m.kept.Add(c.shape, st)
	return text, args, nil
}

// classify finds the tenant and the keys among args; ok is false when another
// argument names the tenant or a parent (it would be kept with this call's
// value), or is a time or a type not known to hold neither.
func classify(text string, args []any, tenant string, keys any, ids []string) (*statement, bool) {
	st := &statement{text: text, args: make([]any, len(args)), slots: make([]slot, len(args))}
	for i, a := range args {
		switch {
		case a == any(tenant):
			st.slots[i] = tenantSlot
		case reflect.DeepEqual(a, keys):
			st.slots[i] = keysSlot
		case mentions(a, tenant, ids):
			return nil, false
		default:
			st.args[i] = a
		}
	}
	return st, true
}

// mentions reports whether a holds tenant or one of ids, or may: a time is
// the moment's, and a value of another type is not looked into.
func mentions(a any, tenant string, ids []string) bool {
	has := func(s string) bool {
		if strings.Contains(s, tenant) {
			return true
		}
		for _, id := range ids {
			if strings.Contains(s, id) {
				return true
			}
		}
		return false
	}
	switch v := a.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return false
	case string:
		return has(v)
	case []byte:
		return has(string(v))
	case []string:
		for _, s := range v {
			if has(s) {
				return true
			}
		}
		return false
	case time.Time:
		return true
	}
	return true
}
