package graph_test

import (
	"fmt"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
)

// TestImportRecords: the import as a mutation, for batches of up to 1,000
// records: the same rules and summary as idgraph import, each kind of record
// under its manage permission, refusals by position.
func TestImportRecords(t *testing.T) {
	srv := graphtest.New(t, 5)
	srv.SeedTenant(t, "acme", 1)
	token := srv.TokenFor(t, "acme", "*")
	const mutation = `mutation($records: [Map!]!, $all: Boolean) { importRecords(input: {records: $records, allOrNothing: $all}) {
		users { created updated unchanged refused } identities { created } integrations { created } memberships { created }
		refused { index kind id code message } } }`
	// acme's seeded user and integrations are there beside the import.
	records := []any{
		map[string]any{"id": "wsint_okta", "vendor": "okta", "is_primary": true},
		map[string]any{"record_type": "user", "id": "u1", "email": "one@acme.io", "first_name": "One", "last_name": "Person"},
		map[string]any{"record_type": "identity", "id": "i1", "vendor_id": "00u1", "workspace_integration_id": "wsint_okta", "directory_user_id": "u1"},
		map[string]any{"record_type": "user", "id": "u2", "email": "not an address"},
	}
	type payload struct {
		ImportRecords struct {
			Users                                 struct{ Created, Updated, Unchanged, Refused int }
			Identities, Integrations, Memberships struct{ Created int }
			Refused                               []struct {
				Index         int
				Kind, ID      *string
				Code, Message string
			}
		}
	}
	var got payload
	srv.QueryAs(t, token, mutation, map[string]any{"records": records}).Decode(t, &got)
	p := got.ImportRecords
	if p.Users.Created != 1 || p.Identities.Created != 1 || p.Integrations.Created != 1 || len(p.Refused) != 1 ||
		p.Refused[0].Index != 3 || *p.Refused[0].ID != "u2" || p.Refused[0].Code != "BAD_USER_INPUT" {
		t.Fatalf("first batch: %+v", p)
	}
	var user struct {
		User struct {
			FullName   string
			Identities struct{ Nodes []struct{ ExternalID string } }
		}
	}
	srv.QueryAs(t, token, `{ user(externalId: "u1") { fullName identities { nodes { externalId } } } }`, nil).Decode(t, &user)
	if user.User.FullName != "One Person" || len(user.User.Identities.Nodes) != 1 || user.User.Identities.Nodes[0].ExternalID != "i1" {
		t.Errorf("the imported user: %+v", user.User)
	}
	// Again, all or nothing: the bad record stops the batch, and the rest is unchanged anyway.
	got = payload{}
	srv.QueryAs(t, token, mutation, map[string]any{"records": records, "all": true}).Decode(t, &got)
	if p := got.ImportRecords; p.Users.Unchanged != 0 || p.Users.Refused != 1 || len(p.Refused) != 1 {
		t.Errorf("all or nothing: %+v", p)
	}

	// directory_user_id null unlinks the account: an orphan, and the user's count follows.
	got = payload{}
	srv.QueryAs(t, token, mutation, map[string]any{"records": []any{map[string]any{"record_type": "identity", "id": "i1",
		"workspace_integration_id": "wsint_okta", "directory_user_id": nil}}}).Decode(t, &got)
	var orphan struct {
		Identity struct {
			State    string
			LinkedBy *string
			User     *struct{ ID string }
		}
		User struct{ Counts struct{ Identities int } }
	}
	srv.QueryAs(t, token, `{ identity(externalId: "i1") { state linkedBy user { id } } user(externalId: "u1") { counts { identities } } }`, nil).Decode(t, &orphan)
	if orphan.Identity.State != "orphan" || orphan.Identity.User != nil || orphan.Identity.LinkedBy != nil || orphan.User.Counts.Identities != 0 {
		t.Errorf("unlinked by import: %+v", orphan)
	}

	// Each kind under its own permission.
	usersOnly := srv.TokenFor(t, "acme", "directory.user.manage", "directory.user.view")
	if resp := srv.QueryAs(t, usersOnly, mutation, map[string]any{"records": records[1:3]}); len(resp.Codes()) != 1 || resp.Codes()[0] != "FORBIDDEN" {
		t.Errorf("identities without directory.identity.manage: %+v", resp.Errors)
	}
	viewOnly := srv.TokenFor(t, "acme", "directory.user.view")
	if resp := srv.QueryAs(t, viewOnly, mutation, map[string]any{"records": records[1:2]}); len(resp.Codes()) != 1 || resp.Codes()[0] != "FORBIDDEN" {
		t.Errorf("users without directory.user.manage: %+v", resp.Errors)
	}
	// A batch of 1,000 records, each with objects of its own, loads: a Map
	// value is data, not input objects. 1,001 are refused.
	batch := make([]any, 1000)
	for i := range batch {
		batch[i] = map[string]any{"record_type": "user", "id": fmt.Sprintf("b%d", i), "email": fmt.Sprintf("b%d@acme.io", i),
			"org": map[string]any{"department": "Ops"}, "metadata": map[string]any{"desk": map[string]any{"floor": i % 7}}}
	}
	got = payload{}
	srv.QueryAs(t, token, mutation, map[string]any{"records": batch}).Decode(t, &got)
	if got.ImportRecords.Users.Created != 1000 {
		t.Errorf("a batch of 1,000: %+v", got.ImportRecords)
	}
	many := make([]any, 1001)
	for i := range many {
		many[i] = map[string]any{"record_type": "user", "id": "x", "email": "x@acme.io"}
	}
	if resp := srv.QueryAs(t, token, mutation, map[string]any{"records": many}); len(resp.Codes()) != 1 || resp.Codes()[0] == "" {
		t.Errorf("1,001 records: %+v", resp.Errors)
	}
	// The demo tenant sees none of it.
	var demo struct{ Users struct{ TotalCount int } }
	srv.Query(t, `{ users(where: {externalId: "u1"}) { totalCount } }`, nil).Decode(t, &demo)
	if demo.Users.TotalCount != 0 {
		t.Errorf("another tenant sees %d imported users", demo.Users.TotalCount)
	}
}
