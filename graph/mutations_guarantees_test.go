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
