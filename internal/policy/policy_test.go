package policy_test

import (
	"testing"

	"github.com/idgraph/idgraph/internal/policy"
)

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		op, actual, expected string
		want                 bool
	}{
		{policy.Equals, "Sales", "Sales", true},
		{policy.Equals, "sales", "Sales", false}, // case-sensitive
		{policy.Equals, "", "", true},
		{policy.NotEquals, "Sales", "Legal", true},
		{policy.NotEquals, "Sales", "Sales", false},
		{policy.Contains, "Director, Sales", "Sales", true},
		{policy.Contains, "Director", "", true},
		{policy.NotContains, "Director", "VP", true},
		{policy.StartsWith, "Director, Sales", "Director", true},
		{policy.StartsWith, "Dir", "Director", false},
		{policy.EndsWith, "Director, Sales", "Sales", true},
		{policy.EndsWith, "es", "Sales", false},
		{policy.EndsWith, "x", "", true},
		{policy.In, "Legal", "Sales,Legal", true},
		{policy.In, "Legal", "Sales, Legal", true}, // a space after a comma is ignored
		{policy.In, "Leg", "Sales,Legal", false},
		{policy.In, "", "Sales,,Legal", true},
		{policy.NotIn, "Finance", "Sales, Legal", true},
		{policy.NotIn, "Sales", "Sales, Legal", false},
		{"unknown", "a", "a", false},
	} {
		if got := policy.Compare(c.op, c.actual, c.expected); got != c.want {
			t.Errorf("%q %s %q = %v, want %v", c.actual, c.op, c.expected, got, c.want)
		}
	}
}

func TestQualifies(t *testing.T) {
	director := policy.Subject{ID: "u1", ManagerID: "m1",
		Attributes: map[string]string{"department": "Sales", "title": "Director, Sales"},
		Groups:     map[string]bool{"r1": true}}
	dept := policy.Condition{Type: policy.TypeAttribute, Key: "department", Operator: policy.Equals, Value: "Sales"}
	title := policy.Condition{Type: policy.TypeAttribute, Key: "title", Operator: policy.StartsWith, Value: "Director"}
	vp := policy.Condition{Type: policy.TypeAttribute, Key: "title", Operator: policy.StartsWith, Value: "VP"}
	named := func(id string) policy.Condition { return policy.Condition{Type: policy.TypeUser, UserID: id} }
	for _, c := range []struct {
		name       string
		conditions []policy.Condition
		want       bool
	}{
		{"no conditions qualify nobody", nil, false},
		{"one test passed", []policy.Condition{dept}, true},
		{"every test must pass", []policy.Condition{dept, title}, true},
		{"one failed test fails", []policy.Condition{dept, vp}, false},
		{"a named user qualifies whatever the tests say", []policy.Condition{vp, named("u1")}, true},
		{"naming someone else does not qualify", []policy.Condition{named("u2")}, false},
		{"names alone do not make tests", []policy.Condition{named("u2"), dept}, true},
		{"a missing attribute reads as empty", []policy.Condition{{Type: policy.TypeAttribute, Key: "desk", Operator: policy.Equals}}, true},
		{"manager", []policy.Condition{{Type: policy.TypeManager, UserID: "m1"}}, true},
		{"another manager", []policy.Condition{{Type: policy.TypeManager, UserID: "m2"}}, false},
		{"group", []policy.Condition{{Type: policy.TypeGroup, Value: "r1"}}, true},
		{"another group", []policy.Condition{{Type: policy.TypeGroup, Value: "r2"}}, false},
		{"an unknown type fails", []policy.Condition{{Type: "unknown"}}, false},
	} {
		if got := policy.Qualifies(director, c.conditions); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if policy.Qualifies(policy.Subject{ID: "u3"}, []policy.Condition{{Type: policy.TypeManager}}) {
		t.Error("a user without a manager passed a manager condition without a manager")
	}
}

func TestStand(t *testing.T) {
	type st = policy.States
	const T, F = true, false
	for _, c := range []struct {
		name                                         string
		passes                                       bool
		states                                       st
		qualified, manifest, staged, missing, unqual bool
	}{
		{"active user, active rule, managed ruleset, not yet assigned", T, st{"active", "active", "managed", F}, T, T, F, T, F},
		{"and assigned", T, st{"active", "active", "managed", T}, T, T, F, F, F},
		{"expiring users still hold access", T, st{"expiring", "active", "managed", F}, T, T, F, T, F},
		{"staged user", T, st{"staged", "active", "managed", F}, T, F, T, F, F},
		{"staged rule", T, st{"active", "staged", "managed", F}, T, F, T, F, F},
		{"staged ruleset", T, st{"active", "active", "staged", F}, T, F, T, F, F},
		{"unmanaged rulesets qualify but are not enforced", T, st{"active", "active", "unmanaged", F}, T, F, F, F, F},
		{"archived rulesets qualify nobody", T, st{"active", "active", "archived", F}, F, F, F, F, F},
		{"suspended rules qualify nobody", T, st{"active", "suspended", "managed", F}, F, F, F, F, F},
		{"a deactivated user's assignment is unqualified", T, st{"deactivated", "active", "managed", T}, F, F, F, F, T},
		{"an assignment keeps the rule in the manifest, unqualified", F, st{"active", "active", "managed", T}, F, T, F, F, T},
		{"not passing, not assigned", F, st{"active", "active", "managed", F}, F, F, F, F, F},
	} {
		want := policy.Standing{Qualified: c.qualified, Manifest: c.manifest, Staged: c.staged, Missing: c.missing, Unqualified: c.unqual}
		if got := policy.Stand(c.passes, c.states); got != want {
			t.Errorf("%s: %+v, want %+v", c.name, got, want)
		}
	}
}
