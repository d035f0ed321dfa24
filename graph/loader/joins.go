package loader

import (
	"context"
	"strconv"
	"strings"
	"sync"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/ent"
)

// Joined references. A field such as manager { fullName } is served by the
// User ByID loader, one statement per level of the query. The statement that
// reads the rows holding the reference can read the referenced rows as well, by
// a LEFT JOIN on the foreign key, and hand them to the target's loader before
// any resolver asks: user(id:) { manager { manager { fullName } } } is then one
// statement instead of three, and identities { integration { vendor } } one
// instead of two.
//
// A join's ON clause is the target query's own predicates, those ent's
// interceptors add (tenancy, soft delete), so a joined row is exactly a row the
// target's loader would have returned. A reference the join does not find (a
// deleted manager) is left to the loader, which reports it as it always has.
// Fields guarded by a permission are not joined: rows a caller may not see are
// never read for it.

// maxJoins bounds the joins one statement carries; deeper references load on
// their own.
const maxJoins = 6

// A join reads the rows one reference points at.
type join struct {
	alias string
	// from is the join whose rows hold the reference, -1 for the statement's own rows.
	from int
	ref  reference
	// columns and plan are the projection and the joins of the field being
	// joined: they key the target loader's batch that the rows are cached in.
	columns []string
	plan    joinPlan
	// count, when set, makes this entry no join but the total of a connection
	// (field) of the rows, counted in a correlated subquery beside each row.
	count counter
	field string
}

// counter is a connection whose unfiltered total a statement reading its
// parents can select beside each of them (a Conn).
type counter interface {
	countPerRow(ctx context.Context, outer string) (*sql.Selector, error)
	primeCount(parent string, n int)
}

// A joinPlan is the joins of one statement, parents before their children.
type joinPlan []join

// key identifies a plan among the batches of one loader.
func (p joinPlan) key() string {
	var b strings.Builder
	for _, j := range p {
		b.WriteString(strconv.Itoa(j.from))
		if j.count != nil {
			b.WriteString("#" + j.field + ";")
			continue
		}
		b.WriteString(">" + j.ref.column + ":" + j.ref.target + "(" + strings.Join(j.columns, ",") + ");")
	}
	return b.String()
}

// fieldJoins is the plan of the references selected below an object field (or,
// for a connection, below its nodes).
func fieldJoins(ctx context.Context, typ, kind string, field graphql.CollectedField, selections []graphql.CollectedField) joinPlan {
	return memo(ctx, memoKey{siteOf(field), kind + " joins", typ}, func() joinPlan {
		var plan joinPlan
		oc := graphql.GetOperationContext(ctx)
		for _, sel := range selections {
			for _, f := range graphql.CollectFields(oc, sel.Selections, []string{typ, "Node"}) {
				if c := countedWith(ctx, typ, f); c != nil && len(plan) < maxJoins {
					plan = append(plan, join{from: -1, count: c, field: f.Name})
					continue
				}
				ref, ok := shapes[typ].references[f.Name]
				if !ok || ref.target == "" || len(f.Definition.Directives) > 0 {
					continue
				}
				child := fieldJoins(ctx, ref.target, "object", f, []graphql.CollectedField{f})
				if len(plan)+1+len(child) > maxJoins {
					continue
				}
				parent := len(plan)
				plan = append(plan, join{from: -1, ref: ref, columns: fieldProjection(ctx, ref.target, f), plan: child})
				for _, c := range child {
					c.from += parent + 1
					plan = append(plan, c)
				}
			}
		}
		for i := range plan {
			plan[i].alias = "j" + strconv.Itoa(i+1)
		}
		return plan
	})
}

// countedWith returns the counter of f, a connection field of typ, when the
// statement reading typ's rows can count it beside each of them: f asks for its
// totalCount alone, with no filter, and needs no permission of its own. The
// count then costs no statement of its own.
func countedWith(ctx context.Context, typ string, f graphql.CollectedField) counter {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok || len(f.Definition.Directives) > 0 {
		return nil
	}
	c := l.joins.counter(typ, f.Name)
	if c == nil {
		return nil
	}
	for _, a := range f.Arguments {
		if !pagingArguments[a.Name] {
			return nil
		}
	}
	selected := graphql.CollectFields(graphql.GetOperationContext(ctx), f.Selections, nil)
	if len(selected) == 0 {
		return nil
	}
	for _, s := range selected {
		if s.Name != "totalCount" && s.Name != "__typename" {
			return nil
		}
	}
	return c
}

// joinTarget is what joining a type needs from its loader.
type joinTarget struct {
	table string
	// condition is the target query's predicates, written against alias.
	condition func(ctx context.Context, alias string) (*sql.Predicate, error)
	// cache builds target rows from the values of one join (one per target) and
	// caches them in the target's loader, in the batch of columns and plan.
	cache func(columns []string, plan joinPlan, rows []func(column string) any) error
}

// joiner joins references for the loaders of one request.
type joiner struct {
	// newTarget makes the join target of a node type; target keeps the ones a
	// request uses.
	newTarget func(typ string) joinTarget
	mu        sync.Mutex
	targets   map[string]joinTarget
	// counter is the connection field of a type that can be counted beside its
	// parents' rows, or nil.
	counter func(typ, field string) counter
}

// target is the join target of typ.
func (j *joiner) target(typ string) joinTarget {
	j.mu.Lock()
	defer j.mu.Unlock()
	t, ok := j.targets[typ]
	if !ok {
		t = j.newTarget(typ)
		if j.targets == nil {
			j.targets = map[string]joinTarget{}
		}
		j.targets[typ] = t
	}
	return t
}

// joins returns the joins of plan, with their ON conditions for ctx, for a
// statement whose rows' columns column qualifies; nil when plan has none.
func (j *joiner) joins(ctx context.Context, plan joinPlan) (func(s *sql.Selector, column func(string) string), error) {
	if len(plan) == 0 {
		return nil, nil
	}
	conditions := make([]*sql.Predicate, len(plan))
	for i, jn := range plan {
		if jn.count != nil {
			continue
		}
		c, err := j.target(jn.ref.target).condition(ctx, jn.alias)
		if err != nil {
			return nil, err
		}
		conditions[i] = c
	}
	return func(s *sql.Selector, column func(string) string) {
		// of is column c of the rows a plan entry hangs off.
		of := func(jn join, c string) string {
			if jn.from < 0 {
				return column(c)
			}
			from := plan[jn.from]
			return sql.Table(j.target(from.ref.target).table).As(from.alias).C(c)
		}
		for i, jn := range plan {
			if jn.count != nil {
				count, err := jn.count.countPerRow(ctx, of(jn, "id"))
				if err != nil {
					s.AddError(err)
					return
				}
				s.AppendSelectExprAs(count, jn.alias).AppendSelect(sql.As(of(jn, "id"), jn.alias+".key"))
				continue
			}
			t := sql.Table(j.target(jn.ref.target).table).As(jn.alias)
			holder := of(jn, jn.ref.column)
			on := sql.ColumnsEQ(t.C("id"), holder)
			if conditions[i] != nil {
				on = sql.And(on, conditions[i])
			}
			s.LeftJoin(t).OnP(on)
			for _, c := range jn.read() {
				s.AppendSelect(sql.As(t.C(c), jn.alias+"."+c))
			}
		}
	}, nil
}

// joined runs fetch, which reads rows of N, with the joins of plan (nil when it
// has none), and caches the rows the joins read in their loaders.
func joined[N any](ctx context.Context, j *joiner, plan joinPlan, value func(*N, string) (ent.Value, error),
	fetch func(joins func(*sql.Selector, func(string) string)) ([]*N, error)) ([]*N, error) {
	joins, err := j.joins(ctx, plan)
	if err != nil {
		return nil, err
	}
	rows, err := fetch(joins)
	if err != nil || len(plan) == 0 {
		return rows, err
	}
	values := make([]func(string) any, len(rows))
	for i, r := range rows {
		values[i] = func(column string) any {
			v, _ := value(r, column)
			return v
		}
	}
	return rows, j.cache(plan, values)
}

// read is the columns a join reads: the id, then the projection.
func (jn join) read() []string {
	return append([]string{"id"}, jn.columns...)
}

// cache hands the rows each join of plan read to the target loaders. value
// returns a column of one row of the statement.
func (j *joiner) cache(plan joinPlan, rows []func(column string) any) error {
	for _, jn := range plan {
		if jn.count != nil {
			for _, value := range rows {
				parent, _ := value(jn.alias + ".key").(string)
				if n, ok := value(jn.alias).(int64); ok && parent != "" {
					jn.count.primeCount(parent, int(n))
				}
			}
			continue
		}
		// Many rows may point at one target (the integration of every identity):
		// each target is built once.
		var found []func(string) any
		seen := map[any]bool{}
		prefix := jn.alias + "."
		for _, value := range rows {
			get := func(column string) any { return value(prefix + column) }
			if id := get("id"); id != nil && !seen[id] {
				seen[id] = true
				found = append(found, get)
			}
		}
		if len(found) == 0 {
			continue
		}
		if err := j.target(jn.ref.target).cache(jn.read(), jn.plan, found); err != nil {
			return err
		}
	}
	return nil
}

// joinable is the joinTarget of a node type served by l.
func joinable[T any, P interface {
	*T
	FromValues([]string, func(string) any) error
}](l *ByID[T], table string, condition func(ctx context.Context, alias string) (*sql.Predicate, error)) joinTarget {
	return joinTarget{table: table, condition: condition,
		cache: func(columns []string, plan joinPlan, rows []func(string) any) error {
			nodes := make([]*T, len(rows))
			for i, get := range rows {
				nodes[i] = new(T)
				if err := P(nodes[i]).FromValues(columns, get); err != nil {
					return err
				}
			}
			l.cache(columns[1:], plan, nodes)
			return nil
		}}
}

// RootJoins returns an interceptor for the query of the root connection of typ
// being resolved: the statement that reads its rows (not the one that counts
// them) joins the references its nodes select, and the joined rows are cached in
// their loaders.
func RootJoins[N any](ctx context.Context, typ string, value func(*N, string) (ent.Value, error)) ent.Interceptor {
	l := For(ctx)
	fc := graphql.GetFieldContext(ctx)
	var plan joinPlan
	if !l.cfg.Bypass {
		plan = fieldJoins(ctx, typ, "nodes", fc.Field, nodeSelections(ctx, fc.Field))
	}
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			rows, ok := q.(interface{ ModifyRows(...func(*sql.Selector)) })
			if qc := entgo.QueryFromContext(ctx); len(plan) == 0 || !ok || qc == nil || qc.Op != entgo.OpQueryAll {
				return next.Query(ctx, q)
			}
			var v ent.Value
			_, err := joined(ctx, l.joins, plan, value, func(joins func(*sql.Selector, func(string) string)) ([]*N, error) {
				rows.ModifyRows(func(s *sql.Selector) { joins(s, s.C) })
				var err error
				v, err = next.Query(ctx, q)
				nodes, _ := v.([]*N)
				return nodes, err
			})
			return v, err
		})
	})
}
