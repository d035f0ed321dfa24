// Package lifecycle holds the rules for moving directory users and identities
// between states: which action is allowed from which state, and
// where it leads. It knows nothing of storage; the mutation layer asks it
// before writing and reports its refusals as BAD_USER_INPUT.
package lifecycle

import (
	"fmt"
	"strings"
	"time"
)

// State is a user or identity state.
type State string

// States, as the REST API spells them.
const (
	Staged      State = "staged"
	Active      State = "active"
	Orphan      State = "orphan" // identities only: active, but linked to no user
	Expiring    State = "expiring"
	Expired     State = "expired"
	Suspended   State = "suspended"
	Deactivated State = "deactivated"
)

// States lists the states a record of kind can be in, in lifecycle order; the
// ent schema stores them as its state enum, so they are defined here only.
func States(kind Kind) []string {
	states := []State{Staged, Active, Expiring, Expired, Suspended, Deactivated}
	if kind == Identity {
		states = append(states, Orphan)
	}
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}

// Action is something a client asks to happen to a record's state.
type Action string

// Actions.
const (
	Activate           Action = "activate"
	Suspend            Action = "suspend"
	Deactivate         Action = "deactivate"
	ScheduleExpiration Action = "scheduleExpiration"
	Link               Action = "link"   // identities: attach to a user
	Unlink             Action = "unlink" // identities: detach, leaving an orphan
	// Expire is what time does to a record whose expiresAt has passed; no
	// client asks for it, so it is never listed as allowed.
	Expire Action = "expire"
)

// Kind is the type of record whose state changes.
type Kind string

// Kinds.
const (
	User     Kind = "user"
	Identity Kind = "identity"
)

// transitions maps, per kind and action, each state the action may start from
// to the state it leads to. Activating an expiring record removes its scheduled
// expiration; expired and deactivated records can be brought back.
var transitions = map[Kind]map[Action]map[State]State{
	User: {
		Activate:           {Staged: Active, Expiring: Active, Suspended: Active, Expired: Active, Deactivated: Active},
		Suspend:            {Active: Suspended, Expiring: Suspended},
		Deactivate:         {Staged: Deactivated, Active: Deactivated, Expiring: Deactivated, Suspended: Deactivated, Expired: Deactivated},
		ScheduleExpiration: {Active: Expiring, Expiring: Expiring},
		Expire:             {Active: Expired, Expiring: Expired},
	},
	Identity: {
		Activate:           {Staged: Active, Expiring: Active, Suspended: Active, Expired: Active, Deactivated: Active},
		Suspend:            {Active: Suspended, Expiring: Suspended},
		Deactivate:         {Staged: Deactivated, Active: Deactivated, Expiring: Deactivated, Suspended: Deactivated, Expired: Deactivated, Orphan: Deactivated},
		ScheduleExpiration: {Active: Expiring, Expiring: Expiring},
		Expire:             {Active: Expired, Expiring: Expired, Orphan: Expired},
		Link:               {Orphan: Active},
		Unlink:             {Staged: Orphan, Active: Orphan, Expiring: Orphan, Suspended: Orphan, Expired: Orphan, Deactivated: Orphan},
	},
}

// actionOrder fixes the order in which allowed actions are listed.
var actionOrder = []Action{Activate, Suspend, Deactivate, ScheduleExpiration, Link, Unlink}

// TransitionError is a refused action: it names the current state and what
// the record allows instead.
type TransitionError struct {
	Kind    Kind
	From    State
	Action  Action
	Allowed []Action
}

func (e *TransitionError) Error() string {
	allowed := "none"
	if len(e.Allowed) > 0 {
		names := make([]string, len(e.Allowed))
		for i, a := range e.Allowed {
			names[i] = string(a)
		}
		allowed = strings.Join(names, ", ")
	}
	article := "a"
	if e.Kind == Identity {
		article = "an"
	}
	return fmt.Sprintf("cannot %s %s %s that is %s; allowed actions: %s", e.Action, article, e.Kind, e.From, allowed)
}

// Next returns the state action leads to from state from, or a *TransitionError.
func Next(kind Kind, from State, action Action) (State, error) {
	if to, ok := transitions[kind][action][from]; ok {
		return to, nil
	}
	return "", &TransitionError{Kind: kind, From: from, Action: action, Allowed: Allowed(kind, from)}
}

// Allowed lists the actions a record of kind in state from accepts.
func Allowed(kind Kind, from State) []Action {
	var out []Action
	for _, a := range actionOrder {
		if _, ok := transitions[kind][a][from]; ok {
			out = append(out, a)
		}
	}
	return out
}

// ExpirationError is a scheduled expiration that is not in the future.
type ExpirationError struct{ At, Now time.Time }

func (e *ExpirationError) Error() string {
	return fmt.Sprintf("an expiration must be in the future: %s is not after %s", e.At.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

// Schedule checks an expiration request and returns the state it leads to.
func Schedule(kind Kind, from State, at, now time.Time) (State, error) {
	if !at.After(now) {
		return "", &ExpirationError{At: at, Now: now}
	}
	return Next(kind, from, ScheduleExpiration)
}

// Expirable lists the states of kind that expire when their time comes.
func Expirable(kind Kind) []string {
	var out []string
	for _, s := range []State{Staged, Active, Orphan, Expiring, Expired, Suspended, Deactivated} {
		if _, ok := transitions[kind][Expire][s]; ok {
			out = append(out, string(s))
		}
	}
	return out
}
