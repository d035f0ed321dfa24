package graph_test

import (
	"context"
	"fmt"
	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/querylimit"
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
		// Five strings under the input limit, 20 KB of JSON together.
		{"metadata too large", srv.Token, map[string]any{"email": "z@example.com", "metadata": map[string]any{
			"a": strings.Repeat("x", 4000), "b": strings.Repeat("x", 4000), "c": strings.Repeat("x", 4000),
			"d": strings.Repeat("x", 4000), "e": strings.Repeat("x", 4000)}}, "BAD_USER_INPUT", "metadata"},
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
	// A change puts the person's old and new name in the log.
	if resp := srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, lastName: "Purgeable"}) { user { id } } }`,
		map[string]any{"id": victim.ID}); len(resp.Errors) > 0 {
		t.Fatalf("update: %+v", resp.Errors)
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
	// The log keeps what happened to the person and loses who they were.
	events := srv.DB.Client.AuditEvent.Query().Where(auditevent.Or(auditevent.RecordID(victim.ID), auditevent.SubjectUserID(victim.ID))).AllX(ctx)
	updated := false
	for _, ev := range events {
		changes := fmt.Sprint(ev.Changes)
		if strings.Contains(changes, "Purgeable") || strings.Contains(changes, "@") {
			t.Errorf("%s still holds the person's values: %s", ev.Action, changes)
		}
		if ev.Action == "user.updated" && strings.Contains(changes, "last_name") {
			updated = true
		}
	}
	if !updated {
		t.Errorf("the update's entry lost which fields changed: %v", events)
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

func firstUserID(t *testing.T, srv *graphtest.Server) string {
	t.Helper()
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ users(first: 1) { nodes { id } } }`, nil).Decode(t, &out)
	return out.Users.Nodes[0].ID
}

func TestSetParentUser(t *testing.T) {
	srv := graphtest.New(t, 30)
	var data struct {
		Secondary struct {
			Nodes []struct {
				ID         string
				ParentUser struct{ ID string }
			}
		}
		Plain struct{ Nodes []struct{ ID string } }
	}
	srv.Query(t, `{ secondary: users(first: 1, where: {hasParentUser: true}) { nodes { id parentUser { id } } }
		plain: users(first: 2, where: {hasParentUser: false, hasSecondaryUsers: false}) { nodes { id } } }`, nil).Decode(t, &data)
	secondary, owner := data.Secondary.Nodes[0].ID, data.Secondary.Nodes[0].ParentUser.ID
	a, b := data.Plain.Nodes[0].ID, data.Plain.Nodes[1].ID
	set := `mutation($in: SetParentUserInput!) { setParentUser(input: $in) { user { parentUser { id } } } }`
	for name, in := range map[string]map[string]any{
		"itself":                  {"id": a, "parentUserId": a},
		"under a secondary":       {"id": a, "parentUserId": secondary},
		"an owner of secondaries": {"id": owner, "parentUserId": a},
	} {
		if resp := srv.Query(t, set, map[string]any{"in": in}); len(resp.Errors) != 1 || resp.Errors[0].Extensions["field"] != "parentUserId" {
			t.Errorf("%s: %+v", name, resp.Errors)
		}
	}
	if resp := srv.Query(t, set, map[string]any{"in": map[string]any{"id": b, "parentUserId": a}}); !strings.Contains(string(resp.Data), `"parentUser":{"id":"`+a+`"}`) {
		t.Fatalf("a legal parent: %s %+v", resp.Data, resp.Errors)
	}
	if resp := srv.Query(t, set, map[string]any{"in": map[string]any{"id": b, "parentUserId": nil}}); !strings.Contains(string(resp.Data), `"parentUser":null`) {
		t.Fatalf("back to primary: %s %+v", resp.Data, resp.Errors)
	}
}

// TestEmailIsFreeAfterDelete: an address is unique among live users only, so a
// deleted person's address can go to someone new, and creating a user does not
// reveal who was deleted.
func TestEmailIsFreeAfterDelete(t *testing.T) {
	srv := graphtest.New(t, 10)
	create := `mutation { createUser(input: {email: "reused@example.com", firstName: "Re", lastName: "Used"}) { user { id } } }`
	created := func() string {
		var out struct {
			CreateUser struct{ User struct{ ID string } }
		}
		srv.Query(t, create, nil).Decode(t, &out)
		return out.CreateUser.User.ID
	}
	first := created()
	if got := srv.Query(t, create, nil); len(got.Errors) != 1 || got.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("a live duplicate: %+v", got.Errors)
	}
	if resp := srv.Query(t, `mutation($id: ID!) { deleteUser(input: {id: $id}) { user { id } } }`, map[string]any{"id": first}); len(resp.Errors) > 0 {
		t.Fatalf("delete: %+v", resp.Errors)
	}
	if second := created(); second == first {
		t.Fatal("the deleted user came back")
	}
}

// TestPurgeOfALongHistoryFitsTheBudget: redacting a person's log costs a few
// statements however many entries it has, so a long-lived user can be purged
// within the request's statement budget.
func TestPurgeOfALongHistoryFitsTheBudget(t *testing.T) {
	srv := graphtest.New(t, 10)
	var out struct {
		CreateUser struct{ User struct{ ID string } }
	}
	srv.Query(t, `mutation { createUser(input: {email: "long@example.com", firstName: "Long", lastName: "History"}) { user { id } } }`, nil).Decode(t, &out)
	id := out.CreateUser.User.ID
	for i := range 30 {
		if resp := srv.Query(t, `mutation($id: ID!, $t: String!) { updateUser(input: {id: $id, title: $t}) { user { id } } }`,
			map[string]any{"id": id, "t": fmt.Sprint("Title ", i)}); len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
	}
	tight := *srv
	tight.Handler = graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth,
		Limits: graph.Limits{Limits: querylimit.Limits{MaxStatements: 10}}})
	if resp := tight.Query(t, `mutation($id: ID!) { purgeUser(input: {id: $id}) { purgedId } }`, map[string]any{"id": id}); len(resp.Errors) > 0 {
		t.Fatalf("purging 31 log entries within a budget of 20 statements: %+v (%d statements)", resp.Errors, resp.Statements)
	}
}

// TestWriteRulesMatchTheSeeds: names and usernames are derived as the source
// directories derive them, email is one address whatever its case and must
// have a domain with a dot, and text fields are bounded with the limit named.
func TestWriteRulesMatchTheSeeds(t *testing.T) {
	srv := graphtest.New(t, 5)
	type userOut struct{ ID, FullName, Username, Email string }
	create := func(in map[string]any) (userOut, []string) {
		var out struct{ CreateUser struct{ User userOut } }
		resp := srv.Query(t, `mutation($in: CreateUserInput!) { createUser(input: $in) { user { id fullName username email } } }`,
			map[string]any{"in": in})
		if len(resp.Errors) == 0 {
			resp.Decode(t, &out)
		}
		return out.CreateUser.User, resp.Codes()
	}
	update := func(in map[string]any) (userOut, []string) {
		var out struct{ UpdateUser struct{ User userOut } }
		resp := srv.Query(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { id fullName username email } } }`,
			map[string]any{"in": in})
		if len(resp.Errors) == 0 {
			resp.Decode(t, &out)
		}
		return out.UpdateUser.User, resp.Codes()
	}

	john, codes := create(map[string]any{"email": "John.Young@example.com", "firstName": "John", "lastName": "Young"})
	if len(codes) > 0 || john.FullName != "John Young" || john.Username != "John.Young" || john.Email != "John.Young@example.com" {
		t.Fatalf("created %+v %v: want the full name and username derived, the email as given", john, codes)
	}
	if _, codes := create(map[string]any{"email": "john.young@EXAMPLE.com"}); len(codes) != 1 || codes[0] != "CONFLICT" {
		t.Errorf("the same address in another case: %v, want CONFLICT", codes)
	}
	for _, bad := range []map[string]any{
		{"email": "a@b"},
		{"email": "ok@example.com", "lastName": strings.Repeat("x", 300)},
		{"email": strings.Repeat("x", 250) + "@example.com"},
		{"email": "ok2@example.com", "employeeId": strings.Repeat("9", 65)},
	} {
		if _, codes := create(bad); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
			t.Errorf("%v: %v, want BAD_USER_INPUT", bad, codes)
		}
	}
	resp := srv.Query(t, `mutation { createUser(input: {email: "ok3@example.com", lastName: "`+strings.Repeat("x", 300)+`"}) { user { id } } }`, nil)
	if len(resp.Errors) != 1 || !strings.Contains(resp.Errors[0].Message, "the limit is 100") {
		t.Errorf("a long last name: %v, want the limit named", resp.Errors)
	}

	// Derived values follow their sources; chosen ones stay.
	if u, _ := update(map[string]any{"id": john.ID, "firstName": "Jon"}); u.FullName != "Jon Young" {
		t.Errorf("first name changed: full name %q, want Jon Young", u.FullName)
	}
	if u, _ := update(map[string]any{"id": john.ID, "email": "jy@example.com"}); u.Username != "jy" {
		t.Errorf("email changed: username %q, want jy", u.Username)
	}
	if u, codes := update(map[string]any{"id": john.ID, "email": "JY@example.com"}); len(codes) > 0 || u.Email != "JY@example.com" {
		t.Errorf("the user's own address in another case: %+v %v", u, codes)
	}
	// An explicit null clears a field that may be empty; one left out stays.
	var cleared struct {
		UpdateUser struct {
			User struct {
				BadgeID, EmployeeID *string
				Metadata            map[string]any
			}
		}
	}
	const fields = `{ user { badgeId employeeId metadata } }`
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, badgeId: "B1", employeeId: "E1", metadata: {team: "x"}}) `+fields+` }`,
		map[string]any{"id": john.ID})
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, badgeId: null, metadata: null}) `+fields+` }`,
		map[string]any{"id": john.ID}).Decode(t, &cleared)
	if u := cleared.UpdateUser.User; u.BadgeID != nil || u.Metadata != nil || u.EmployeeID == nil || *u.EmployeeID != "E1" {
		t.Errorf("after badgeId: null, metadata: null: badge %v, metadata %v, employee id %v (want cleared, cleared, kept)", u.BadgeID, u.Metadata, u.EmployeeID)
	}
	srv.Query(t, `mutation($id: ID!, $e: String) { updateUser(input: {id: $id, employeeId: $e}) `+fields+` }`,
		map[string]any{"id": john.ID, "e": nil}).Decode(t, &cleared)
	if cleared.UpdateUser.User.EmployeeID != nil {
		t.Errorf("a null variable left employeeId %q", *cleared.UpdateUser.User.EmployeeID)
	}

	// The account facts of seed 003: verification, consents, app and user metadata.
	var facts struct {
		UpdateUser struct {
			User struct {
				EmailVerified                                 bool
				PrivacyPolicyAgreedAt, TermsOfServiceAgreedAt *string
				AppMetadata, UserMetadata                     map[string]any
			}
		}
	}
	const factFields = `{ user { emailVerified privacyPolicyAgreedAt termsOfServiceAgreedAt appMetadata userMetadata } }`
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, emailVerified: true, privacyPolicyAgreedAt: "2021-02-09T14:37:33Z",
		termsOfServiceAgreedAt: "2021-02-09T14:37:33Z", appMetadata: {ident_user_id: "u1"}, userMetadata: {}}) `+factFields+` }`,
		map[string]any{"id": john.ID}).Decode(t, &facts)
	if u := facts.UpdateUser.User; !u.EmailVerified || u.PrivacyPolicyAgreedAt == nil || u.TermsOfServiceAgreedAt == nil ||
		u.AppMetadata["ident_user_id"] != "u1" || u.UserMetadata == nil {
		t.Errorf("account facts not kept: %+v", u)
	}
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, termsOfServiceAgreedAt: null, appMetadata: null}) `+factFields+` }`,
		map[string]any{"id": john.ID}).Decode(t, &facts)
	if u := facts.UpdateUser.User; u.TermsOfServiceAgreedAt != nil || u.AppMetadata != nil || u.PrivacyPolicyAgreedAt == nil {
		t.Errorf("after nulls: %+v (want terms and app metadata cleared, privacy kept)", u)
	}

	update(map[string]any{"id": john.ID, "fullName": "J. Young", "username": "jyoung"})
	if u, _ := update(map[string]any{"id": john.ID, "lastName": "Old", "email": "jold@example.com"}); u.FullName != "J. Young" || u.Username != "jyoung" {
		t.Errorf("chosen full name and username changed to %q, %q", u.FullName, u.Username)
	}
}

// TestOneAddressWhateverTheCaseUnderConcurrency: eight writers create users
// with one address in eight spellings at once; exactly one succeeds.
func TestOneAddressWhateverTheCaseUnderConcurrency(t *testing.T) {
	srv := graphtest.New(t, 3)
	spellings := []string{"race@example.com", "Race@example.com", "RACE@example.com", "rAce@example.com",
		"raCe@example.com", "racE@example.com", "RAce@example.com", "raCE@example.com"}
	codes := make(chan []string, len(spellings))
	var wg sync.WaitGroup
	for _, email := range spellings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- srv.Query(t, `mutation($e: String!) { createUser(input: {email: $e}) { user { id } } }`, map[string]any{"e": email}).Codes()
		}()
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch {
		case len(c) == 0:
			created++
		case len(c) != 1 || c[0] != "CONFLICT":
			t.Errorf("a writer got %v, want CONFLICT", c)
		}
	}
	if created != 1 {
		t.Errorf("%d users created with one address", created)
	}
}

// TestClearingWhatIsNotSetWritesNothing: null for a field that holds nothing
// (metadata, a consent time) is no change: no new version, no log entry.
func TestClearingWhatIsNotSetWritesNothing(t *testing.T) {
	srv := graphtest.New(t, 5)
	var created struct {
		CreateUser struct{ User struct{ ID string } }
	}
	srv.Query(t, `mutation { createUser(input: {email: "plain@example.com"}) { user { id } } }`, nil).Decode(t, &created)
	id := created.CreateUser.User.ID
	var updated struct {
		UpdateUser struct{ User struct{ Version int } }
	}
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, metadata: null, appMetadata: null, privacyPolicyAgreedAt: null}) {
		user { version } } }`, map[string]any{"id": id}).Decode(t, &updated)
	var log struct{ AuditEvents struct{ TotalCount int } }
	srv.Query(t, `query($id: String!) { auditEvents(where: {recordId: $id}) { totalCount } }`, map[string]any{"id": id}).Decode(t, &log)
	if updated.UpdateUser.User.Version != 1 || log.AuditEvents.TotalCount != 1 {
		t.Errorf("clearing empty fields: version %d, %d log entries (want 1 and the creation's 1)", updated.UpdateUser.User.Version, log.AuditEvents.TotalCount)
	}
}

// TestTheSameInstantIsNoChange: a time given again, in another offset, is
// the value the user has: no new version, no log entry.
func TestTheSameInstantIsNoChange(t *testing.T) {
	srv := graphtest.New(t, 5)
	var created struct {
		CreateUser struct{ User struct{ ID string } }
	}
	srv.Query(t, `mutation { createUser(input: {email: "consent@example.com", privacyPolicyAgreedAt: "2021-02-09T14:37:33Z"}) { user { id } } }`, nil).Decode(t, &created)
	var updated struct {
		UpdateUser struct{ User struct{ Version int } }
	}
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, privacyPolicyAgreedAt: "2021-02-09T15:37:33+01:00"}) { user { version } } }`,
		map[string]any{"id": created.CreateUser.User.ID}).Decode(t, &updated)
	if updated.UpdateUser.User.Version != 1 {
		t.Errorf("the same instant in another offset made version %d", updated.UpdateUser.User.Version)
	}
}
