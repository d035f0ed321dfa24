// Package budget counts down what one request may spend, such as the SQL
// statements it sends or the fields its response holds.
package budget

import "sync/atomic"

// Budget is a count that requests spend from, safe for concurrent use.
type Budget struct {
	limit int
	left  atomic.Int64
}

// New returns a budget of limit.
func New(limit int) *Budget {
	b := &Budget{limit: limit}
	b.left.Store(int64(limit))
	return b
}

// Spend takes one from the budget and reports whether there was one to take.
func (b *Budget) Spend() bool { return b.left.Add(-1) >= 0 }

// Limit is what the budget started with.
func (b *Budget) Limit() int { return b.limit }
