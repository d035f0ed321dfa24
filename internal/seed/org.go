package seed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/orgpath"
	"github.com/idgraph/idgraph/internal/store"
)

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Edsger",
		"Frances", "John", "Katherine", "Tim", "Sophie", "Vint", "Hedy", "Donald", "Annie", "Guido", "Dade", "Kate",
		"Sarah", "Robert", "Mei", "Ravi", "Fatima", "Omar", "Ingrid", "Kenji"}
	lastNames = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
		"Perlman", "Dijkstra", "Allen", "Backus", "Johnson", "Berners-Lee", "Wilson", "Cerf", "Lamarr", "Knuth",
		"Easley", "Rossum", "Murphy", "Libby", "Chen", "Martinez", "Tanaka", "Patel", "Haddad", "Nakamura"}
	departments = []struct{ name, division string }{
		{"Engineering", "Product & Engineering"}, {"Infrastructure", "Product & Engineering"},
		{"Security", "Product & Engineering"}, {"Sales", "Go To Market"}, {"Marketing", "Go To Market"},
		{"Customer Success", "Go To Market"}, {"Finance", "General & Administrative"},
		{"People", "General & Administrative"}, {"Legal", "General & Administrative"},
	}
	titles  = []string{"Engineer", "Senior Engineer", "Staff Engineer", "Analyst", "Specialist", "Associate", "Lead", "Consultant"}
	offices = []string{"New York", "London", "Berlin", "Singapore", "Remote", "Fargo Main", "Toronto"}
)

type person struct {
	id, first, last, email, username, dept, state string
	level                                         int
	manager                                       int // index, -1 for the chief executive
	active                                        bool
}

func (g *generator) write(ctx context.Context, w *writer) (Report, error) {
	var r Report
	c := w.c
	t := c.Tenant.Create().SetID(gid.NewFrom(gid.Tenant, base, g)).
		SetSlug(g.opts.Tenant).SetName(strings.ToUpper(g.opts.Tenant[:1]) + g.opts.Tenant[1:] + " Corp").
		SetCreatedAt(base)
	if err := insert(ctx, w, tenant.Table, tenant.Columns, []*ent.TenantCreate{t}); err != nil {
		return r, err
	}
	r.TenantID, _ = t.Mutation().ID()
	w.tenant = r.TenantID
	domain := g.opts.Tenant + ".example.com"

	people := g.org(domain)
	for _, p := range people {
		r.Depth = max(r.Depth, p.level+1)
	}
	if err := w.users(ctx, g, people); err != nil {
		return r, err
	}
	secondaries, err := w.secondaryUsers(ctx, g, people, domain)
	if err != nil {
		return r, err
	}
	r.Users = len(people) + secondaries
	if r.Attributes, err = w.attributes(ctx, g, people); err != nil {
		return r, err
	}

	ints := map[integration.Vendor]string{}
	var integrations []*ent.IntegrationCreate
	for _, in := range []struct {
		vendor  integration.Vendor
		kind    integration.Kind
		name    string
		primary bool
	}{
		{integration.VendorOkta, integration.KindIdp, "Okta", true},
		{integration.VendorGoogle, integration.KindDirectory, "Google Workspace", false},
		{integration.VendorSlack, integration.KindApp, "Slack", false},
		{integration.VendorGitlab, integration.KindApp, "GitLab", false},
	} {
		id := gid.NewFrom(gid.Integration, base, g)
		ints[in.vendor] = id
		integrations = append(integrations, c.Integration.Create().SetID(id).SetTenantID(w.tenant).SetVendor(in.vendor).
			SetKind(in.kind).SetName(in.name).SetHandle(string(in.vendor)).SetDomain(domain).SetIsPrimary(in.primary).
			SetLastSyncedAt(base.AddDate(0, 10, 0)).SetCreatedAt(base).SetUpdatedAt(base))
	}
	if err := insert(ctx, w, integration.Table, integration.Columns, integrations); err != nil {
		return r, err
	}

	res := g.resources(ints, len(people))
	if err := w.resources(ctx, res); err != nil {
		return r, err
	}
	r.Resources = len(res.all)

	idents, memberships, err := w.identities(ctx, g, people, ints, res)
	if err != nil {
		return r, err
	}
	if err := w.memberships(ctx, g, memberships); err != nil {
		return r, err
	}
	r.Identities, r.Memberships = len(idents), len(memberships)

	pol := w.policySet(g, people, res)
	if err := w.policies(ctx, pol); err != nil {
		return r, err
	}
	r.Rulesets, r.Rules, r.Conditions, r.Assignments = len(pol.rulesets), len(pol.rules), len(pol.conditions), len(pol.assignments)

	if r.AuditEvents, err = w.auditEvents(ctx, g, people, idents); err != nil {
		return r, err
	}
	return r, nil
}

// org lays out the reporting tree breadth first: one chief executive, and managers
// with 3 to 12 reports each. Only some users at each level manage, which keeps the
// tree deep (6 or more levels at 10,000 users) as real organisations are.
func (g *generator) org(domain string) []person {
	n := g.opts.Users
	people := make([]person, 0, n)
	taken := map[string]int{}
	add := func(manager, level int, dept string) {
		first, last := g.pick(firstNames), g.pick(lastNames)
		handle := strings.ToLower(first[:1] + strings.ReplaceAll(last, "-", ""))
		taken[handle]++
		if k := taken[handle]; k > 1 {
			handle = fmt.Sprintf("%s%d", handle, k)
		}
		state := "active"
		switch x := g.rng.IntN(100); {
		case x < 3:
			state = "staged"
		case x < 6:
			state = "expiring"
		case x < 8:
			state = "expired"
		case x < 10:
			state = "suspended"
		case x < 12:
			state = "deactivated"
		}
		if manager < 0 {
			state = "active"
		}
		people = append(people, person{
			id: gid.NewFrom(gid.User, g.at(600), g), first: first, last: last, email: handle + "@" + domain, username: handle,
			dept: dept, state: state, level: level, manager: manager,
			active: state == "active" || state == "expiring",
		})
	}
	add(-1, 0, "Executive")
	for next := 0; len(people) < n && next < len(people); next++ {
		if next > 0 && people[next].level > 1 && !g.chance(0.45) {
			continue
		}
		reports := 3 + g.rng.IntN(10)
		if next == 0 {
			reports = len(departments)
		}
		for i := 0; i < reports && len(people) < n; i++ {
			dept := people[next].dept
			if next == 0 {
				dept = departments[i].name
			}
			add(next, people[next].level+1, dept)
		}
	}
	// Breadth-first fill can strand users when every remaining candidate declined to manage.
	for len(people) < n {
		add(len(people)-1, people[len(people)-1].level+1, people[len(people)-1].dept)
	}
	return people
}

func division(dept string) string {
	for _, d := range departments {
		if d.name == dept {
			return d.division
		}
	}
	return "Office of the CEO"
}

// writer makes rows with ent's create builders (defaults and checks included)
// and hands them to the bulk inserter.
type writer struct {
	c      *ent.Client
	ins    store.Inserter
	tenant string
}

// valuer is a create builder: Values is the row it would insert.
type valuer interface{ Values() ([]any, error) }

// A table hands rows to the inserter a chunk at a time, as they are made: the
// inserter writes one chunk while the next is made, and a builder is garbage
// once its row is taken. Building every builder of a table first kept 1.5 GB
// live at 100,000 users and left the inserter waiting for the first chunk.
type table struct {
	w       *writer
	name    string
	columns []string
	rows    [][]any
	added   int
}

func (w *writer) table(name string, columns []string) *table {
	return &table{w: w, name: name, columns: columns}
}

// add takes b's row; a full chunk goes to the inserter.
func (t *table) add(ctx context.Context, b valuer) error {
	row, err := b.Values()
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	t.rows = append(t.rows, row)
	t.added++
	if len(t.rows) == insertChunk {
		return t.flush(ctx)
	}
	return nil
}

// flush hands the rows taken so far to the inserter, which keeps them.
func (t *table) flush(ctx context.Context) error {
	if len(t.rows) == 0 {
		return nil
	}
	rows := t.rows
	t.rows = make([][]any, 0, insertChunk)
	return t.w.ins.Insert(ctx, t.name, t.columns, rows)
}

// insert writes the rows of builders into the table called name.
func insert[B valuer](ctx context.Context, w *writer, name string, columns []string, builders []B) error {
	t := w.table(name, columns)
	for _, b := range builders {
		if err := t.add(ctx, b); err != nil {
			return err
		}
	}
	return t.flush(ctx)
}

// insertChunk is the rows handed to the inserter at once.
const insertChunk = 20_000

func (w *writer) users(ctx context.Context, g *generator, people []person) error {
	rows := w.table(user.Table, user.Columns)
	// Managers come before their reports, so each path extends one already
	// made (the triggers would compute the same, a row at a time) and every
	// manager_id refers to a row written before it.
	paths := make([]string, len(people))
	for i, p := range people {
		paths[i] = orgpath.Top
		if p.manager >= 0 {
			paths[i] = orgpath.Under(paths[p.manager], people[p.manager].id)
		}
	}
	for i, p := range people {
		first, last := p.first, p.last
		created := g.at(400)
		b := w.c.User.Create().SetID(p.id).SetTenantID(w.tenant).
			SetState(user.State(p.state)).SetFirstName(first).SetLastName(last).SetFullName(first + " " + last).
			SetEmail(p.email).SetUsername(p.username).SetReportingPath(paths[i]).
			SetEmployeeID(fmt.Sprintf("E%06d", i+1)).SetBadgeID(fmt.Sprintf("B%07d", g.rng.IntN(10_000_000))).
			SetType(user.TypeEmployee).SetTitle(titleOf(g, p)).SetDepartment(p.dept).SetDivision(division(p.dept)).
			SetCompany("Acme").SetOffice(g.pick(offices)).SetCostCenter(fmt.Sprintf("CC-%d", 1000+len(p.dept)*37)).
			SetMetadata(map[string]any{"employee_type": []string{"full-time", "part-time", "contractor"}[g.rng.IntN(3)]}).
			SetCreatedAt(created).SetUpdatedAt(created).SetProvisionedAt(created).
			SetLastAuthenticatedAt(base.AddDate(0, 11, 0).Add(-time.Duration(g.rng.IntN(2000)) * time.Hour))
		if p.manager >= 0 {
			b.SetManagerID(people[p.manager].id)
		}
		switch p.state {
		case "expiring":
			// One in ten expired while nobody applied it: serve expires it at
			// start. The rest expire years after the seed's clock.
			if i%10 == 0 {
				b.SetExpiresAt(base.AddDate(1, 1, 0))
			} else {
				b.SetExpiresAt(base.AddDate(5, 1, 0))
			}
		case "expired", "deactivated":
			b.SetExpiresAt(base.AddDate(0, 9, 0)).SetDeprovisionedAt(base.AddDate(0, 9, 0))
		}
		if i%40 == 7 {
			b.SetType(user.TypeVendor)
		}
		if err := rows.add(ctx, b); err != nil {
			return err
		}
	}
	return rows.flush(ctx)
}
