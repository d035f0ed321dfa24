package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

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
		// The seed logs the linking of some identities too: find this action's entry.
		ev := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(id), auditevent.Action(action)).OnlyX(ctx)
		if ev.Action != action || ev.SubjectUserID == nil || *ev.SubjectUserID != linked.User.ID || ev.ParentRecordID == nil {
			t.Errorf("%s: %+v", action, ev)
		}
	}
	if resp := srv.QueryAs(t, srv.TokenFor(t, "demo", viewer.DirectoryUserManage), unlink, map[string]any{"in": map[string]any{"id": orphan}}); len(resp.Errors) != 1 ||
		resp.Errors[0].Code() != "FORBIDDEN" || resp.Errors[0].Extensions["permission"] != "directory.identity.manage" {
		t.Fatalf("without directory.identity.manage: %+v", resp.Errors)
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
