package graph_test

import (
	"context"
	"testing"

	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

// TestExternalIDs: users, integrations and resources keep the id their source
// system gave them (seed 003's users are GUIDs), unique among a tenant's live
// records of a type; user(externalId:) and identity(externalId:) find records
// by it, and where filters take it.
func TestExternalIDs(t *testing.T) {
	srv := graphtest.New(t, 5)
	const guid = "15679071-4a5e-41e3-a495-5d93b478257b"
	create := func(token, email, external string) []string {
		return srv.QueryAs(t, token, `mutation($e: String!, $x: String) { createUser(input: {email: $e, externalId: $x}) { user { id } } }`,
			map[string]any{"e": email, "x": external}).Codes()
	}
	if codes := create(srv.Token, "guid@example.com", guid); len(codes) > 0 {
		t.Fatalf("create with an external id: %v", codes)
	}
	var found struct {
		User  struct{ Email, ExternalID string }
		Users struct{ TotalCount int }
	}
	srv.Query(t, `query($x: String) { user(externalId: $x) { email externalId } users(where: {externalId: $x}) { totalCount } }`,
		map[string]any{"x": guid}).Decode(t, &found)
	if found.User.Email != "guid@example.com" || found.User.ExternalID != guid || found.Users.TotalCount != 1 {
		t.Errorf("found %+v", found)
	}
	resp := srv.Query(t, `mutation($x: String) { createUser(input: {email: "twice@example.com", externalId: $x}) { user { id } } }`, map[string]any{"x": guid})
	if codes := resp.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" || resp.Errors[0].Extensions["field"] != "externalId" {
		t.Errorf("a second user with the external id: %v", resp.Errors)
	}
	// Another tenant may hold the same external id; each sees its own.
	srv.SeedTenant(t, "other", 3)
	other := srv.TokenFor(t, "other", viewer.All)
	if codes := create(other, "guid@other.example.com", guid); len(codes) > 0 {
		t.Fatalf("the other tenant's user: %v", codes)
	}
	srv.QueryAs(t, other, `query($x: String) { user(externalId: $x) { email externalId } users(where: {externalId: $x}) { totalCount } }`,
		map[string]any{"x": guid}).Decode(t, &found)
	if found.User.Email != "guid@other.example.com" || found.Users.TotalCount != 1 {
		t.Errorf("the other tenant found %+v", found)
	}
	for _, q := range []string{
		`{ user(id: "drusr_01hk30epq00s8nm2t8dxwwg949", externalId: "x") { id } }`,
		`{ user { id } }`,
	} {
		if codes := srv.Query(t, q, nil).Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
			t.Errorf("%s: %v", q, codes)
		}
	}
	if codes := srv.Query(t, `{ user(externalId: "nobody") { id } }`, nil).Codes(); len(codes) != 1 || codes[0] != "NOT_FOUND" {
		t.Errorf("an unknown external id: %v", codes)
	}
	if codes := create(srv.Token, "empty@example.com", ""); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
		t.Errorf("an empty external id: %v", codes)
	}

	// A null removes it; a deleted user's external id is free again.
	var id struct{ User struct{ ID string } }
	srv.Query(t, `query($x: String) { user(externalId: $x) { id } }`, map[string]any{"x": guid}).Decode(t, &id)
	srv.Query(t, `mutation($id: ID!) { updateUser(input: {id: $id, externalId: null}) { user { id } } }`, map[string]any{"id": id.User.ID})
	if codes := srv.Query(t, `query($x: String) { user(externalId: $x) { id } }`, map[string]any{"x": guid}).Codes(); len(codes) != 1 || codes[0] != "NOT_FOUND" {
		t.Errorf("after externalId: null: %v", codes)
	}
	if codes := create(srv.Token, "again@example.com", guid); len(codes) > 0 {
		t.Errorf("the freed external id: %v", codes)
	}

	// Integrations and resources.
	var integ struct {
		CreateIntegration struct{ Integration struct{ ID string } }
	}
	srv.Query(t, `mutation { createIntegration(input: {vendor: okta, kind: idp, name: "Okta 2", externalId: "okta-org-7"}) { integration { id } } }`, nil).Decode(t, &integ)
	if codes := srv.Query(t, `mutation { createIntegration(input: {vendor: okta, kind: idp, name: "Okta 3", externalId: "okta-org-7"}) { integration { id } } }`, nil).Codes(); len(codes) != 1 || codes[0] != "CONFLICT" {
		t.Errorf("a second integration with the external id: %v", codes)
	}
	rsrc := `mutation($i: ID!, $v: String!, $x: String) { createResource(input: {integrationId: $i, kind: okta_group, vendorId: $v, name: "G", externalId: $x}) { resource { externalId } } }`
	if codes := srv.Query(t, rsrc, map[string]any{"i": integ.CreateIntegration.Integration.ID, "v": "g1", "x": "grp-1"}).Codes(); len(codes) > 0 {
		t.Errorf("a resource with an external id: %v", codes)
	}
	resp = srv.Query(t, rsrc, map[string]any{"i": integ.CreateIntegration.Integration.ID, "v": "g2", "x": "grp-1"})
	if codes := resp.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" || resp.Errors[0].Extensions["field"] != "externalId" {
		t.Errorf("a second resource with the external id: %v", resp.Errors)
	}

	// Identities arrive from their vendors (and imports) with theirs.
	ctx := viewer.System(context.Background())
	ident, err := srv.DB.Client.Identity.Query().Where(identity.UserIDNotNil()).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.DB.Client.Identity.UpdateOne(ident).SetExternalID("00u1abcd").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var byExternal struct{ Identity struct{ ID string } }
	srv.Query(t, `{ identity(externalId: "00u1abcd") { id } }`, nil).Decode(t, &byExternal)
	if byExternal.Identity.ID != ident.ID {
		t.Errorf("identity(externalId:) found %q, want %q", byExternal.Identity.ID, ident.ID)
	}
}
