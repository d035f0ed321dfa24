package policy

import (
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
)

// FixedAttributes are the directory attributes stored as columns of users,
// named as their columns; every other key is an open attribute (user_attributes).
var FixedAttributes = []string{"title", "department", "division", "company", "office", "cost_center"}

// IsFixed reports whether key is one of FixedAttributes.
func IsFixed(key string) bool {
	for _, k := range FixedAttributes {
		if k == key {
			return true
		}
	}
	return false
}

// Rows names the rows the SQL forms read: qualified column references of a
// users row and of a policy_rules row (e.g. `"users"."id"`). The SQL is the
// same on both engines but for contains (instr on SQLite, strpos on PostgreSQL).
type Rows struct {
	Dialect string
	User    func(column string) string
	Rule    func(column string) string
}

// Passes is the SQL predicate "the user passes the rule's conditions": the
// conditions are read from policy_conditions, so one statement answers it for
// any rules and users (the form a page of users asks with: which rules each
// qualifies for).
func (r Rows) Passes() string {
	scope := fmt.Sprintf(`"c"."ruleset_id" = %s AND ("c"."rule_id" IS NULL OR "c"."rule_id" = %s) AND "c"."deleted_at" IS NULL`,
		r.Rule("ruleset_id"), r.Rule("id"))
	named := fmt.Sprintf(`EXISTS (SELECT 1 FROM "policy_conditions" AS "c" WHERE %s AND "c"."type" = '%s' AND "c"."user_id" = %s)`,
		scope, TypeUser, r.User("id"))
	anyTest := fmt.Sprintf(`EXISTS (SELECT 1 FROM "policy_conditions" AS "c" WHERE %s AND "c"."type" <> '%s')`, scope, TypeUser)
	failed := fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM "policy_conditions" AS "c" WHERE %s AND "c"."type" <> '%s' AND NOT %s)`,
		scope, TypeUser, r.test())
	return fmt.Sprintf(`(%s OR (%s AND %s))`, named, anyTest, failed)
}

// test is one condition "c" applied to the user, never NULL.
func (r Rows) test() string {
	var b strings.Builder
	b.WriteString(`COALESCE(CASE "c"."type"`)
	fmt.Fprintf(&b, ` WHEN '%s' THEN %s`, TypeAttribute, r.compare(r.attribute(`"c"."profile_key"`), `"c"."profile_value"`, `"c"."profile_operator"`))
	fmt.Fprintf(&b, ` WHEN '%s' THEN %s = "c"."user_id"`, TypeManager, r.User("manager_id"))
	fmt.Fprintf(&b, ` WHEN '%s' THEN %s`, TypeGroup, r.inGroup(`"c"."profile_value"`))
	b.WriteString(` ELSE 1 = 0 END, 1 = 0)`)
	return b.String()
}

// attribute is the user's value of the attribute named by the SQL expression key.
func (r Rows) attribute(key string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `CASE %s`, key)
	for _, k := range FixedAttributes {
		fmt.Fprintf(&b, ` WHEN '%s' THEN %s`, k, r.User(k))
	}
	fmt.Fprintf(&b, ` ELSE COALESCE((SELECT "a"."value" FROM "user_attributes" AS "a" WHERE "a"."user_id" = %s AND "a"."key" = %s AND "a"."deleted_at" IS NULL), '') END`,
		r.User("id"), key)
	return b.String()
}

// inGroup is "one of the user's identities is a member of the resource".
func (r Rows) inGroup(resource string) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM "identities" AS "gi" JOIN "memberships" AS "gm" ON "gm"."identity_id" = "gi"."id" AND "gm"."deleted_at" IS NULL WHERE "gi"."user_id" = %s AND "gi"."deleted_at" IS NULL AND "gm"."resource_id" = %s)`,
		r.User("id"), resource)
}

// compare is actual <operator> expected, for an operator given as SQL.
func (r Rows) compare(actual, expected, operator string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `CASE %s`, operator)
	for _, op := range []string{Equals, NotEquals, Contains, NotContains, StartsWith, EndsWith, In, NotIn} {
		fmt.Fprintf(&b, ` WHEN '%s' THEN %s`, op, r.compareWith(op, actual, expected))
	}
	b.WriteString(` ELSE 1 = 0 END`)
	return b.String()
}

// compareWith is actual <op> expected, for a known operator: Compare in SQL.
func (r Rows) compareWith(op, actual, expected string) string {
	contains := func(haystack, needle string) string {
		if r.Dialect == dialect.Postgres {
			return fmt.Sprintf(`strpos(%s, %s) > 0`, haystack, needle)
		}
		return fmt.Sprintf(`instr(%s, %s) > 0`, haystack, needle)
	}
	list := fmt.Sprintf(`',' || replace(%s, ', ', ',') || ','`, expected)
	item := fmt.Sprintf(`',' || %s || ','`, actual)
	switch op {
	case Equals:
		return fmt.Sprintf(`%s = %s`, actual, expected)
	case NotEquals:
		return fmt.Sprintf(`%s <> %s`, actual, expected)
	case Contains:
		return contains(actual, expected)
	case NotContains:
		return "NOT " + contains(actual, expected)
	case StartsWith:
		return fmt.Sprintf(`substr(%s, 1, length(%s)) = %s`, actual, expected, expected)
	case EndsWith:
		return fmt.Sprintf(`(length(%s) >= length(%s) AND substr(%s, length(%s) - length(%s) + 1) = %s)`,
			actual, expected, actual, actual, expected, expected)
	case In:
		return contains(list, item)
	case NotIn:
		return "NOT " + contains(list, item)
	}
	return "1 = 0"
}

// rulesetState is the state of the rule's ruleset; a deleted ruleset counts as archived.
func (r Rows) rulesetState() string {
	return fmt.Sprintf(`COALESCE((SELECT "rs"."state" FROM "policy_rulesets" AS "rs" WHERE "rs"."id" = %s AND "rs"."deleted_at" IS NULL), 'archived')`,
		r.Rule("ruleset_id"))
}

// assigned is "the user holds an active or expiring, live assignment of the rule".
func (r Rows) assigned() string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM "policy_assignments" AS "pa" WHERE "pa"."user_id" = %s AND "pa"."rule_id" = %s AND "pa"."state" IN ('active', 'expiring') AND "pa"."deleted_at" IS NULL)`,
		r.User("id"), r.Rule("id"))
}

// Relation names the three standings.
type Relation string

const (
	Qualified   Relation = "qualified"
	Manifest    Relation = "manifest"
	Staged      Relation = "staged"
	Missing     Relation = "missing"
	Unqualified Relation = "unqualified"
)

// Holds is the SQL predicate "the user stands in relation rel to the rule": Stand in SQL.
func (r Rows) Holds(rel Relation) string {
	user, rule, ruleset := r.User("state"), r.Rule("state"), r.rulesetState()
	qualified := fmt.Sprintf(`%s IN ('staged', 'active', 'expiring') AND %s IN ('staged', 'active') AND %s <> 'archived' AND %s`,
		user, rule, ruleset, r.Passes())
	manifest := fmt.Sprintf(`(%s IN ('active', 'expiring') AND %s = 'active' AND %s = 'managed' AND (%s OR %s))`,
		user, rule, ruleset, r.assigned(), r.Passes())
	switch rel {
	case Manifest:
		return manifest
	case Missing:
		return fmt.Sprintf(`(%s AND NOT %s)`, manifest, r.assigned())
	case Unqualified:
		return fmt.Sprintf(`(%s AND NOT (%s))`, r.assigned(), qualified)
	case Staged:
		return fmt.Sprintf(`(%s AND (%s = 'staged' OR %s = 'staged' OR %s = 'staged'))`, qualified, user, rule, ruleset)
	}
	return "(" + qualified + ")"
}
