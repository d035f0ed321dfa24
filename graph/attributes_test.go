package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/internal/viewer"
)

type attribute struct{ Key, Value string }

type attributedUser struct {
	ID         string
	Version    int
	Department string
	Attributes []attribute
	Counts     struct{ DirectoryAttributes int }
}

const attributesOf = `id version department attributes { key value } counts { directoryAttributes }`

func createWithAttributes(t *testing.T, srv *graphtest.Server, email string, attrs ...any) attributedUser {
	t.Helper()
	in := []map[string]any{}
	for i := 0; i < len(attrs); i += 2 {
		in = append(in, map[string]any{"key": attrs[i], "value": attrs[i+1]})
	}
	var out struct{ CreateUser struct{ User attributedUser } }
	srv.Query(t, `mutation($in: CreateUserInput!) { createUser(input: $in) { user { `+attributesOf+` } } }`,
		map[string]any{"in": map[string]any{"email": email, "attributes": in}}).Decode(t, &out)
	return out.CreateUser.User
}

func TestDirectoryAttributes(t *testing.T) {
	srv := graphtest.New(t, 10)
	u := createWithAttributes(t, srv, "attr@example.com", "location", "Berlin", "level", "L5", "department", "Sales")
	want := []attribute{{"department", "Sales"}, {"level", "L5"}, {"location", "Berlin"}}
	if !slices.Equal(u.Attributes, want) || u.Department != "Sales" || u.Counts.DirectoryAttributes != 3 {
		t.Fatalf("created %+v, want attributes %v", u, want)
	}

	t.Run("an update sets, changes and removes keys, and logs each", func(t *testing.T) {
		var out struct{ UpdateUser struct{ User attributedUser } }
		srv.Query(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { `+attributesOf+` } } }`,
			map[string]any{"in": map[string]any{"id": u.ID, "attributes": []map[string]any{
				{"key": "location", "value": "Paris"}, {"key": "level", "value": nil}, {"key": "desk", "value": "42"},
				{"key": "department", "value": nil},
			}}}).Decode(t, &out)
		got := out.UpdateUser.User
		want := []attribute{{"desk", "42"}, {"location", "Paris"}}
		if !slices.Equal(got.Attributes, want) || got.Department != "" || got.Version != u.Version+1 || got.Counts.DirectoryAttributes != 2 {
			t.Fatalf("updated %+v, want attributes %v", got, want)
		}
		ev := srv.DB.Client.AuditEvent.Query().Where(auditevent.RecordID(u.ID), auditevent.Action("user.updated")).
			OnlyX(viewer.System(context.Background()))
		for key, change := range map[string]string{
			"attributes.location": "map[after:Paris before:Berlin]",
			"attributes.level":    "map[after:<nil> before:L5]",
			"attributes.desk":     "map[after:42 before:<nil>]",
			"department":          "map[after: before:Sales]",
		} {
			if got := fmt.Sprint(ev.Changes[key]); got != change {
				t.Errorf("logged %s: %s, want %s", key, got, change)
			}
		}
	})

	t.Run("an update that changes nothing writes nothing", func(t *testing.T) {
		var out struct{ UpdateUser struct{ User attributedUser } }
		srv.Query(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { `+attributesOf+` } } }`,
			map[string]any{"in": map[string]any{"id": u.ID, "attributes": []map[string]any{
				{"key": "location", "value": "Paris"}, {"key": "nothing", "value": nil},
			}}}).Decode(t, &out)
		if out.UpdateUser.User.Version != u.Version+1 {
			t.Errorf("version %d after an update of nothing, want %d", out.UpdateUser.User.Version, u.Version+1)
		}
	})

	t.Run("a purge takes the attributes with the user", func(t *testing.T) {
		doomed := createWithAttributes(t, srv, "doomed@example.com", "location", "Oslo")
		resp := srv.Query(t, `mutation($id: ID!) { purgeUser(input: {id: $id}) { purgedId } }`, map[string]any{"id": doomed.ID})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		left := srv.DB.Client.UserAttribute.Query().Where(userattribute.UserID(doomed.ID)).CountX(viewer.System(context.Background()))
		if left != 0 {
			t.Errorf("%d attributes of a purged user left", left)
		}
	})

	t.Run("bad attributes are refused and write nothing", func(t *testing.T) {
		before := srv.DB.Client.UserAttribute.Query().CountX(viewer.System(context.Background()))
		for name, in := range map[string]map[string]any{
			"a key twice":        {"email": "twice@example.com", "attributes": []map[string]any{{"key": "a", "value": "1"}, {"key": "a", "value": "2"}}},
			"a malformed key":    {"email": "bad@example.com", "attributes": []map[string]any{{"key": "Has Space", "value": "1"}}},
			"a field and a key":  {"email": "both@example.com", "title": "CTO", "attributes": []map[string]any{{"key": "title", "value": "CEO"}}},
			"a value too long":   {"email": "long@example.com", "attributes": []map[string]any{{"key": "a", "value": string(make([]byte, 1025))}}},
			"a valid key beside": {"email": "beside@example.com", "attributes": []map[string]any{{"key": "ok", "value": "1"}, {"key": "-bad", "value": "1"}}},
		} {
			resp := srv.Query(t, `mutation($in: CreateUserInput!) { createUser(input: $in) { user { id } } }`, map[string]any{"in": in})
			if codes := resp.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
				t.Errorf("%s: %v", name, resp.Errors)
			}
		}
		if after := srv.DB.Client.UserAttribute.Query().CountX(viewer.System(context.Background())); after != before {
			t.Errorf("%d attribute rows before the refused writes, %d after", before, after)
		}
	})
}

func TestDirectoryAttributeFilters(t *testing.T) {
	srv := graphtest.New(t, 10)
	berlin := createWithAttributes(t, srv, "b@example.com", "location", "Berlin", "department", "Sales")
	bern := createWithAttributes(t, srv, "bern@example.com", "location", "Bern")
	paris := createWithAttributes(t, srv, "p@example.com", "location", "Paris", "department", "Sales")
	none := createWithAttributes(t, srv, "none@example.com", "department", "Legal")
	ours := []string{berlin.ID, bern.ID, paris.ID, none.ID}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`{key: "location", equals: "Berlin"}`, []string{berlin.ID}},
		{`{key: "location", in: ["Berlin", "Paris"]}`, []string{berlin.ID, paris.ID}},
		{`{key: "location", hasPrefix: "Ber"}`, []string{berlin.ID, bern.ID}},
		{`{key: "location", exists: true}`, []string{berlin.ID, bern.ID, paris.ID}},
		{`{key: "location", exists: false}`, []string{none.ID}},
		{`{key: "department", equals: "Sales"}`, []string{berlin.ID, paris.ID}},
		{`{key: "department", exists: false}`, []string{bern.ID}},
		{`[{key: "department", equals: "Sales"}, {key: "location", hasPrefix: "P"}]`, []string{paris.ID}},
		{`{key: "location", equals: "berlin"}`, nil}, // case-sensitive
	} {
		var out struct {
			Users struct{ Nodes []struct{ ID string } }
		}
		srv.Query(t, `query($ids: [ID!]) { users(first: 100, where: {idIn: $ids, attributes: `+c.filter+`}) { nodes { id } } }`,
			map[string]any{"ids": ours}).Decode(t, &out)
		var got []string
		for _, n := range out.Users.Nodes {
			got = append(got, n.ID)
		}
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", c.filter, got, want)
		}
	}

	t.Run("a filter gives exactly one test", func(t *testing.T) {
		resp := srv.Query(t, `{ users(where: {attributes: {key: "location", equals: "a", hasPrefix: "b"}}) { totalCount } }`, nil)
		if codes := resp.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
			t.Errorf("two tests in one filter: %v", resp.Errors)
		}
	})

	t.Run("another tenant's attributes never match", func(t *testing.T) {
		srv.SeedTenant(t, "other", 5)
		token := srv.TokenFor(t, "other", "*")
		var out struct{ Users struct{ TotalCount int } }
		srv.QueryAs(t, token, `{ users(where: {attributes: {key: "location", exists: true}}) { totalCount } }`, nil).Decode(t, &out)
		if out.Users.TotalCount != 0 {
			t.Errorf("the other tenant sees %d users with a location", out.Users.TotalCount)
		}
	})
}
