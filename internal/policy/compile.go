package policy

import (
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// Rule is what the compiled form reads of one rule: its states and its
// conditions (its ruleset's and its own).
type Rule struct {
	ID, RulesetID, TenantID, State, RulesetState string
	Conditions                                   []Condition
}

// Users is the predicate "the users row of s stands in rel to rule", with
// the rule's conditions compiled into comparisons of the row's own columns
// and arguments, which the planner can serve from the indexes of users
// (department = ?) instead of testing every user against conditions read in
// the statement (that form took seconds for one rule at 100,000 users). It
// says what Qualifies and Stand say; TestCompiledAgrees holds it to them.
func Users(s *sql.Selector, rule Rule, rel Relation) *sql.Predicate {
	live := (rule.State == "staged" || rule.State == "active") && rule.RulesetState != "archived"
	state := s.C("state")
	qualified := func() *sql.Predicate {
		if !live {
			return never()
		}
		return sql.And(sql.In(state, "staged", "active", "expiring"), passes(s, rule.Conditions))
	}
	switch rel {
	case Manifest, Missing:
		if rule.State != "active" || rule.RulesetState != "managed" {
			return never()
		}
		if rel == Missing {
			return sql.And(sql.In(state, "active", "expiring"), passes(s, rule.Conditions), sql.Not(assigned(s, rule.ID)))
		}
		return sql.And(sql.In(state, "active", "expiring"), sql.Or(passes(s, rule.Conditions), assigned(s, rule.ID)))
	case Unqualified:
		return sql.And(assigned(s, rule.ID), sql.Not(qualified()))
	case Staged:
		if !live {
			return never()
		}
		qualified := sql.And(sql.In(state, "staged", "active", "expiring"), passes(s, rule.Conditions))
		if rule.State == "staged" || rule.RulesetState == "staged" {
			return qualified
		}
		return sql.And(qualified, sql.EQ(state, "staged"))
	}
	return qualified()
}

func never() *sql.Predicate { return sql.ExprP("1 = 0") }

// passes compiles Qualifies.
func passes(s *sql.Selector, conditions []Condition) *sql.Predicate {
	var named []any
	var tests []*sql.Predicate
	for _, c := range conditions {
		if c.Type == TypeUser {
			named = append(named, c.UserID)
			continue
		}
		tests = append(tests, test(s, c))
	}
	var either []*sql.Predicate
	if len(named) > 0 {
		either = append(either, sql.In(s.C("id"), named...))
	}
	if len(tests) > 0 {
		either = append(either, sql.And(tests...))
	}
	switch len(either) {
	case 0:
		return never()
	case 1:
		return either[0]
	}
	return sql.Or(either...)
}

// test compiles Test: true or false, never NULL, as in Go.
func test(s *sql.Selector, c Condition) *sql.Predicate {
	switch c.Type {
	case TypeAttribute:
		return compareCompiled(s, c)
	case TypeManager:
		// Never NULL, or NOT (...) over it would be NULL too.
		return sql.And(sql.NotNull(s.C("manager_id")), sql.EQ(s.C("manager_id"), c.UserID))
	case TypeGroup:
		i, m := sql.Table("identities").As("gi"), sql.Table("memberships").As("gm")
		members := sql.Select(i.C("user_id")).From(i).
			Join(m).OnP(sql.And(sql.ColumnsEQ(m.C("identity_id"), i.C("id")), sql.IsNull(m.C("deleted_at")))).
			Where(sql.And(sql.IsNull(i.C("deleted_at")), sql.EQ(m.C("resource_id"), c.Value), sql.NotNull(i.C("user_id"))))
		return sql.In(s.C("id"), members)
	}
	return never()
}

// compareCompiled is Compare on the user's value of the condition's key.
func compareCompiled(s *sql.Selector, c Condition) *sql.Predicate {
	// The columns are named now: the predicate is written later, when the
	// selector may have been rewritten around it.
	column, id := "", s.C("id")
	if IsFixed(c.Key) {
		column = s.C(c.Key)
	}
	value := func(b *sql.Builder) {
		if column != "" {
			b.WriteString(column)
			return
		}
		b.WriteString(`COALESCE((SELECT "a"."value" FROM "user_attributes" AS "a" WHERE "a"."user_id" = `).
			WriteString(id).WriteString(` AND "a"."key" = `).Arg(c.Key).
			WriteString(` AND "a"."deleted_at" IS NULL), '')`)
	}
	contains := func(b *sql.Builder, haystack, needle func(*sql.Builder)) {
		if b.Dialect() == dialect.Postgres {
			b.WriteString("strpos(")
		} else {
			b.WriteString("instr(")
		}
		haystack(b)
		b.WriteString(", ")
		needle(b)
		b.WriteString(") > 0")
	}
	arg := func(v any) func(*sql.Builder) { return func(b *sql.Builder) { b.Arg(v) } }
	n := utf8.RuneCountInString(c.Value)
	return sql.P(func(b *sql.Builder) {
		switch c.Operator {
		case Equals, NotEquals:
			op := " = "
			if c.Operator == NotEquals {
				op = " <> "
			}
			value(b)
			b.WriteString(op).Arg(c.Value)
		case Contains, NotContains:
			if c.Operator == NotContains {
				b.WriteString("NOT ")
			}
			contains(b, value, arg(c.Value))
		case StartsWith:
			b.WriteString("substr(")
			value(b)
			b.WriteString(", 1, ").Arg(n).WriteString(") = ").Arg(c.Value)
		case EndsWith:
			b.WriteString("(length(")
			value(b)
			b.WriteString(") >= ").Arg(n).WriteString(" AND substr(")
			value(b)
			b.WriteString(", length(")
			value(b)
			b.WriteString(") - ").Arg(n).WriteString(" + 1) = ").Arg(c.Value).WriteString(")")
		case In, NotIn:
			if c.Operator == NotIn {
				b.WriteString("NOT ")
			}
			list := "," + strings.ReplaceAll(c.Value, ", ", ",") + ","
			contains(b, arg(list), func(b *sql.Builder) {
				b.WriteString("',' || ")
				value(b)
				b.WriteString(" || ','")
			})
		default:
			b.WriteString("1 = 0")
		}
	})
}

// assigned is "the user holds an active or expiring, live assignment of the rule".
func assigned(s *sql.Selector, ruleID string) *sql.Predicate {
	a := sql.Table("policy_assignments").As("pa")
	holders := sql.Select(a.C("user_id")).From(a).
		Where(sql.And(sql.EQ(a.C("rule_id"), ruleID), sql.In(a.C("state"), "active", "expiring"), sql.IsNull(a.C("deleted_at"))))
	return sql.In(s.C("id"), holders)
}
