package lifecycle_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idgraph/idgraph/internal/lifecycle"
)

func TestUserTransitions(t *testing.T) {
	cases := []struct {
		from   lifecycle.State
		action lifecycle.Action
		to     lifecycle.State // "" when refused
	}{
		{lifecycle.Staged, lifecycle.Activate, lifecycle.Active},
		{lifecycle.Expiring, lifecycle.Activate, lifecycle.Active}, // removes the scheduled expiration
		{lifecycle.Suspended, lifecycle.Activate, lifecycle.Active},
		{lifecycle.Deactivated, lifecycle.Activate, lifecycle.Active},
		{lifecycle.Expired, lifecycle.Activate, lifecycle.Active},
		{lifecycle.Active, lifecycle.Activate, ""},
		{lifecycle.Active, lifecycle.Suspend, lifecycle.Suspended},
		{lifecycle.Expiring, lifecycle.Suspend, lifecycle.Suspended},
		{lifecycle.Staged, lifecycle.Suspend, ""},
		{lifecycle.Suspended, lifecycle.Suspend, ""},
		{lifecycle.Deactivated, lifecycle.Suspend, ""},
		{lifecycle.Active, lifecycle.Deactivate, lifecycle.Deactivated},
		{lifecycle.Staged, lifecycle.Deactivate, lifecycle.Deactivated},
		{lifecycle.Deactivated, lifecycle.Deactivate, ""},
		{lifecycle.Active, lifecycle.ScheduleExpiration, lifecycle.Expiring},
		{lifecycle.Expiring, lifecycle.ScheduleExpiration, lifecycle.Expiring},
		{lifecycle.Staged, lifecycle.ScheduleExpiration, ""},
		{lifecycle.Suspended, lifecycle.ScheduleExpiration, ""},
		{lifecycle.Expired, lifecycle.ScheduleExpiration, ""},
		{lifecycle.Active, lifecycle.Link, ""}, // users are not linked
		{lifecycle.Orphan, lifecycle.Activate, ""},
	}
	for _, tc := range cases {
		got, err := lifecycle.Next(lifecycle.User, tc.from, tc.action)
		if tc.to == "" {
			var te *lifecycle.TransitionError
			if !errors.As(err, &te) || te.From != tc.from {
				t.Errorf("%s from %s: got %s, %v; want a refusal", tc.action, tc.from, got, err)
			}
			continue
		}
		if err != nil || got != tc.to {
			t.Errorf("%s from %s: got %s, %v; want %s", tc.action, tc.from, got, err, tc.to)
		}
	}
}

func TestIdentityTransitions(t *testing.T) {
	cases := []struct {
		from   lifecycle.State
		action lifecycle.Action
		to     lifecycle.State
	}{
		{lifecycle.Orphan, lifecycle.Link, lifecycle.Active},
		{lifecycle.Active, lifecycle.Link, ""},
		{lifecycle.Active, lifecycle.Unlink, lifecycle.Orphan},
		{lifecycle.Suspended, lifecycle.Unlink, lifecycle.Orphan},
		{lifecycle.Orphan, lifecycle.Unlink, ""},
		{lifecycle.Orphan, lifecycle.Deactivate, lifecycle.Deactivated},
		{lifecycle.Orphan, lifecycle.Suspend, ""},
	}
	for _, tc := range cases {
		got, err := lifecycle.Next(lifecycle.Identity, tc.from, tc.action)
		if (tc.to == "") != (err != nil) || got != tc.to {
			t.Errorf("%s from %s: got %q, %v; want %q", tc.action, tc.from, got, err, tc.to)
		}
	}
}

func TestRefusalNamesStateAndAllowedActions(t *testing.T) {
	_, err := lifecycle.Next(lifecycle.User, lifecycle.Staged, lifecycle.Suspend)
	if want := "cannot suspend a user that is staged; allowed actions: activate, deactivate"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	_, err = lifecycle.Next(lifecycle.User, lifecycle.Active, lifecycle.Activate)
	if err == nil || !strings.Contains(err.Error(), "suspend, deactivate, scheduleExpiration") {
		t.Fatalf("got %v", err)
	}
}

func TestSchedule(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if s, err := lifecycle.Schedule(lifecycle.User, lifecycle.Active, now.Add(time.Hour), now); err != nil || s != lifecycle.Expiring {
		t.Fatalf("future expiration: %s %v", s, err)
	}
	var ee *lifecycle.ExpirationError
	if _, err := lifecycle.Schedule(lifecycle.User, lifecycle.Active, now, now); !errors.As(err, &ee) {
		t.Fatalf("an expiration now was accepted: %v", err)
	}
	if _, err := lifecycle.Schedule(lifecycle.User, lifecycle.Staged, now.Add(time.Hour), now); err == nil {
		t.Fatal("scheduled the expiration of a staged user")
	}
}

// TestEveryStateHasAWayOut: no state is a dead end for an administrator.
func TestEveryStateHasAWayOut(t *testing.T) {
	userStates := []lifecycle.State{lifecycle.Staged, lifecycle.Active, lifecycle.Expiring, lifecycle.Expired, lifecycle.Suspended, lifecycle.Deactivated}
	for kind, states := range map[lifecycle.Kind][]lifecycle.State{
		lifecycle.User:     userStates,
		lifecycle.Identity: append(userStates, lifecycle.Orphan),
	} {
		for _, s := range states {
			if len(lifecycle.Allowed(kind, s)) == 0 {
				t.Errorf("a %s that is %s allows no action", kind, s)
			}
		}
	}
	if len(lifecycle.Allowed(lifecycle.User, lifecycle.Orphan)) != 0 {
		t.Error("users cannot be orphans")
	}
}

// TestStatesCoverTheTransitions: every state an action leads to from a state
// of its kind is a state of that kind, and only identities can be orphans.
func TestStatesCoverTheTransitions(t *testing.T) {
	for _, kind := range []lifecycle.Kind{lifecycle.User, lifecycle.Identity} {
		known := map[lifecycle.State]bool{}
		for _, s := range lifecycle.States(kind) {
			known[lifecycle.State(s)] = true
		}
		if known[lifecycle.Orphan] != (kind == lifecycle.Identity) {
			t.Errorf("%s: orphan is a state: %v", kind, known[lifecycle.Orphan])
		}
		moves := 0
		for from := range known {
			for _, action := range lifecycle.Allowed(kind, from) {
				if action == lifecycle.ScheduleExpiration {
					continue
				}
				to, err := lifecycle.Next(kind, from, action)
				if err != nil || !known[to] {
					t.Errorf("%s %s from %s: %s, %v; states %v", kind, action, from, to, err, lifecycle.States(kind))
				}
				moves++
			}
		}
		if moves < 10 {
			t.Errorf("%s: %d moves checked", kind, moves)
		}
	}
}
