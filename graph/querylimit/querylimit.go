// Package querylimit measures a GraphQL operation before it runs (how deep it
// nests, how many fields it selects, and how many objects it could return) and
// refuses operations over the limits with QUERY_TOO_COMPLEX.
//
// Cost counts the objects a response could hold: every field with a selection
// set costs 1 for each time it can appear, a connection multiplies what is under
// it by its page size (first or last, else the default page), and scalars are
// free (they are columns of rows already counted). Fragments are expanded where
// they are spread, so a fragment used twice costs twice.
package querylimit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/idgraph/idgraph/internal/apierror"
)

// Limits are the most an operation may ask for.
type Limits struct {
	MaxDepth  int // field nesting, counting edges and node levels
	MaxFields int // field selections after expanding fragments, aliases included
	MaxCost   int // objects the response could hold
	// MaxStatements is the most SQL statements the operation could need: one per
	// object or connection field where it appears (aliases and fragments count
	// each time), since loaders batch the rest.
	MaxStatements int
	// DefaultPage is the page size of a connection asked without first or last.
	DefaultPage int
	// MaxPage is the largest first or last a connection accepts.
	MaxPage int
	// Input limits apply to every argument value, written in the query or sent
	// as a variable, before anything runs: filters become SQL (each input object
	// of a where tree a predicate or a subquery), records become writes.
	MaxInputDepth   int // nesting of input objects and lists
	MaxInputObjects int // input objects in all the operation's arguments
	MaxInputList    int // entries of one list or input object
	MaxInputString  int // bytes of one string
}

// Defaults suit the identity graph: a profile page with every relation costs
// about 300 and needs about 20 statements, a 100-user page with nested reports
// and identities about 21,000 and 6; a where tree ten has...With levels deep
// nests about 30.
var Defaults = Limits{MaxDepth: 15, MaxFields: 500, MaxCost: 50_000, MaxStatements: 100, DefaultPage: 100, MaxPage: 100,
	MaxInputDepth: 32, MaxInputObjects: 200, MaxInputList: 1_000, MaxInputString: 4_096}

// introspectionCost is what a __schema or __type selection costs in all: their
// answers come from memory, but a schema dump is large, so a handful at most.
const introspectionCost = 5_000

// costCeiling keeps multiplied page sizes from overflowing.
const costCeiling = int64(1) << 40

// Measure is what an operation asks for.
type Measure struct {
	Depth      int
	Fields     int
	Cost       int64 // objects
	Statements int   // object and connection fields, each time they appear
	// MaxPage is the largest first or last asked of a connection, MinPage the smallest.
	MaxPage, MinPage int64
	Input            Input
}

// Input measures the operation's argument values. The At fields give where the
// deepest value, the longest list and the longest string are (field.argument.
// key...), for error messages.
type Input struct {
	Depth, Objects, List, String int
	DepthAt, ListAt, StringAt    string
	// NULAt is where a string holds a NUL character, empty when none does:
	// idgraph stores none (PostgreSQL refuses them in text and JSON).
	NULAt string
}

// Of measures op. It stops walking once more than stopAfter fields are seen (0: never),
// so a fragment that expands exponentially costs no more than the limit.
func Of(op *ast.OperationDefinition, vars map[string]any, defaultPage, stopAfter int) Measure {
	// A value of the Map scalar (metadata, import records) is data stored as
	// it is, not input objects a resolver works through: its objects are not
	// counted, though its depth, lists and strings are.
	for _, def := range op.VariableDefinitions {
		if v, ok := vars[def.Variable]; ok && def.Type != nil && def.Type.Name() == mapScalar {
			if vars = maps.Clone(vars); vars != nil {
				vars[def.Variable] = data{v}
			}
		}
	}
	w := walker{vars: vars, defaultPage: int64(defaultPage), stopAfter: stopAfter}
	w.m.Cost = w.selections(op.SelectionSet, 0, 1)
	return w.m
}

type walker struct {
	vars        map[string]any
	defaultPage int64
	stopAfter   int
	stopInput   *Limits
	m           Measure
	// skipObjects: objects are not counted (the variables before the
	// operation's types are known); inData counts the Map values being walked.
	skipObjects bool
	inData      int
}

// mapScalar is the scalar of free-form JSON objects.
const mapScalar = "Map"

// data wraps the value of a variable of the Map scalar.
type data struct{ v any }

func (w *walker) selections(set ast.SelectionSet, depth int, mult int64) int64 {
	var cost int64
	for _, sel := range set {
		if w.stopAfter > 0 && w.m.Fields > w.stopAfter {
			return cost
		}
		switch s := sel.(type) {
		case *ast.Field:
			w.m.Fields++
			w.m.Depth = max(w.m.Depth, depth+1)
			if len(s.Arguments) > 0 {
				w.inputs(s)
			}
			switch {
			case strings.HasPrefix(s.Name, "__") && s.Name != "__typename":
				cost = add(cost, mul(mult, introspectionCost))
			case len(s.SelectionSet) > 0:
				if !wrappers[s.Name] {
					w.m.Statements++
				}
				cost = add(cost, mult)
				cost = add(cost, w.selections(s.SelectionSet, depth+1, mul(mult, w.fanOut(s))))
			}
		case *ast.InlineFragment:
			cost = add(cost, w.selections(s.SelectionSet, depth, mult))
		case *ast.FragmentSpread:
			if s.Definition != nil {
				cost = add(cost, w.selections(s.Definition.SelectionSet, depth, mult))
			}
		}
	}
	return cost
}

// wrappers are the fields of connections and payloads that hold what their
// parent loaded: they cost no statement of their own.
var wrappers = map[string]bool{"nodes": true, "edges": true, "node": true, "pageInfo": true, "counts": true}

// inputs measures the argument values of f, variables substituted.
func (w *walker) inputs(f *ast.Field) {
	for _, arg := range f.Arguments {
		v, err := arg.Value.Value(w.vars)
		if err != nil {
			continue // the validator reports it
		}
		w.value(v, []string{f.Name, arg.Name}, 1)
	}
}

// value measures v, found at path (field, argument, then keys and indexes),
// depth levels into the argument (1: the argument's value). It stops once the
// measure is over w.stopInput's limits: nothing more is needed to refuse it.
func (w *walker) value(v any, path []string, depth int) {
	in := &w.m.Input
	if w.stopInput != nil && w.stopInput.inputError(*in) != nil {
		return
	}
	entries := -1
	switch x := v.(type) {
	case data:
		w.inData++
		w.value(x.v, path, depth)
		w.inData--
		return
	case map[string]any:
		if !w.skipObjects && w.inData == 0 {
			in.Objects++
		}
		entries = len(x)
	case []any:
		entries = len(x)
	case string:
		if len(x) > in.String {
			in.String, in.StringAt = len(x), strings.Join(path, ".")
		}
		if in.NULAt == "" && strings.IndexByte(x, 0) >= 0 {
			in.NULAt = strings.Join(path, ".")
		}
		return
	default:
		return
	}
	if depth > in.Depth {
		in.Depth, in.DepthAt = depth, strings.Join(path, ".")
	}
	if entries > in.List {
		in.List, in.ListAt = entries, strings.Join(path, ".")
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			w.value(e, append(path, k), depth+1)
		}
	case []any:
		for i, e := range x {
			w.value(e, append(path, strconv.Itoa(i)), depth+1)
		}
	}
}

// fanOut is how many times the selections under f can repeat for one f.
func (w *walker) fanOut(f *ast.Field) int64 {
	if f.Definition == nil || len(f.SelectionSet) == 0 {
		return 1
	}
	args := f.ArgumentMap(w.vars)
	if strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		for _, name := range []string{"first", "last"} {
			if n, ok := toInt(args[name]); ok {
				w.m.MaxPage, w.m.MinPage = max(w.m.MaxPage, n), min(w.m.MinPage, n)
				return max(n, 0)
			}
		}
		return w.defaultPage
	}
	if ids, ok := args["ids"].([]any); ok && f.Definition.Type.Elem != nil {
		return int64(len(ids))
	}
	// A list the schema sizes (@listSize): a management chain is a dozen levels.
	if d := f.Definition.Directives.ForName("listSize"); d != nil {
		if a := d.Arguments.ForName("assumed"); a != nil {
			if n, err := strconv.ParseInt(a.Value.Raw, 10, 64); err == nil {
				return n
			}
		}
	}
	return 1
}

// toInt reads an Int argument, whether it came from the document (int64) or from
// JSON variables (json.Number, or float64 from a decoder without UseNumber).
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	}
	return 0, false
}

func add(a, b int64) int64 { return min(a+b, costCeiling) }

func mul(a, b int64) int64 {
	if a != 0 && b > costCeiling/a {
		return costCeiling
	}
	return min(a*b, costCeiling)
}

// ExtensionName, Validate and MutateOperationContext make Limits a gqlgen
// extension that checks every operation after validation, before it executes.
func (Limits) ExtensionName() string                   { return "QueryLimits" }
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }
func (l Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	m := Of(oc.Operation, oc.Variables, l.DefaultPage, l.MaxFields)
	if err := l.inputError(m.Input); err != nil {
		return err
	}
	switch {
	case l.MaxPage > 0 && (m.MaxPage > int64(l.MaxPage) || m.MinPage < 0):
		bad := m.MaxPage
		if m.MinPage < 0 {
			bad = m.MinPage
		}
		return &gqlerror.Error{
			Message:    fmt.Sprintf("first and last must be between 0 and %d, got %d", l.MaxPage, bad),
			Extensions: map[string]any{"code": apierror.CodeBadUserInput, "limit": l.MaxPage},
		}
	case l.MaxFields > 0 && m.Fields > l.MaxFields:
		return tooComplex(fmt.Sprintf("the query selects more than %d fields (aliases and fragments count each time they appear)", l.MaxFields),
			map[string]any{"fields": m.Fields, "limit": l.MaxFields})
	case l.MaxDepth > 0 && m.Depth > l.MaxDepth:
		return tooComplex(fmt.Sprintf("the query nests %d levels deep; the limit is %d", m.Depth, l.MaxDepth),
			map[string]any{"depth": m.Depth, "limit": l.MaxDepth})
	case l.MaxStatements > 0 && m.Statements > l.MaxStatements:
		return tooComplex(fmt.Sprintf("the query could need %d SQL statements; the limit is %d (each object or connection field costs one wherever it appears, aliases included)", m.Statements, l.MaxStatements),
			map[string]any{"statements": m.Statements, "limit": l.MaxStatements})
	case l.MaxCost > 0 && m.Cost > int64(l.MaxCost):
		return tooComplex(fmt.Sprintf("the query could return %d objects; the limit is %d (ask for smaller pages or fewer nested connections)", m.Cost, l.MaxCost),
			map[string]any{"cost": m.Cost, "limit": l.MaxCost})
	}
	return nil
}

// Variables checks the request's variables, as decoded from JSON, against the
// input limits before anything else reads them: coercing tens of thousands of
// input objects to their types costs more than refusing them. The operation's
// arguments are checked again once variables are substituted, with the values
// written in the query.
func (l Limits) Variables(vars map[string]any) *gqlerror.Error {
	// Objects are counted with the operation (Of), which knows the values
	// that are data rather than input objects.
	w := walker{stopInput: &l, skipObjects: true}
	for name, v := range vars {
		w.value(v, []string{"$" + name}, 1)
	}
	return l.inputError(w.m.Input)
}

// inputError refuses input over the limits.
func (l Limits) inputError(in Input) *gqlerror.Error {
	switch {
	case l.MaxInputDepth > 0 && in.Depth > l.MaxInputDepth:
		return tooComplex(fmt.Sprintf("the value at %s nests %d levels deep; the limit is %d", in.DepthAt, in.Depth, l.MaxInputDepth),
			map[string]any{"inputDepth": in.Depth, "limit": l.MaxInputDepth})
	case l.MaxInputObjects > 0 && in.Objects > l.MaxInputObjects:
		return tooComplex(fmt.Sprintf("the arguments hold %d input objects; the limit is %d", in.Objects, l.MaxInputObjects),
			map[string]any{"inputObjects": in.Objects, "limit": l.MaxInputObjects})
	case l.MaxInputList > 0 && in.List > l.MaxInputList:
		return badInput(fmt.Sprintf("the value at %s has %d entries; the limit is %d", in.ListAt, in.List, l.MaxInputList),
			map[string]any{"inputList": in.List, "limit": l.MaxInputList})
	case l.MaxInputString > 0 && in.String > l.MaxInputString:
		return badInput(fmt.Sprintf("the string at %s is %d bytes long; the limit is %d", in.StringAt, in.String, l.MaxInputString),
			map[string]any{"inputString": in.String, "limit": l.MaxInputString})
	case in.NULAt != "":
		return badInput(fmt.Sprintf("the string at %s holds a NUL character (\\u0000), which idgraph does not store or match", in.NULAt),
			map[string]any{"at": in.NULAt})
	}
	return nil
}

func badInput(msg string, ext map[string]any) *gqlerror.Error {
	ext["code"] = apierror.CodeBadUserInput
	return &gqlerror.Error{Message: msg, Extensions: ext}
}

func tooComplex(msg string, ext map[string]any) *gqlerror.Error {
	ext["code"] = apierror.CodeQueryTooComplex
	return &gqlerror.Error{Message: msg, Extensions: ext}
}
