package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

const createUser = `mutation($in: CreateUserInput!) { createUser(input: $in) { clientMutationId user { id state version email manager { id } } } }`

// counts returns how many users and audit events the tenant holds.
func counts(t *testing.T, srv *graphtest.Server) (users, events int) {
	t.Helper()
	ctx := viewer.System(context.Background())
	users = srv.DB.Client.User.Query().CountX(ctx)
	events = srv.DB.Client.AuditEvent.Query().CountX(ctx)
	return users, events
}

func TestCreateUser(t *testing.T) {
	srv := graphtest.New(t, 10)
	manager := firstUserID(t, srv)
	usersBefore, eventsBefore := counts(t, srv)
	resp := srv.Query(t, createUser, map[string]any{"in": map[string]any{
		"clientMutationId": "c1", "email": "new.hire@example.com", "fullName": "New Hire",
		"badgeId": "B-777", "managerId": manager,
	}})
	var out struct {
		CreateUser struct {
			ClientMutationID string
			User             struct {
				ID, State, Email string
				Version          int
				Manager          struct{ ID string }
			}
		}
	}
	resp.Decode(t, &out)
	u := out.CreateUser.User
	if out.CreateUser.ClientMutationID != "c1" || u.State != "staged" || u.Version != 1 || u.Manager.ID != manager || !strings.HasPrefix(u.ID, "drusr_") {
		t.Fatalf("created %+v", out.CreateUser)
	}
	usersAfter, eventsAfter := counts(t, srv)
	if usersAfter != usersBefore+1 || eventsAfter != eventsBefore+1 {
		t.Fatalf("users %d→%d, events %d→%d", usersBefore, usersAfter, eventsBefore, eventsAfter)
	}
	ev := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(u.ID)).OnlyX(viewer.System(context.Background()))
	if ev.Action != "user.created" || !strings.Contains(ev.Actor, "tok_") || ev.SubjectUserID == nil || *ev.SubjectUserID != u.ID {
		t.Fatalf("audit event %+v", ev)
	}
	if fmt.Sprint(ev.Changes["badge_id"]) != "map[after:[redacted] before:[redacted]]" || fmt.Sprint(ev.Changes["email"]) != "map[after:new.hire@example.com before:<nil>]" {
		t.Fatalf("changes %v", ev.Changes)
	}
}

// TestRejectedMutationsWriteNothing: each refusal has its code and field, and
// the database is as it was.
func TestRejectedMutationsWriteNothing(t *testing.T) {
	srv := graphtest.New(t, 10)
	srv.SeedTenant(t, "acme", 3)
	var taken struct {
		Users struct{ Nodes []struct{ ID, Email string } }
	}
	srv.Query(t, `{ users(first: 1) { nodes { id email } } }`, nil).Decode(t, &taken)
	var acme struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.QueryAs(t, srv.TokenFor(t, "acme", viewer.All), `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &acme)
	readOnly := srv.TokenFor(t, "demo", viewer.DirectoryUserView)
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1}}}}}}
	cases := []struct {
		name, token string
		in          map[string]any
		code, field string
	}{
		{"no permission", readOnly, map[string]any{"email": "x@example.com"}, "FORBIDDEN", ""},
		{"bad email", srv.Token, map[string]any{"email": "not an email"}, "BAD_USER_INPUT", "email"},
		{"email with a name", srv.Token, map[string]any{"email": "Bob <bob@example.com>"}, "BAD_USER_INPUT", "email"},
		{"taken email", srv.Token, map[string]any{"email": taken.Users.Nodes[0].Email}, "CONFLICT", "email"},
		{"deactivated on creation", srv.Token, map[string]any{"email": "y@example.com", "state": "deactivated"}, "BAD_USER_INPUT", "state"},
		{"metadata too deep", srv.Token, map[string]any{"email": "z@example.com", "metadata": deep}, "BAD_USER_INPUT", "metadata"},
		{"metadata too large", srv.Token, map[string]any{"email": "z@example.com", "metadata": map[string]any{"blob": strings.Repeat("x", 20_000)}}, "BAD_USER_INPUT", "metadata"},
		{"another tenant's manager", srv.Token, map[string]any{"email": "w@example.com", "managerId": acme.Users.Nodes[0].ID}, "NOT_FOUND", ""},
		{"unknown enum", srv.Token, map[string]any{"email": "v@example.com", "type": "robot"}, "GRAPHQL_VALIDATION_FAILED", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			usersBefore, eventsBefore := counts(t, srv)
			resp := srv.QueryAs(t, tc.token, createUser, map[string]any{"in": tc.in})
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != tc.code || (tc.field != "" && resp.Errors[0].Extensions["field"] != tc.field) {
				t.Fatalf("errors %+v, want %s on %q", resp.Errors, tc.code, tc.field)
			}
			if u, e := counts(t, srv); u != usersBefore || e != eventsBefore {
				t.Fatalf("a refused mutation wrote: users %d→%d, events %d→%d", usersBefore, u, eventsBefore, e)
			}
		})
	}
}

func TestOptimisticConcurrency(t *testing.T) {
	srv := graphtest.New(t, 10)
	id := firstUserID(t, srv)
	update := `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { version title } } }`
	resp := srv.Query(t, update, map[string]any{"in": map[string]any{"id": id, "ifVersion": 1, "title": "Staff Engineer"}})
	if !strings.Contains(string(resp.Data), `"version":2,"title":"Staff Engineer"`) {
		t.Fatalf("update: %s %+v", resp.Data, resp.Errors)
	}
	_, eventsBefore := counts(t, srv)
	stale := srv.Query(t, update, map[string]any{"in": map[string]any{"id": id, "ifVersion": 1, "title": "Overwritten"}})
	if len(stale.Errors) != 1 || stale.Errors[0].Code() != "CONFLICT" || stale.Errors[0].Extensions["currentVersion"] != float64(2) {
		t.Fatalf("stale update: %+v", stale.Errors)
	}
	if _, e := counts(t, srv); e != eventsBefore {
		t.Fatal("a conflicting update was logged")
	}
	var now struct{ User struct{ Title string } }
	srv.Query(t, `query($id: ID!) { user(id: $id) { title } }`, map[string]any{"id": id}).Decode(t, &now)
	if now.User.Title != "Staff Engineer" {
		t.Fatalf("a stale update was written: %q", now.User.Title)
	}
	// An update that changes nothing writes nothing, not even a version.
	same := srv.Query(t, update, map[string]any{"in": map[string]any{"id": id, "title": "Staff Engineer"}})
	if !strings.Contains(string(same.Data), `"version":2`) {
		t.Fatalf("a no-op update: %s", same.Data)
	}
}

func TestSetManagerRefusesCycles(t *testing.T) {
	srv := graphtest.New(t, 40)
	var chain struct {
		Users struct {
			Nodes []struct {
				ID      string
				Manager struct {
					ID      string
					Manager struct{ ID string }
				}
			}
		}
	}
	srv.Query(t, `{ users(first: 1, where: {hasManagerWith: {hasManager: true}}) { nodes { id manager { id manager { id } } } } }`, nil).Decode(t, &chain)
	report := chain.Users.Nodes[0]
	grandManager := report.Manager.Manager.ID
	set := `mutation($in: SetManagerInput!) { setManager(input: $in) { user { id manager { id } } } }`
	for name, in := range map[string]map[string]any{
		"itself":           {"id": report.ID, "managerId": report.ID},
		"its report":       {"id": report.Manager.ID, "managerId": report.ID},
		"two levels below": {"id": grandManager, "managerId": report.ID},
	} {
		resp := srv.Query(t, set, map[string]any{"in": in})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != "managerId" {
			t.Errorf("%s: %+v", name, resp.Errors)
		}
	}
	resp := srv.Query(t, set, map[string]any{"in": map[string]any{"id": report.ID, "managerId": grandManager}})
	if !strings.Contains(string(resp.Data), `"manager":{"id":"`+grandManager+`"}`) {
		t.Fatalf("a legal move: %s %+v", resp.Data, resp.Errors)
	}
	resp = srv.Query(t, set, map[string]any{"in": map[string]any{"id": report.ID, "managerId": nil}})
	if !strings.Contains(string(resp.Data), `"manager":null`) {
		t.Fatalf("removing the manager: %s %+v", resp.Data, resp.Errors)
	}
}

func TestLifecycleActions(t *testing.T) {
	srv := graphtest.New(t, 5)
	var out struct {
		CreateUser struct{ User struct{ ID string } }
	}
	srv.Query(t, createUser, map[string]any{"in": map[string]any{"email": "life@example.com"}}).Decode(t, &out)
	id := out.CreateUser.User.ID
	act := func(name string, extra map[string]any) graphtest.Response {
		in := map[string]any{"id": id}
		for k, v := range extra {
			in[k] = v
		}
		typ := "UserActionInput"
		if name == "scheduleUserExpiration" {
			typ = "ScheduleUserExpirationInput"
		}
		return srv.Query(t, `mutation($in: `+typ+`!) { `+name+`(input: $in) { user { state expiresAt } } }`, map[string]any{"in": in})
	}
	if resp := act("suspendUser", nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" ||
		resp.Errors[0].Message != "cannot suspend a user that is staged; allowed actions: activate, deactivate" ||
		resp.Errors[0].Extensions["state"] != "staged" {
		t.Fatalf("suspending a staged user: %+v", resp.Errors)
	}
	steps := []struct {
		action string
		extra  map[string]any
		want   string
	}{
		{"activateUser", nil, `"state":"active","expiresAt":null`},
		{"scheduleUserExpiration", map[string]any{"at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, `"state":"expiring","expiresAt":"`},
		{"activateUser", nil, `"state":"active","expiresAt":null`}, // removes the scheduled expiration
		{"suspendUser", nil, `"state":"suspended"`},
		{"deactivateUser", nil, `"state":"deactivated"`},
	}
	for _, s := range steps {
		if resp := act(s.action, s.extra); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), s.want) {
			t.Fatalf("%s: %s %+v", s.action, resp.Data, resp.Errors)
		}
	}
	if resp := act("scheduleUserExpiration", map[string]any{"at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("an expiration in the past: %+v", resp.Errors)
	}
	ctx := viewer.System(context.Background())
	actions := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(id)).Order(auditevent.ByOccurredAt(), auditevent.ByID()).Select(auditevent.FieldAction).StringsX(ctx)
	if got := strings.Join(actions, ","); got != "user.created,user.activated,user.expiration_scheduled,user.activated,user.suspended,user.deactivated" {
		t.Fatalf("workspace log: %s", got)
	}
}

func TestMutationsAreNotSentOverGET(t *testing.T) {
	srv := graphtest.New(t, 3)
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+url.Values{"query": {`mutation { activateUser(input: {id: "drusr_01hk240nm02rnpwbehf8hmr4wz"}) { user { id } } }`}}.Encode(), nil)
	resp := srv.Do(t, req)
	if resp.Status != 405 || resp.Header.Get("Allow") != "POST" || resp.Errors[0].Code() != "METHOD_NOT_ALLOWED" || resp.Statements != 0 {
		t.Fatalf("%d %q %+v (%d statements)", resp.Status, resp.Header.Get("Allow"), resp.Errors, resp.Statements)
	}
}

// TestConcurrentUpdatesThroughHTTP: 8 clients x 200 updates of the same five
// users, each read-then-update with ifVersion. Every answer is a success or a
// CONFLICT (never a locked database), no success is lost, and the workspace log
// has exactly one entry per success.
func TestConcurrentUpdatesThroughHTTP(t *testing.T) {
	srv := graphtest.New(t, 20)
	var page struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 5) { nodes { id } } }`, nil).Decode(t, &page)
	ctx := viewer.System(context.Background())
	eventsBefore := srv.DB.Client.AuditEvent.Query().Where(auditevent.Action("user.updated")).CountX(ctx)
	var mu sync.Mutex
	successes := map[string]int{}
	var wg sync.WaitGroup
	for client := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := page.Users.Nodes[(client+i)%5].ID
				var cur struct{ User struct{ Version int } }
				if err := jsonUnmarshal(srv.Query(t, `query($id: ID!) { user(id: $id) { version } }`, map[string]any{"id": id}).Data, &cur); err != nil {
					t.Error(err)
					return
				}
				resp := srv.Query(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { version } } }`,
					map[string]any{"in": map[string]any{"id": id, "ifVersion": cur.User.Version, "title": fmt.Sprintf("c%d-%d", client, i)}})
				switch {
				case len(resp.Errors) == 0:
					mu.Lock()
					successes[id]++
					mu.Unlock()
				case resp.Errors[0].Code() != "CONFLICT":
					t.Errorf("client %d: %+v", client, resp.Errors)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range page.Users.Nodes {
		u := srv.DB.Client.User.Query().Where(user.ID(n.ID)).OnlyX(ctx)
		if u.Version != 1+successes[n.ID] {
			t.Errorf("user %s at version %d after %d successful updates", n.ID, u.Version, successes[n.ID])
		}
		total += successes[n.ID]
	}
	events := srv.DB.Client.AuditEvent.Query().Where(auditevent.Action("user.updated")).CountX(ctx) - eventsBefore
	if total == 0 || events != total {
		t.Fatalf("%d successful updates, %d log entries", total, events)
	}
	t.Logf("%d of 1600 updates succeeded, the rest conflicted", total)
}

func firstUserID(t *testing.T, srv *graphtest.Server) string {
	t.Helper()
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &out)
	return out.Users.Nodes[0].ID
}

func TestLinkAndUnlinkIdentity(t *testing.T) {
	srv := graphtest.New(t, 60)
	var data struct {
		Orphans struct{ Nodes []struct{ ID string } }
		Linked  struct {
			Nodes []struct {
				ID   string
				User struct{ ID string }
			}
		}
	}
	srv.Query(t, `{ orphans: identities(first: 1, where: {state: orphan}) { nodes { id } }
		linked: identities(first: 1, where: {state: active, hasUser: true}) { nodes { id user { id } } } }`, nil).Decode(t, &data)
	if len(data.Orphans.Nodes) == 0 || len(data.Linked.Nodes) == 0 {
		t.Fatalf("seed has no orphan or no linked identity: %+v", data)
	}
	orphan, linked := data.Orphans.Nodes[0].ID, data.Linked.Nodes[0]
	link := `mutation($in: LinkIdentityInput!) { linkIdentity(input: $in) { identity { state linkedBy user { id } } } }`
	unlink := `mutation($in: UnlinkIdentityInput!) { unlinkIdentity(input: $in) { identity { state linkedBy user { id } } } }`

	if resp := srv.Query(t, link, map[string]any{"in": map[string]any{"id": linked.ID, "userId": linked.User.ID}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "cannot link an identity that is active") {
		t.Fatalf("linking a linked identity: %+v", resp.Errors)
	}
	resp := srv.Query(t, link, map[string]any{"in": map[string]any{"id": orphan, "userId": linked.User.ID}})
	if want := `{"state":"active","linkedBy":"manual","user":{"id":"` + linked.User.ID + `"}}`; !strings.Contains(string(resp.Data), want) {
		t.Fatalf("link: %s %+v, want %s", resp.Data, resp.Errors, want)
	}
	resp = srv.Query(t, unlink, map[string]any{"in": map[string]any{"id": linked.ID}})
	if want := `{"state":"orphan","linkedBy":null,"user":null}`; !strings.Contains(string(resp.Data), want) {
		t.Fatalf("unlink: %s %+v", resp.Data, resp.Errors)
	}
	if resp := srv.Query(t, unlink, map[string]any{"in": map[string]any{"id": linked.User.ID}}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("a user id as identity: %+v", resp.Errors)
	}
	ctx := viewer.System(context.Background())
	for id, action := range map[string]string{orphan: "identity.linked", linked.ID: "identity.unlinked"} {
		ev := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(id)).OnlyX(ctx)
		if ev.Action != action || ev.SubjectUserID == nil || *ev.SubjectUserID != linked.User.ID || ev.ParentRecordID == nil {
			t.Errorf("%s: %+v", action, ev)
		}
	}
	if resp := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserManage), unlink, map[string]any{"in": map[string]any{"id": orphan}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Code() != "FORBIDDEN" || resp.Errors[0].Extensions["permission"] != "directory.identity.manage" {
		t.Fatalf("without directory.identity.manage: %+v", resp.Errors)
	}
}

func TestDeleteUserIsSoft(t *testing.T) {
	srv := graphtest.New(t, 40)
	var leaf struct {
		Users struct {
			TotalCount int
			Nodes      []struct {
				ID         string
				Manager    struct{ ID string }
				Identities struct{ Nodes []struct{ ID string } }
			}
		}
	}
	srv.Query(t, `{ users(first: 1, where: {hasDirectReports: false, hasSecondaryUsers: false, hasManager: true, hasIdentities: true}) {
		totalCount nodes { id manager { id } identities { nodes { id } } } } }`, nil).Decode(t, &leaf)
	victim := leaf.Users.Nodes[0]
	var before struct {
		Users   struct{ TotalCount int }
		Manager struct{ DirectReports struct{ TotalCount int } }
	}
	srv.Query(t, `query($m: ID!) { users { totalCount } manager: user(id: $m) { directReports { totalCount } } }`,
		map[string]any{"m": victim.Manager.ID}).Decode(t, &before)

	del := `mutation($in: UserActionInput!) { deleteUser(input: $in) { user { id deletedAt } } }`
	if resp := srv.Query(t, del, map[string]any{"in": map[string]any{"id": victim.Manager.ID}}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("deleting a manager: %+v", resp.Errors)
	}
	if resp := srv.Query(t, del, map[string]any{"in": map[string]any{"id": victim.ID}}); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), `"deletedAt":"`) {
		t.Fatalf("delete: %s %+v", resp.Data, resp.Errors)
	}
	var after struct {
		Users   struct{ TotalCount int }
		Manager struct {
			DirectReports struct {
				TotalCount int
				Nodes      []struct{ ID string }
			}
		}
		Identity struct {
			State string
			User  *struct{ ID string }
		}
	}
	srv.Query(t, `query($m: ID!, $i: ID!) { users { totalCount } manager: user(id: $m) { directReports { totalCount nodes { id } } }
		identity(id: $i) { state user { id } } }`,
		map[string]any{"m": victim.Manager.ID, "i": victim.Identities.Nodes[0].ID}).Decode(t, &after)
	if after.Users.TotalCount != before.Users.TotalCount-1 || after.Manager.DirectReports.TotalCount != before.Manager.DirectReports.TotalCount-1 {
		t.Fatalf("counts after the delete: users %d→%d, reports %d→%d", before.Users.TotalCount, after.Users.TotalCount,
			before.Manager.DirectReports.TotalCount, after.Manager.DirectReports.TotalCount)
	}
	for _, n := range after.Manager.DirectReports.Nodes {
		if n.ID == victim.ID {
			t.Fatal("the deleted user is still listed")
		}
	}
	if after.Identity.State != "orphan" || after.Identity.User != nil {
		t.Fatalf("the deleted user's identity: %+v", after.Identity)
	}
	for _, q := range []string{`query($id: ID!) { node(id: $id) { id } }`, `query($id: ID!) { user(id: $id) { id } }`} {
		if resp := srv.Query(t, q, map[string]any{"id": victim.ID}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "NOT_FOUND" {
			t.Fatalf("%s: %+v", q, resp.Errors)
		}
	}
	if resp := srv.Query(t, del, map[string]any{"in": map[string]any{"id": victim.ID}}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("deleting twice: %+v", resp.Errors)
	}
	// The row is still there, marked.
	u := srv.DB.Client.User.Query().Where(user.ID(victim.ID)).OnlyX(viewer.IncludeDeleted(viewer.System(context.Background())))
	if u.DeletedAt == nil {
		t.Fatal("the row lost its deletedAt")
	}
}

func TestPurgeUser(t *testing.T) {
	srv := graphtest.New(t, 40)
	var leaf struct {
		Users struct {
			Nodes []struct {
				ID         string
				Identities struct{ Nodes []struct{ ID string } }
			}
		}
	}
	srv.Query(t, `{ users(first: 2, where: {hasDirectReports: false, hasSecondaryUsers: false, hasIdentities: true}) {
		nodes { id identities { nodes { id } } } } }`, nil).Decode(t, &leaf)
	purge := `mutation($in: PurgeUserInput!) { purgeUser(input: $in) { purgedId clientMutationId } }`
	victim := leaf.Users.Nodes[0]
	if resp := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserManage), purge, map[string]any{"in": map[string]any{"id": victim.ID}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Code() != "FORBIDDEN" || resp.Errors[0].Extensions["permission"] != "directory.user.purge" {
		t.Fatalf("purge without its permission: %+v", resp.Errors)
	}
	// A soft-deleted user can be purged too.
	srv.Query(t, `mutation($in: UserActionInput!) { deleteUser(input: $in) { user { id } } }`, map[string]any{"in": map[string]any{"id": victim.ID}})
	resp := srv.Query(t, purge, map[string]any{"in": map[string]any{"id": victim.ID, "clientMutationId": "gdpr-1"}})
	if want := `{"purgeUser":{"purgedId":"` + victim.ID + `","clientMutationId":"gdpr-1"}}`; string(resp.Data) != want {
		t.Fatalf("purge: %s %+v", resp.Data, resp.Errors)
	}
	ctx := viewer.IncludeDeleted(viewer.System(context.Background()))
	if n := srv.DB.Client.User.Query().Where(user.ID(victim.ID)).CountX(ctx); n != 0 {
		t.Fatal("the purged row is still there")
	}
	if ev := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(victim.ID), auditevent.Action("user.purged")).CountX(ctx); ev != 1 {
		t.Fatalf("%d purge log entries", ev)
	}
	var ident struct{ Identity struct{ State string } }
	srv.Query(t, `query($id: ID!) { identity(id: $id) { state } }`, map[string]any{"id": victim.Identities.Nodes[0].ID}).Decode(t, &ident)
	if ident.Identity.State != "orphan" {
		t.Fatalf("identity of a purged user: %s", ident.Identity.State)
	}
	if resp := srv.Query(t, purge, map[string]any{"in": map[string]any{"id": victim.ID}}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("purging twice: %+v", resp.Errors)
	}
}

func TestIdempotencyKey(t *testing.T) {
	srv := graphtest.New(t, 5)
	send := func(token, key string, in map[string]any) graphtest.Response {
		body, _ := jsonMarshal(map[string]any{"query": createUser, "variables": map[string]any{"in": in}})
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		return srv.Do(t, req)
	}
	usersBefore, eventsBefore := counts(t, srv)
	first := send(srv.Token, "onboard-1", map[string]any{"email": "once@example.com"})
	again := send(srv.Token, "onboard-1", map[string]any{"email": "once@example.com"})
	if len(first.Errors) > 0 || string(first.Data) != string(again.Data) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %s %+v; retry %s %+v (%q)", first.Data, first.Errors, again.Data, again.Errors, again.Header.Get("Idempotent-Replayed"))
	}
	if u, e := counts(t, srv); u != usersBefore+1 || e != eventsBefore+1 {
		t.Fatalf("a retried mutation wrote twice: users +%d, events +%d", u-usersBefore, e-eventsBefore)
	}
	if resp := send(srv.Token, "onboard-1", map[string]any{"email": "other@example.com"}); resp.Status != 409 || resp.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("the key reused for another request: %d %+v", resp.Status, resp.Errors)
	}
	// A refused mutation wrote nothing, so its key is free again.
	if resp := send(srv.Token, "onboard-2", map[string]any{"email": "not an email"}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("bad email: %+v", resp.Errors)
	}
	if resp := send(srv.Token, "onboard-2", map[string]any{"email": "fixed@example.com"}); len(resp.Errors) > 0 {
		t.Fatalf("after a refusal the key stayed taken: %+v", resp.Errors)
	}
	// Keys belong to their token.
	other := srv.TokenFor(t, "demo", viewer.DirectoryUserManage, viewer.DirectoryUserView)
	if resp := send(other, "onboard-1", map[string]any{"email": "mine@example.com"}); len(resp.Errors) > 0 || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("another token's key: %+v", resp.Errors)
	}
	if resp := send(srv.Token, strings.Repeat("k", 300), map[string]any{"email": "long@example.com"}); resp.Status != 400 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("a 300-character key: %d %+v", resp.Status, resp.Errors)
	}
}

// TestIdempotencyKeyUnderConcurrency: the same key sent 8 times at once writes once.
func TestIdempotencyKeyUnderConcurrency(t *testing.T) {
	srv := graphtest.New(t, 5)
	usersBefore, _ := counts(t, srv)
	body, _ := jsonMarshal(map[string]any{"query": createUser, "variables": map[string]any{"in": map[string]any{"email": "race@example.com"}}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
			req.Header.Set("Idempotency-Key", "race")
			resp := srv.Do(t, req)
			outcome := "ok"
			switch {
			case len(resp.Errors) > 0:
				outcome = resp.Errors[0].Code()
			case resp.Header.Get("Idempotent-Replayed") == "true":
				outcome = "replayed"
			}
			mu.Lock()
			outcomes[outcome]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if u, _ := counts(t, srv); u != usersBefore+1 || outcomes["ok"] != 1 || outcomes["ok"]+outcomes["replayed"]+outcomes["CONFLICT"] != 8 {
		t.Fatalf("users +%d, outcomes %v", u-usersBefore, outcomes)
	}
}

func TestIntegrationsKeepOnePrimary(t *testing.T) {
	srv := graphtest.New(t, 10)
	primaries := func() []string {
		var out struct {
			Integrations struct{ Nodes []struct{ ID string } }
		}
		srv.Query(t, `{ integrations(where: {isPrimary: true}) { nodes { id } } }`, nil).Decode(t, &out)
		ids := []string{}
		for _, n := range out.Integrations.Nodes {
			ids = append(ids, n.ID)
		}
		return ids
	}
	original := primaries()
	if len(original) != 1 {
		t.Fatalf("seeded primaries: %v", original)
	}
	create := `mutation($in: CreateIntegrationInput!) { createIntegration(input: $in) { integration { id isPrimary } } }`
	var made struct {
		CreateIntegration struct {
			Integration struct {
				ID        string
				IsPrimary bool
			}
		}
	}
	srv.Query(t, create, map[string]any{"in": map[string]any{"vendor": "github", "kind": "app", "name": "GitHub", "isPrimary": true}}).Decode(t, &made)
	gh := made.CreateIntegration.Integration
	if got := primaries(); !gh.IsPrimary || len(got) != 1 || got[0] != gh.ID {
		t.Fatalf("after creating a primary: %v", got)
	}
	act := func(name, id string) graphtest.Response {
		return srv.Query(t, `mutation($in: IntegrationActionInput!) { `+name+`(input: $in) { integration { id isPrimary deletedAt } } }`,
			map[string]any{"in": map[string]any{"id": id}})
	}
	if resp := act("makeIntegrationPrimary", original[0]); len(resp.Errors) > 0 {
		t.Fatalf("moving the primary back: %+v", resp.Errors)
	}
	if got := primaries(); len(got) != 1 || got[0] != original[0] {
		t.Fatalf("after moving back: %v", got)
	}
	if resp := act("deleteIntegration", original[0]); len(resp.Errors) != 1 || resp.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("deleting an integration with identities: %+v", resp.Errors)
	}
	if resp := act("deleteIntegration", gh.ID); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), `"deletedAt":"`) {
		t.Fatalf("deleting an unused integration: %s %+v", resp.Data, resp.Errors)
	}
	var left struct {
		Integrations struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ integrations { nodes { id } } }`, nil).Decode(t, &left)
	for _, n := range left.Integrations.Nodes {
		if n.ID == gh.ID {
			t.Fatal("the deleted integration is still listed")
		}
	}
	if resp := srv.Query(t, `mutation($in: UpdateIntegrationInput!) { updateIntegration(input: $in) { integration { name version } } }`,
		map[string]any{"in": map[string]any{"id": original[0], "name": "Okta (prod)", "ifVersion": 1}}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("a stale integration update: %+v", resp.Errors) // version moved when the flag did
	}
	if resp := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserManage), create,
		map[string]any{"in": map[string]any{"vendor": "slack", "kind": "app", "name": "Slack 2"}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Extensions["permission"] != "integration.manage" {
		t.Fatalf("without integration.manage: %+v", resp.Errors)
	}
}

// TestWorkspaceLogFilters: the log of mutations is searchable by action, actor,
// subject, record and time, and needs audit.view.
func TestWorkspaceLogFilters(t *testing.T) {
	srv := graphtest.New(t, 5)
	start := time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)
	var made struct {
		CreateUser struct{ User struct{ ID string } }
	}
	srv.Query(t, createUser, map[string]any{"in": map[string]any{"email": "logged@example.com"}}).Decode(t, &made)
	id := made.CreateUser.User.ID
	srv.Query(t, `mutation($in: UserActionInput!) { activateUser(input: $in) { user { id } } }`, map[string]any{"in": map[string]any{"id": id}})
	tokenID, _, _ := strings.Cut(srv.Token, ".")
	query := `query($w: AuditEventWhereInput) { auditEvents(where: $w, orderBy: [{field: OCCURRED_AT}]) { totalCount nodes { action actor recordId subjectUser { id } } } }`
	for name, where := range map[string]map[string]any{
		"by record":  {"recordId": id},
		"by subject": {"hasSubjectUserWith": []map[string]any{{"id": id}}},
		"by actor":   {"actorContains": tokenID, "occurredAtGTE": start},
		"by time":    {"occurredAtGTE": start},
	} {
		var out struct {
			AuditEvents struct {
				TotalCount int
				Nodes      []struct {
					Action, Actor, RecordID string
					SubjectUser             struct{ ID string }
				}
			}
		}
		srv.Query(t, query, map[string]any{"w": where}).Decode(t, &out)
		got := out.AuditEvents
		if got.TotalCount != 2 || got.Nodes[0].Action != "user.created" || got.Nodes[1].Action != "user.activated" || got.Nodes[1].SubjectUser.ID != id {
			t.Errorf("%s: %+v", name, got)
		}
	}
	var byAction struct{ AuditEvents struct{ TotalCount int } }
	srv.Query(t, `{ auditEvents(where: {action: "user.activated"}) { totalCount } }`, nil).Decode(t, &byAction)
	if byAction.AuditEvents.TotalCount < 1 {
		t.Error("no user.activated entries")
	}
	if resp := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserView), `{ auditEvents { totalCount } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("the log without audit.view: %+v", resp.Errors)
	}
}

func TestResourcesAndMemberships(t *testing.T) {
	srv := graphtest.New(t, 10)
	var data struct {
		Identities struct {
			Nodes []struct {
				ID          string
				Integration struct{ ID, Vendor string }
			}
		}
		Integrations struct{ Nodes []struct{ ID, Vendor string } }
	}
	srv.Query(t, `{ identities(first: 1, where: {hasIntegrationWith: {vendor: okta}}) { nodes { id integration { id vendor } } }
		integrations(where: {vendor: slack}) { nodes { id vendor } } }`, nil).Decode(t, &data)
	member, okta, slack := data.Identities.Nodes[0].ID, data.Identities.Nodes[0].Integration.ID, data.Integrations.Nodes[0].ID

	create := `mutation($in: CreateResourceInput!) { createResource(input: $in) { resource { id name kind } } }`
	var made struct {
		CreateResource struct{ Resource struct{ ID string } }
	}
	srv.Query(t, create, map[string]any{"in": map[string]any{"integrationId": okta, "kind": "okta_group", "vendorId": "00g-new", "name": "New group"}}).Decode(t, &made)
	group := made.CreateResource.Resource.ID
	if resp := srv.Query(t, create, map[string]any{"in": map[string]any{"integrationId": okta, "kind": "okta_group", "vendorId": "00g-new", "name": "Again"}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Code() != "CONFLICT" || resp.Errors[0].Extensions["field"] != "vendorId" {
		t.Fatalf("a duplicate vendor id: %+v", resp.Errors)
	}
	var slackMade struct {
		CreateResource struct{ Resource struct{ ID string } }
	}
	srv.Query(t, create, map[string]any{"in": map[string]any{"integrationId": slack, "kind": "slack_public_channel", "vendorId": "C-new", "name": "#new"}}).Decode(t, &slackMade)

	add := `mutation($in: MembershipInput!) { addMembership(input: $in) { identity { id } resource { members { totalCount } } } }`
	remove := `mutation($in: MembershipInput!) { removeMembership(input: $in) { resource { members { totalCount } } } }`
	if resp := srv.Query(t, add, map[string]any{"in": map[string]any{"identityId": member, "resourceId": slackMade.CreateResource.Resource.ID}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Code() != "BAD_USER_INPUT" || resp.Errors[0].Extensions["field"] != "resourceId" {
		t.Fatalf("an Okta identity in a Slack channel: %+v", resp.Errors)
	}
	if resp := srv.Query(t, add, map[string]any{"in": map[string]any{"identityId": member, "resourceId": group, "role": "owner"}}); !strings.Contains(string(resp.Data), `"members":{"totalCount":1}`) {
		t.Fatalf("add: %s %+v", resp.Data, resp.Errors)
	}
	if resp := srv.Query(t, remove, map[string]any{"in": map[string]any{"identityId": member, "resourceId": group}}); !strings.Contains(string(resp.Data), `"members":{"totalCount":0}`) {
		t.Fatalf("remove: %s %+v", resp.Data, resp.Errors)
	}
	srv.Query(t, add, map[string]any{"in": map[string]any{"identityId": member, "resourceId": group}})
	if resp := srv.Query(t, `mutation($in: ResourceActionInput!) { deleteResource(input: $in) { resource { deletedAt } } }`,
		map[string]any{"in": map[string]any{"id": group, "ifVersion": 1}}); len(resp.Errors) != 0 || !strings.Contains(string(resp.Data), `"deletedAt":"`) {
		t.Fatalf("delete: %s %+v", resp.Data, resp.Errors)
	}
	if resp := srv.Query(t, remove, map[string]any{"in": map[string]any{"identityId": member, "resourceId": group}}); len(resp.Errors) != 1 || resp.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("a membership of a deleted resource: %+v", resp.Errors)
	}
	ctx := viewer.System(context.Background())
	actions := srv.DB.Client.AuditEvent.Query().Where(auditevent.ActionHasPrefix("resource.")).Select(auditevent.FieldAction).StringsX(ctx)
	added := srv.DB.Client.AuditEvent.Query().Where(auditevent.Action("membership.added"), auditevent.RecordID(member)).CountX(ctx)
	if len(actions) != 3 || added != 2 {
		t.Fatalf("log: %v, %d membership entries", actions, added)
	}
}
