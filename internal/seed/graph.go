package seed

import (
	"context"
	"fmt"
	"sort"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/auditevent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/integration"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/policyassignment"
	"github.com/idgraph/idgraph/ent/policycondition"
	"github.com/idgraph/idgraph/ent/policyrule"
	"github.com/idgraph/idgraph/ent/policyruleset"
	"github.com/idgraph/idgraph/ent/resource"
	"github.com/idgraph/idgraph/ent/user"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/orgpath"
)

func titleOf(g *generator, p person) string {
	switch {
	case p.level == 0:
		return "Chief Executive Officer"
	case p.level == 1:
		return "VP " + p.dept
	case p.level == 2:
		return "Director, " + p.dept
	}
	return g.pick(titles)
}

// secondaryUsers gives one engineer in 40 an admin account that belongs to them.
func (w *writer) secondaryUsers(ctx context.Context, g *generator, people []person, domain string) (int, error) {
	rows := w.table(user.Table, user.Columns)
	engineers := 0
	for _, p := range people {
		if p.dept != "Engineering" && p.dept != "Infrastructure" && p.dept != "Security" {
			continue
		}
		if engineers++; engineers%40 != 5 {
			continue
		}
		err := rows.add(ctx, w.c.User.Create().SetID(gid.NewFrom(gid.User, g.at(600), g)).SetTenantID(w.tenant).
			SetState(user.StateActive).SetFirstName(p.first).SetLastName(p.last).
			SetFullName(p.first+" "+p.last+" (admin)").SetEmail("admin-"+p.username+"@"+domain).
			SetUsername("admin-"+p.username).SetType(user.TypeAdministrator).SetDepartment(p.dept).
			SetDivision(division(p.dept)).SetParentUserID(p.id).SetReportingPath(orgpath.Top).
			SetCreatedAt(base).SetUpdatedAt(base))
		if err != nil {
			return 0, err
		}
	}
	return rows.added, rows.flush(ctx)
}

// attributes gives every fourth person an open directory attribute, level:
// L8 at the top of the organisation down to L1.
func (w *writer) attributes(ctx context.Context, g *generator, people []person) (int, error) {
	rows := w.table(userattribute.Table, userattribute.Columns)
	for i, p := range people {
		if i%4 != 0 {
			continue
		}
		err := rows.add(ctx, w.c.UserAttribute.Create().SetID(gid.NewFrom(gid.UserAttribute, base, g)).SetTenantID(w.tenant).
			SetUserID(p.id).SetKey("level").SetValue(fmt.Sprintf("L%d", max(1, 8-p.level))).SetCreatedAt(base).SetUpdatedAt(base))
		if err != nil {
			return 0, err
		}
	}
	return rows.added, rows.flush(ctx)
}

type resourceRow struct {
	id, integration, name string
	kind                  resource.Kind
	dept                  string // "" for company-wide resources
}

type resourceSet struct {
	all    []resourceRow
	byKind map[resource.Kind][]int
	byDept map[string][]int
}

// kinds lists resource kinds in a fixed order; ranging over kindVendor would not be deterministic.
var kinds = []resource.Kind{
	resource.KindOktaGroup, resource.KindGoogleWorkspaceGroup, resource.KindGoogleIdentityGroup,
	resource.KindGoogleWorkspaceDrive, resource.KindGoogleDriveFolder, resource.KindGoogleDriveDoc,
	resource.KindGoogleDriveSheet, resource.KindGoogleDriveDeck, resource.KindGoogleDriveFile,
	resource.KindSlackPublicChannel, resource.KindSlackPrivateChannel, resource.KindSlackGroup,
	resource.KindGitlabGroup, resource.KindGitlabProject,
}

var kindVendor = map[resource.Kind]integration.Vendor{
	resource.KindOktaGroup: integration.VendorOkta, resource.KindGoogleWorkspaceGroup: integration.VendorGoogle,
	resource.KindGoogleIdentityGroup: integration.VendorGoogle, resource.KindGoogleWorkspaceDrive: integration.VendorGoogle,
	resource.KindGoogleDriveFolder: integration.VendorGoogle, resource.KindGoogleDriveDoc: integration.VendorGoogle,
	resource.KindGoogleDriveSheet: integration.VendorGoogle, resource.KindGoogleDriveDeck: integration.VendorGoogle,
	resource.KindGoogleDriveFile: integration.VendorGoogle, resource.KindSlackPublicChannel: integration.VendorSlack,
	resource.KindSlackPrivateChannel: integration.VendorSlack, resource.KindSlackGroup: integration.VendorSlack,
	resource.KindGitlabGroup: integration.VendorGitlab, resource.KindGitlabProject: integration.VendorGitlab,
}

// resources makes a department group of every kind plus company-wide ones, scaled to the organisation.
func (g *generator) resources(ints map[integration.Vendor]string, users int) resourceSet {
	set := resourceSet{byKind: map[resource.Kind][]int{}, byDept: map[string][]int{}}
	perKind := max(1, users/400)
	for _, kind := range kinds {
		vendor := kindVendor[kind]
		for _, d := range departments {
			set.add(g, ints[vendor], kind, d.name, fmt.Sprintf("%s %s", d.name, kind))
		}
		for i := 0; i < perKind; i++ {
			set.add(g, ints[vendor], kind, "", fmt.Sprintf("%s %d", kind, i+1))
		}
	}
	return set
}

func (s *resourceSet) add(g *generator, integrationID string, kind resource.Kind, dept, name string) {
	s.all = append(s.all, resourceRow{id: gid.NewFrom(gid.Resource, base, g), integration: integrationID, name: name, kind: kind, dept: dept})
	i := len(s.all) - 1
	s.byKind[kind] = append(s.byKind[kind], i)
	s.byDept[dept] = append(s.byDept[dept], i)
}

func (w *writer) resources(ctx context.Context, set resourceSet) error {
	rows := w.table(resource.Table, resource.Columns)
	for i, r := range set.all {
		err := rows.add(ctx, w.c.Resource.Create().SetID(r.id).SetTenantID(w.tenant).SetKind(r.kind).
			SetVendorID(fmt.Sprintf("%s-%06d", r.kind, i)).SetName(r.name).SetHandle(fmt.Sprintf("r%06d", i)).
			SetIntegrationID(r.integration).SetCreatedAt(base).SetUpdatedAt(base))
		if err != nil {
			return err
		}
	}
	return rows.flush(ctx)
}

type identityRow struct {
	id, user, integration, email, name string
	vendor                             integration.Vendor
	state                              identity.State
	dept                               string
}

type membershipRow struct{ identity, resource string }

// identities gives every user an Okta account and most a Google, Slack and (in
// engineering) GitLab one, plus about 2% orphan accounts that match no user.
// Each account joins its department's resources on its vendor and a few
// company-wide ones. made is called with each account as it is made, in order.
func (g *generator) identities(people []person, ints map[integration.Vendor]string, res resourceSet,
	made func(int, identityRow) error) ([]identityRow, []membershipRow, error) {
	var ids []identityRow
	var ms []membershipRow
	// Candidate resources per (department, vendor) and company-wide per vendor,
	// computed once: scanning every resource per identity is quadratic.
	deptVendor := map[string][]int{}
	companyVendor := map[integration.Vendor][]int{}
	for i, r := range res.all {
		v := kindVendor[r.kind]
		if r.dept == "" {
			companyVendor[v] = append(companyVendor[v], i)
		} else {
			deptVendor[r.dept+"/"+string(v)] = append(deptVendor[r.dept+"/"+string(v)], i)
		}
	}
	join := func(in identityRow) {
		picked := map[int]bool{}
		for _, i := range deptVendor[in.dept+"/"+string(in.vendor)] {
			if g.chance(0.3) {
				picked[i] = true
			}
		}
		if company := companyVendor[in.vendor]; len(company) > 0 {
			for n := g.rng.IntN(4); n > 0; n-- {
				picked[company[g.rng.IntN(len(company))]] = true
			}
		}
		order := make([]int, 0, len(picked))
		for i := range picked {
			order = append(order, i)
		}
		sort.Ints(order) // map order is random; the output must not be
		for _, i := range order {
			ms = append(ms, membershipRow{identity: in.id, resource: res.all[i].id})
		}
	}
	for _, p := range people {
		state := identity.State(p.state)
		for _, v := range []struct {
			vendor integration.Vendor
			p      float64
		}{{integration.VendorOkta, 1}, {integration.VendorGoogle, 0.9}, {integration.VendorSlack, 0.8}, {integration.VendorGitlab, 0.15}} {
			p2 := v.p
			if v.vendor == integration.VendorGitlab && (p.dept == "Engineering" || p.dept == "Infrastructure" || p.dept == "Security") {
				p2 = 0.95
			}
			if !g.chance(p2) {
				continue
			}
			in := identityRow{id: gid.NewFrom(gid.Identity, base, g), user: p.id, integration: ints[v.vendor],
				email: p.email, name: p.first + " " + p.last, vendor: v.vendor, state: state, dept: p.dept}
			ids = append(ids, in)
			if err := made(len(ids)-1, in); err != nil {
				return nil, nil, err
			}
			join(in)
		}
		if g.chance(0.02) {
			in := identityRow{id: gid.NewFrom(gid.Identity, base, g), integration: ints[integration.VendorSlack],
				email: "guest-" + p.email, name: "Guest of " + p.first, vendor: integration.VendorSlack,
				state: identity.StateOrphan, dept: p.dept}
			ids = append(ids, in)
			if err := made(len(ids)-1, in); err != nil {
				return nil, nil, err
			}
			join(in)
		}
	}
	return ids, ms, nil
}

// identities makes the accounts and their memberships, writing each account
// as it is made.
func (w *writer) identities(ctx context.Context, g *generator, people []person, ints map[integration.Vendor]string,
	res resourceSet) ([]identityRow, []membershipRow, error) {
	out := w.table(identity.Table, identity.Columns)
	ids, ms, err := g.identities(people, ints, res, func(i int, r identityRow) error {
		b := w.c.Identity.Create().SetID(r.id).SetTenantID(w.tenant).SetState(r.state).
			SetVendorID(fmt.Sprintf("%s-%07d", r.vendor, i)).SetEmail(r.email).SetUsername(r.email).
			SetDisplayName(r.name).SetIntegrationID(r.integration).
			SetProfile(map[string]any{"email": r.email, "displayName": r.name, "department": r.dept}).
			SetLastSyncedAt(base.AddDate(0, 10, 0)).SetCreatedAt(base).SetUpdatedAt(base)
		if r.user != "" {
			b.SetUserID(r.user).SetLinkedBy(identity.LinkedByAuto)
		}
		return out.add(ctx, b)
	})
	if err == nil {
		err = out.flush(ctx)
	}
	return ids, ms, err
}

func (w *writer) memberships(ctx context.Context, g *generator, rows []membershipRow) error {
	out := w.table(membership.Table, membership.Columns)
	for _, r := range rows {
		err := out.add(ctx, w.c.Membership.Create().SetID(gid.NewFrom(gid.Membership, base, g)).SetTenantID(w.tenant).
			SetIdentityID(r.identity).SetResourceID(r.resource).SetRole(membership.RoleMember).
			SetCreatedAt(base).SetUpdatedAt(base))
		if err != nil {
			return err
		}
	}
	return out.flush(ctx)
}

type policySet struct {
	rulesets    []*ent.PolicyRulesetCreate
	rules       []*ent.PolicyRuleCreate
	conditions  []*ent.PolicyConditionCreate
	assignments []*ent.PolicyAssignmentCreate
}

// policies governs each department's Okta group with a directory_attribute ruleset:
// a Member rule for the department and an Admin rule for its directors, conditions on
// department and title, and an assignment for every qualified user. Staged users
// get staged assignments, as they are not in manifests until active.
func (w *writer) policySet(g *generator, people []person, res resourceSet) policySet {
	var ps policySet
	byDept := map[string][]person{}
	for _, p := range people {
		byDept[p.dept] = append(byDept[p.dept], p)
	}
	for _, i := range res.byKind[resource.KindOktaGroup] {
		r := res.all[i]
		if r.dept == "" {
			continue
		}
		rulesetID := gid.NewFrom(gid.PolicyRuleset, base, g)
		memberRule, adminRule := gid.NewFrom(gid.PolicyRule, base, g), gid.NewFrom(gid.PolicyRule, base, g)
		ps.rulesets = append(ps.rulesets, w.c.PolicyRuleset.Create().SetID(rulesetID).SetTenantID(w.tenant).
			SetName(r.dept+" members").SetState(policyruleset.StateManaged).SetType(policyruleset.TypeDirectoryAttribute).
			SetIsAuthoritative(r.dept == "Security").SetExpiresAfterDays(365).SetResourceID(r.id).
			SetCreatedAt(base).SetUpdatedAt(base))
		ps.rules = append(ps.rules,
			w.c.PolicyRule.Create().SetID(memberRule).SetTenantID(w.tenant).SetRulesetID(rulesetID).
				SetState(policyrule.StateActive).SetRoleName("Member").SetRoleHandle("member").SetPriority(10).
				SetDescription("Everyone in "+r.dept).SetCreatedAt(base).SetUpdatedAt(base),
			w.c.PolicyRule.Create().SetID(adminRule).SetTenantID(w.tenant).SetRulesetID(rulesetID).
				SetState(policyrule.StateStaged).SetRoleName("Admin").SetRoleHandle("admin").SetPriority(1).
				SetDescription("Directors of "+r.dept).SetCreatedAt(base).SetUpdatedAt(base))
		ps.conditions = append(ps.conditions,
			w.c.PolicyCondition.Create().SetID(gid.NewFrom(gid.PolicyCondition, base, g)).SetTenantID(w.tenant).
				SetRulesetID(rulesetID).SetType(policycondition.TypeAttribute).SetProfileKey("department").
				SetProfileOperator(policycondition.ProfileOperatorEquals).SetProfileValue(r.dept).
				SetCreatedAt(base).SetUpdatedAt(base),
			w.c.PolicyCondition.Create().SetID(gid.NewFrom(gid.PolicyCondition, base, g)).SetTenantID(w.tenant).
				SetRulesetID(rulesetID).SetRuleID(adminRule).SetType(policycondition.TypeAttribute).SetProfileKey("title").
				SetProfileOperator(policycondition.ProfileOperatorStartsWith).SetProfileValue("Director").
				SetCreatedAt(base).SetUpdatedAt(base))
		if r.dept == "Engineering" {
			// A rule on an open attribute that some engineers meet and most miss,
			// granted to nobody yet: its manifest is all drift.
			senior := gid.NewFrom(gid.PolicyRule, base, g)
			ps.rules = append(ps.rules, w.c.PolicyRule.Create().SetID(senior).SetTenantID(w.tenant).SetRulesetID(rulesetID).
				SetState(policyrule.StateActive).SetRoleName("Senior").SetRoleHandle("senior").SetPriority(5).
				SetDescription("Senior engineers").SetCreatedAt(base).SetUpdatedAt(base))
			ps.conditions = append(ps.conditions, w.c.PolicyCondition.Create().SetID(gid.NewFrom(gid.PolicyCondition, base, g)).
				SetTenantID(w.tenant).SetRulesetID(rulesetID).SetRuleID(senior).SetType(policycondition.TypeAttribute).
				SetProfileKey("level").SetProfileOperator(policycondition.ProfileOperatorOneOf).SetProfileValue("L6, L7, L8").
				SetCreatedAt(base).SetUpdatedAt(base))
		}
		for k, p := range byDept[r.dept] {
			if k%53 == 11 {
				// Drift: an admin assignment its holder does not qualify for.
				ps.assignments = append(ps.assignments, w.c.PolicyAssignment.Create().SetID(gid.NewFrom(gid.PolicyAssignment, base, g)).
					SetTenantID(w.tenant).SetUserID(p.id).SetRulesetID(rulesetID).SetRuleID(adminRule).
					SetState(policyassignment.StateActive).SetCreatedAt(base).SetUpdatedAt(base))
			}
			if k%61 == 7 {
				continue // drift: a member the manifest has and the assignments lack
			}
			if k%97 == 3 { // a few users are named explicitly
				ps.conditions = append(ps.conditions, w.c.PolicyCondition.Create().
					SetID(gid.NewFrom(gid.PolicyCondition, base, g)).SetTenantID(w.tenant).SetRulesetID(rulesetID).
					SetRuleID(memberRule).SetType(policycondition.TypeUser).SetUserID(p.id).
					SetDescription("Named member").SetCreatedAt(base).SetUpdatedAt(base))
			}
			state := policyassignment.State(p.state)
			a := w.c.PolicyAssignment.Create().SetID(gid.NewFrom(gid.PolicyAssignment, base, g)).SetTenantID(w.tenant).
				SetUserID(p.id).SetRulesetID(rulesetID).SetRuleID(memberRule).SetState(state).
				SetCreatedAt(base).SetUpdatedAt(base)
			if p.active {
				// A few lapsed long ago (serve expires them at start); the rest run for years.
				expires := base.AddDate(5, 1, 0)
				if k%97 == 5 {
					expires = base.AddDate(1, 1, 0)
				}
				a.SetActivatedAt(base.AddDate(0, 1, 0)).SetExpiresAt(expires)
			}
			ps.assignments = append(ps.assignments, a)
		}
	}
	return ps
}

func (w *writer) policies(ctx context.Context, ps policySet) error {
	if err := insert(ctx, w, policyruleset.Table, policyruleset.Columns, ps.rulesets); err != nil {
		return err
	}
	if err := insert(ctx, w, policyrule.Table, policyrule.Columns, ps.rules); err != nil {
		return err
	}
	if err := insert(ctx, w, policycondition.Table, policycondition.Columns, ps.conditions); err != nil {
		return err
	}
	return insert(ctx, w, policyassignment.Table, policyassignment.Columns, ps.assignments)
}

// auditEvents logs each user's creation and every fourth identity's linking, with
// the identity link as a child of the user's creation event.
func (w *writer) auditEvents(ctx context.Context, g *generator, people []person, ids []identityRow) (int, error) {
	rows := w.table(auditevent.Table, auditevent.Columns)
	created := map[string]string{}
	for _, p := range people {
		id := gid.NewFrom(gid.AuditEvent, base, g)
		created[p.id] = id
		err := rows.add(ctx, w.c.AuditEvent.Create().SetID(id).SetTenantID(w.tenant).SetAction("user.created").
			SetActor("scim:okta").SetSubjectUserID(p.id).SetRecordID(p.id).
			SetChanges(map[string]any{"state": map[string]any{"before": nil, "after": p.state}}).
			SetOccurredAt(base).SetCreatedAt(base).SetUpdatedAt(base))
		if err != nil {
			return 0, err
		}
	}
	for i, in := range ids {
		if in.user == "" || i%4 != 0 {
			continue
		}
		err := rows.add(ctx, w.c.AuditEvent.Create().SetID(gid.NewFrom(gid.AuditEvent, base, g)).SetTenantID(w.tenant).
			SetAction("identity.linked").SetActor("system:matcher").SetSubjectUserID(in.user).
			SetRecordID(in.id).SetParentRecordID(in.user).SetRelatedRecordID(in.integration).
			SetParentEventID(created[in.user]).SetOccurredAt(base.AddDate(0, 0, 1)).SetCreatedAt(base).SetUpdatedAt(base))
		if err != nil {
			return 0, err
		}
	}
	return rows.added, rows.flush(ctx)
}
