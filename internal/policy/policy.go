// Package policy decides who a policy rule is for: whether a user passes a
// rule's conditions (qualified), whether the user should hold the rule's role
// now (manifest) or once something starts (staged), and why. The same
// definition is written twice, here in Go and compiled to SQL (compile.go),
// and tests hold the two to the same answers.
//
// Conditions. A rule is evaluated with its ruleset's conditions (those with
// no rule) and its own:
//
//   - user conditions name users; a named user qualifies whatever the other
//     conditions say;
//   - every other condition (attribute, manager, group) is a test, and a user
//     qualifies when there is at least one test and the user passes them all.
//     A rule with neither names nor tests qualifies nobody.
//
// Tests. attribute compares the user's value of Key (one of the six directory
// columns, or an open directory attribute; a missing attribute is "") with
// Value through Operator, case-sensitively; in and not_in take a
// comma-separated list, a space after a comma ignored. manager passes when the
// user reports directly to UserID. group passes when one of the user's
// identities is a member of the resource whose id is Value.
//
// States. Qualified counts users who are staged, active or expiring, for rules
// that are staged or active in a ruleset that is not archived. Manifest is what
// the user should hold now: an active or expiring user, an active rule of a
// managed ruleset, and the user qualifies or holds an active (or expiring)
// assignment of the rule. Staged is qualified but not yet manifest because the user, the rule
// or the ruleset is staged. Missing is manifest without an active assignment;
// unqualified is an active assignment without qualifying.
package policy

import "strings"

// Condition types.
const (
	TypeAttribute = "attribute"
	TypeUser      = "user"
	TypeGroup     = "group"
	TypeManager   = "manager"
)

// Operators of attribute conditions.
const (
	Equals      = "equals"
	NotEquals   = "not_equals"
	Contains    = "contains"
	NotContains = "not_contains"
	StartsWith  = "starts_with"
	EndsWith    = "ends_with"
	In          = "in"
	NotIn       = "not_in"
)

// Condition is one condition of a rule or of its whole ruleset.
type Condition struct {
	Type     string
	Key      string // the attribute an attribute condition compares
	Operator string
	Value    string // the expected value; a resource id for group conditions
	UserID   string // the user a user condition names; the manager of a manager condition
}

// Stored is a condition as the database holds it (policy_conditions).
func Stored(typ, key, operator, value string, userID *string) Condition {
	c := Condition{Type: typ, Key: key, Operator: operator, Value: value}
	if userID != nil {
		c.UserID = *userID
	}
	return c
}

// Subject is what the conditions read of a user.
type Subject struct {
	ID        string
	ManagerID string
	// Attributes holds the directory attributes, fixed and open; a missing key reads as "".
	Attributes map[string]string
	// Groups holds the resources the user's identities are members of.
	Groups map[string]bool
}

// Check is one condition applied to one user, for explanations.
type Check struct {
	Condition
	// Actual is what the condition read: the attribute's value, the user's
	// manager, the user's id, or the group's id when the user is in it.
	Actual string
	Pass   bool
}

// Test applies c to s.
func Test(c Condition, s Subject) Check {
	switch c.Type {
	case TypeAttribute:
		v := s.Attributes[c.Key]
		return Check{Condition: c, Actual: v, Pass: Compare(c.Operator, v, c.Value)}
	case TypeManager:
		return Check{Condition: c, Actual: s.ManagerID, Pass: s.ManagerID != "" && s.ManagerID == c.UserID}
	case TypeGroup:
		in := s.Groups[c.Value]
		actual := ""
		if in {
			actual = c.Value
		}
		return Check{Condition: c, Actual: actual, Pass: in}
	case TypeUser:
		return Check{Condition: c, Actual: s.ID, Pass: s.ID == c.UserID}
	}
	return Check{Condition: c}
}

// Compare applies an attribute operator: actual <op> expected.
func Compare(operator, actual, expected string) bool {
	switch operator {
	case Equals:
		return actual == expected
	case NotEquals:
		return actual != expected
	case Contains:
		return strings.Contains(actual, expected)
	case NotContains:
		return !strings.Contains(actual, expected)
	case StartsWith:
		return strings.HasPrefix(actual, expected)
	case EndsWith:
		return strings.HasSuffix(actual, expected)
	case In:
		return inList(actual, expected)
	case NotIn:
		return !inList(actual, expected)
	}
	return false
}

// inList reports whether v is an item of the comma-separated list: whether
// ",v," occurs in ",list," (which SQL can say too).
func inList(v, list string) bool {
	return strings.Contains(","+strings.ReplaceAll(list, ", ", ",")+",", ","+v+",")
}

// Qualifies reports whether s passes conditions: the ruleset's and the rule's together.
func Qualifies(s Subject, conditions []Condition) bool {
	tests := 0
	passed := true
	for _, c := range conditions {
		check := Test(c, s)
		if c.Type == TypeUser {
			if check.Pass {
				return true
			}
			continue
		}
		tests++
		passed = passed && check.Pass
	}
	return tests > 0 && passed
}

// States of the records a standing depends on.
type States struct {
	User, Rule, Ruleset string
	// Assigned is whether the user holds an active or expiring, live assignment of the rule.
	Assigned bool
}

// Standing is where a user stands with one rule. Missing and Unqualified are
// the drift between the standing and the assignments: in the manifest
// without an active assignment, and holding one without qualifying.
type Standing struct {
	Qualified, Manifest, Staged bool
	Missing, Unqualified        bool
}

// Stand combines whether the user passes the conditions with the states.
func Stand(passes bool, st States) Standing {
	userLive := st.User == "staged" || st.User == "active" || st.User == "expiring"
	ruleLive := (st.Rule == "staged" || st.Rule == "active") && st.Ruleset != "archived"
	qualified := passes && userLive && ruleLive
	manifest := (st.User == "active" || st.User == "expiring") && st.Rule == "active" &&
		st.Ruleset == "managed" && (qualified || st.Assigned)
	staged := qualified && !manifest && (st.User == "staged" || st.Rule == "staged" || st.Ruleset == "staged")
	return Standing{Qualified: qualified, Manifest: manifest, Staged: staged,
		Missing: manifest && !st.Assigned, Unqualified: st.Assigned && !qualified}
}
