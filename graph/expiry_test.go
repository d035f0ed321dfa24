package graph_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// activeUserWithAccess is a seeded active user with a live identity and an active assignment.
func activeUserWithAccess(t *testing.T, srv *graphtest.Server, skip map[string]bool) string {
	ctx := viewer.System(context.Background())
	users := srv.DB.Client.User.Query().Where(user.StateEQ(user.StateActive),
		user.HasIdentitiesWith(identity.StateEQ(identity.StateActive)),
		user.HasPolicyAssignmentsWith(policyassignment.StateEQ(policyassignment.StateActive))).IDsX(ctx)
	for _, id := range users {
		if !skip[id] {
			return id
		}
	}
	t.Fatal("no active user with an identity and an assignment left")
	return ""
}

func TestScheduledExpirationTakesEffect(t *testing.T) {
	srv := graphtest.New(t, 100)
	ctx := viewer.System(context.Background())
	id := activeUserWithAccess(t, srv, nil)
	at := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	var out struct {
		ScheduleUserExpiration struct{ User struct{ State string } }
	}
	srv.Query(t, `mutation($id: ID!, $at: Time!) { scheduleUserExpiration(input: {id: $id, at: $at}) { user { state } } }`,
		map[string]any{"id": id, "at": at}).Decode(t, &out)
	if out.ScheduleUserExpiration.User.State != "expiring" {
		t.Fatalf("scheduled: %+v", out)
	}

	// The job serve runs, at its interval.
	jobCtx, stop := context.WithCancel(context.Background())
	var job sync.WaitGroup
	job.Go(func() {
		directory.New(srv.DB.Client).RunExpirations(jobCtx, time.Second, func(_ directory.Expired, err error) {
			if err != nil {
				t.Error(err)
			}
		})
	})
	defer func() { stop(); job.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.DB.Client.User.GetX(ctx, id).State != user.StateExpired {
		if time.Now().After(deadline) {
			t.Fatal("the user was not expired within 5 s of being scheduled 2 s ahead")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := srv.DB.Client.Identity.Query().Where(identity.UserID(id), identity.StateIn(identity.StateActive, identity.StateExpiring)).CountX(ctx); n != 0 {
		t.Errorf("%d identities of the expired user still live", n)
	}
	if n := srv.DB.Client.PolicyAssignment.Query().Where(policyassignment.UserID(id), policyassignment.StateIn(policyassignment.StateActive, policyassignment.StateExpiring)).CountX(ctx); n != 0 {
		t.Errorf("%d assignments of the expired user still grant access", n)
	}
	entries := srv.DB.Client.AuditEvent.Query().Where(auditevent.SubjectUserID(id),
		auditevent.ActionIn("user.expired", "identity.expired", "policy_assignment.expired")).AllX(ctx)
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	if actions["user.expired"] != 1 || actions["identity.expired"] == 0 || actions["policy_assignment.expired"] == 0 {
		t.Errorf("log entries %v", actions)
	}
}

func TestExpirationHappensOnceAcrossReplicas(t *testing.T) {
	dsn := storetest.DSN(t, "idgraph.db")
	srv := graphtest.NewAt(t, dsn, 100, graph.Options{})
	other, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := viewer.System(context.Background())
	past := time.Now().Add(-time.Minute)
	due := map[string]bool{}
	for range 10 {
		id := activeUserWithAccess(t, srv, due)
		srv.DB.Client.User.UpdateOneID(id).SetState(user.StateExpiring).SetExpiresAt(past).ExecX(ctx)
		due[id] = true
	}
	replicas := []*directory.Service{directory.New(srv.DB.Client), directory.New(other.Client)}
	var wg sync.WaitGroup
	for _, r := range replicas {
		for range 2 { // and each replica twice at once
			wg.Go(func() {
				if _, err := r.ExpireDue(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for id := range due {
		if st := srv.DB.Client.User.GetX(ctx, id).State; st != user.StateExpired {
			t.Errorf("%s is %s", id, st)
		}
		if n := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(id), auditevent.Action("user.expired")).CountX(ctx); n != 1 {
			t.Errorf("%s expired %d times in the log", id, n)
		}
	}
	if n, err := replicas[0].ExpireDue(context.Background()); err != nil || n != (directory.Expired{}) {
		t.Errorf("a pass after everything expired: %+v, %v", n, err)
	}
}

func TestPastExpiryReadsAsExpired(t *testing.T) {
	srv := graphtest.New(t, 20)
	ctx := viewer.System(context.Background())
	id := activeUserWithAccess(t, srv, nil)
	srv.DB.Client.User.UpdateOneID(id).SetExpiresAt(time.Now().Add(-time.Second)).ExecX(ctx)
	a := srv.DB.Client.PolicyAssignment.Query().Where(policyassignment.UserID(id)).FirstX(ctx)
	srv.DB.Client.PolicyAssignment.UpdateOne(a).SetExpiresAt(time.Now().Add(-time.Second)).ExecX(ctx)
	var out struct {
		User struct {
			State             string
			PolicyAssignments struct{ Nodes []struct{ ID, State string } }
		}
	}
	srv.Query(t, `query($id: ID!) { user(id: $id) { state policyAssignments { nodes { id state } } } }`, map[string]any{"id": id}).Decode(t, &out)
	if out.User.State != "expired" {
		t.Errorf("a user past its expiresAt reads as %s before the job ran", out.User.State)
	}
	for _, n := range out.User.PolicyAssignments.Nodes {
		if n.ID == a.ID && n.State != "expired" {
			t.Errorf("an assignment past its expiresAt reads as %s", n.State)
		}
	}
}

func TestIdentityExpiration(t *testing.T) {
	srv := graphtest.New(t, 20)
	ctx := viewer.System(context.Background())
	id := srv.DB.Client.Identity.Query().Where(identity.StateEQ(identity.StateActive)).FirstIDX(ctx)
	type state struct {
		State     string
		ExpiresAt *string
	}
	var scheduled struct {
		ScheduleIdentityExpiration struct{ Identity state }
	}
	srv.Query(t, `mutation($id: ID!, $at: Time!) { scheduleIdentityExpiration(input: {id: $id, at: $at}) { identity { state expiresAt } } }`,
		map[string]any{"id": id, "at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}).Decode(t, &scheduled)
	if s := scheduled.ScheduleIdentityExpiration.Identity; s.State != "expiring" || s.ExpiresAt == nil {
		t.Fatalf("scheduled: %+v", s)
	}
	var activated struct {
		ActivateIdentity struct{ Identity state }
	}
	srv.Query(t, `mutation($id: ID!) { activateIdentity(input: {id: $id}) { identity { state expiresAt } } }`,
		map[string]any{"id": id}).Decode(t, &activated)
	if s := activated.ActivateIdentity.Identity; s.State != "active" || s.ExpiresAt != nil {
		t.Fatalf("activated: %+v", s)
	}
	resp := srv.Query(t, `mutation($id: ID!, $at: Time!) { scheduleIdentityExpiration(input: {id: $id, at: $at}) { identity { state } } }`,
		map[string]any{"id": id, "at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	if codes := resp.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
		t.Errorf("an expiration in the past: %v", resp.Errors)
	}
}
