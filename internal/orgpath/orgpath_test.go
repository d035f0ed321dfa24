package orgpath_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/orgpath"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/store/storetest"
	"github.com/idgraph/idgraph/internal/viewer"
)

func TestPaths(t *testing.T) {
	live := func(manager string) orgpath.Person { return orgpath.Person{Tenant: "t", Manager: manager, Live: true} }
	for _, tc := range []struct {
		name   string
		people map[string]orgpath.Person
		want   map[string]string
	}{
		{"a chain", map[string]orgpath.Person{"ceo": live(""), "vp": live("ceo"), "dev": live("vp")},
			map[string]string{"ceo": "/", "vp": "/ceo/", "dev": "/ceo/vp/"}},
		{"a deleted manager ends the line", map[string]orgpath.Person{
			"ceo": live(""), "vp": {Tenant: "t", Manager: "ceo"}, "dev": live("vp")},
			map[string]string{"ceo": "/", "vp": "/ceo/", "dev": "/"}},
		{"a manager in another tenant manages nobody here", map[string]orgpath.Person{
			"boss": {Tenant: "other", Live: true}, "dev": live("boss")},
			map[string]string{"boss": "/", "dev": "/"}},
		{"an unknown manager", map[string]orgpath.Person{"dev": live("gone")}, map[string]string{"dev": "/"}},
		{"a loop is cut before it repeats", map[string]orgpath.Person{"a": live("b"), "b": live("a"), "c": live("a")},
			map[string]string{"a": "/b/", "b": "/a/", "c": "/b/a/"}},
		{"a user managing itself", map[string]orgpath.Person{"a": live("a")}, map[string]string{"a": "/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := orgpath.Paths(tc.people); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Paths = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestManagersAndDepth(t *testing.T) {
	if got := orgpath.Managers("/ceo/vp/dir/"); !reflect.DeepEqual(got, []string{"dir", "vp", "ceo"}) {
		t.Errorf("Managers = %v", got)
	}
	if got := orgpath.Managers("/"); got != nil {
		t.Errorf("Managers of the top = %v", got)
	}
	for _, tc := range []struct {
		path, manager string
		want          int
	}{{"/ceo/vp/dir/", "dir", 1}, {"/ceo/vp/dir/", "vp", 2}, {"/ceo/vp/dir/", "ceo", 3}, {"/ceo/vp/", "dir", 0}, {"/", "ceo", 0}} {
		if got := orgpath.Depth(tc.path, tc.manager); got != tc.want {
			t.Errorf("Depth(%q, %q) = %d, want %d", tc.path, tc.manager, got, tc.want)
		}
	}
}

// TestTriggersKeepPaths writes an organisation through ent (as any writer
// would, not through the API's write path), moves people around at random,
// and after every write compares each stored path with the one computed
// from manager ids.
func TestTriggersKeepPaths(t *testing.T) {
	ctx := viewer.System(context.Background())
	dsn := storetest.DSN(t, "paths.db")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	c := db.Client
	tenants := []string{}
	for _, slug := range []string{"acme", "other"} {
		tn, err := c.Tenant.Create().SetSlug(slug).SetName(slug).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn.ID)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var ids []string
	for i := range 60 {
		create := c.User.Create().SetTenantID(tenants[0]).SetEmail(fmt.Sprintf("u%d@acme.test", i))
		if i > 0 {
			create.SetManagerID(ids[rng.IntN(len(ids))])
		}
		u, err := create.Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	outsider, err := c.User.Create().SetTenantID(tenants[1]).SetEmail("x@other.test").SetManagerID(ids[0]).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, outsider.ID)
	agree(t, ctx, c)

	for range 200 {
		who, to := ids[rng.IntN(len(ids)-1)], ids[rng.IntN(len(ids)-1)]
		u := c.User.UpdateOneID(who)
		if rng.IntN(8) == 0 {
			u.ClearManagerID()
		} else {
			u.SetManagerID(to)
		}
		_, err := u.Save(ctx)
		if err != nil {
			// The only refusal is a move under oneself.
			if !strings.Contains(err.Error(), "reporting line") {
				t.Fatal(err)
			}
			continue
		}
		agree(t, ctx, c)
	}

	// A loop already in the data (written with the triggers away), and paths
	// missing: opening the database computes them, cutting the loop.
	a, b := ids[1], ids[2]
	for _, stmt := range []string{
		`DROP TRIGGER IF EXISTS users_reporting_path_move` + onUsers(),
		fmt.Sprintf(`UPDATE users SET manager_id = '%s' WHERE id = '%s'`, b, a),
		fmt.Sprintf(`UPDATE users SET manager_id = '%s' WHERE id = '%s'`, a, b),
		`UPDATE users SET reporting_path = ''`,
	} {
		if _, err := db.SQL().ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if db, err = store.Open(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	agree(t, ctx, db.Client)
	var path string
	if err := db.SQL().QueryRowContext(ctx, `SELECT reporting_path FROM users WHERE id = '`+a+`'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if path != "/"+b+"/" {
		t.Errorf("a user in a loop has path %q, want /%s/", path, b)
	}
	// And the triggers are back.
	if _, err := db.Client.User.UpdateOneID(a).SetManagerID(ids[3]).Save(ctx); err != nil && !strings.Contains(err.Error(), "reporting line") {
		t.Fatal(err)
	}
	agree(t, ctx, db.Client)
}

func onUsers() string {
	if storetest.Postgres() {
		return " ON users"
	}
	return ""
}

// agree fails the test unless every stored path is the computed one.
func agree(t *testing.T, ctx context.Context, c *ent.Client) {
	t.Helper()
	all, err := c.User.Query().Select(user.FieldID, user.FieldTenantID, user.FieldManagerID, user.FieldReportingPath, user.FieldDeletedAt).All(viewer.IncludeDeleted(ctx))
	if err != nil {
		t.Fatal(err)
	}
	people := map[string]orgpath.Person{}
	for _, u := range all {
		p := orgpath.Person{Tenant: u.TenantID, Live: u.DeletedAt == nil}
		if u.ManagerID != nil {
			p.Manager = *u.ManagerID
		}
		people[u.ID] = p
	}
	want := orgpath.Paths(people)
	for _, u := range all {
		if u.ReportingPath != want[u.ID] {
			t.Fatalf("user %s has path %q, want %q", u.ID, u.ReportingPath, want[u.ID])
		}
	}
}
