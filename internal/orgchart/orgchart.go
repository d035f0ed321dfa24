// Package orgchart holds the rules of the management chain: a user cannot manage
// itself, directly or through any chain of managers. It reads the chain through
// a function, so it knows nothing of storage and its tests need no database.
package orgchart

import (
	"context"
	"fmt"
)

// ManagerOf returns the manager id of each user asked for ("" for none).
type ManagerOf func(ctx context.Context, userIDs []string) (map[string]string, error)

// CycleError is a manager assignment that would close a loop.
type CycleError struct {
	User, Manager string
	Chain         []string // from the would-be manager up to the user
}

func (e *CycleError) Error() string {
	if e.User == e.Manager {
		return fmt.Sprintf("user %s cannot be its own manager", e.User)
	}
	return fmt.Sprintf("user %s cannot report to %s, who reports to it through %d level(s) of management", e.User, e.Manager, len(e.Chain)-1)
}

// maxDepth bounds the walk up the chain: real organisations are a dozen levels
// deep, and data that already holds a loop must not hang the check.
const maxDepth = 1000

// CheckManager reports whether user may report to manager: nil when it may,
// a *CycleError when manager is user or manages it through the chain. The walk
// reads one level per call of managerOf.
func CheckManager(ctx context.Context, user, manager string, managerOf ManagerOf) error {
	if manager == "" {
		return nil
	}
	chain := []string{manager}
	seen := map[string]bool{}
	for current := manager; current != ""; {
		if current == user {
			return &CycleError{User: user, Manager: manager, Chain: chain}
		}
		if seen[current] || len(chain) > maxDepth {
			return fmt.Errorf("the management chain above %s already loops through %s", manager, current)
		}
		seen[current] = true
		up, err := managerOf(ctx, []string{current})
		if err != nil {
			return err
		}
		current = up[current]
		if current != "" {
			chain = append(chain, current)
		}
	}
	return nil
}
