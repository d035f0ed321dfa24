package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"

	"entgo.io/ent/entc/gen"
	"golang.org/x/tools/imports"
)

// What follows from the ent schema outside ent is generated here, after ent's
// own code, so that adding a node type or an edge is a schema change: its
// by-id loader, its page loaders, the columns its references follow, the
// counts a parent can ask for (graph/loader), its id prefix and the permission
// reading it needs (graph, internal/gid) come with it. Relations that are not
// ent edges (reached through two joins, or through a column that may hold any
// node's id) stay hand-written in graph/loader.

//go:embed loaders.tmpl
var loadersTemplate string

// loaderFacts is what the template renders: every node type (an entity with a
// Relay connection) and its edges.
type loaderFacts struct {
	Nodes []loaderNode
}

type loaderNode struct {
	Name, Package string
	// References are the to-one edges: GraphQL field, foreign-key column, target type.
	References []loaderReference
	// Edges are the to-many edges, each paged by its own loader.
	Edges []loaderEdge
}

type loaderReference struct {
	Field, Column, Target string
}

type loaderEdge struct {
	// Loader is the field of Loaders, <Edge>By<Key>; Field the GraphQL field.
	Loader, Field, Target string
	// Column is the target's column holding the parent id; for an edge through
	// a join table, Table, RowColumn and Column are the join table's.
	Table, RowColumn, Column string
}

func factsOf(g *gen.Graph) (loaderFacts, error) {
	var f loaderFacts
	for _, n := range g.Nodes {
		if !isNodeType(n) {
			continue
		}
		ln := loaderNode{Name: n.Name, Package: n.Package()}
		for _, fd := range n.Fields {
			if a, ok := fd.Annotations["IDGraphAnyNode"].(map[string]any); ok {
				ln.References = append(ln.References, loaderReference{Field: fmt.Sprint(a["Field"]), Column: fd.StorageKey()})
			}
		}
		for _, e := range n.Edges {
			if !isNodeType(e.Type) {
				continue
			}
			field := gen.Funcs["camel"].(func(string) string)(e.Name)
			if a, ok := e.Annotations["IDGraphField"].(map[string]any); ok {
				field = fmt.Sprint(a["Field"])
			}
			pascal := gen.Funcs["pascal"].(func(string) string)
			switch {
			case e.Unique && e.Field() != nil:
				ln.References = append(ln.References, loaderReference{Field: field, Column: e.Field().StorageKey(), Target: e.Type.Name})
			case e.Unique:
				return f, fmt.Errorf("%s.%s: a to-one edge needs a foreign-key field on %s", n.Name, e.Name, n.Name)
			case e.M2M():
				parent, row := e.Rel.Columns[0], e.Rel.Columns[1]
				if e.IsInverse() {
					parent, row = row, parent
				}
				ln.Edges = append(ln.Edges, loaderEdge{Loader: pascal(e.Name) + "By" + pascal(parent), Field: field,
					Target: e.Type.Name, Table: e.Rel.Table, RowColumn: row, Column: parent})
			case e.O2M():
				ln.Edges = append(ln.Edges, loaderEdge{Loader: pascal(e.Name) + "By" + pascal(e.Rel.Columns[0]), Field: field,
					Target: e.Type.Name, Column: e.Rel.Columns[0]})
			}
		}
		sort.Slice(ln.References, func(i, j int) bool { return ln.References[i].Field < ln.References[j].Field })
		f.Nodes = append(f.Nodes, ln)
	}
	return f, nil
}

// isNodeType reports whether t is served as a GraphQL node with its own loaders.
func isNodeType(t *gen.Type) bool {
	a, _ := t.Annotations["EntGQL"].(map[string]any)
	return a["RelayConnection"] == true
}

// writeFacts renders what follows from the schema outside ent: graph/loader's
// loaders, graph's permission maps and gid's prefix-to-table map.
func writeFacts(g *gen.Graph) error {
	if err := writeLoaders(g); err != nil {
		return err
	}
	var prefixes, views, tables, nodePrefixes []string
	for _, n := range g.Nodes {
		if a, ok := n.Annotations["IDGraphPrefix"].(map[string]any); ok {
			prefixes = append(prefixes, fmt.Sprintf("%q: %q,", a["Prefix"], n.Table()))
			if isNodeType(n) {
				nodePrefixes = append(nodePrefixes, fmt.Sprintf("%q: %q,", n.Name, a["Prefix"]))
			}
		}
		if a, ok := n.Annotations["IDGraphView"].(map[string]any); ok {
			views = append(views, fmt.Sprintf("%q: %q,", n.Name, a["Permission"]))
			tables = append(tables, fmt.Sprintf("%q: %q,", n.Table(), a["Permission"]))
		}
	}
	err := writeGo("./internal/gid/tables_gen.go", `package gid

// tables maps a prefix to the SQL table (and ent node type) that holds its ids.
var tables = map[string]string{
	`+strings.Join(prefixes, "\n")+`
}
`)
	if err != nil {
		return err
	}
	return writeGo("./graph/nodetypes_gen.go", `package graph

// idPrefix is the prefix of the ids of each node type, by GraphQL type name.
var idPrefix = map[string]string{
	`+strings.Join(nodePrefixes, "\n")+`
}

// viewPermission is the permission reading an object of each node type needs,
// by GraphQL type name; its connections and edges need the same.
var viewPermission = map[string]string{
	`+strings.Join(views, "\n")+`
}

// nodeTypePermission is the permission reading a node of each table needs.
var nodeTypePermission = map[string]string{
	`+strings.Join(tables, "\n")+`
}
`)
}

// writeGo writes generated Go source to path, formatted, imports resolved.
func writeGo(path, src string) error {
	out, err := imports.Process(path, []byte("// Code generated by ent/entc from ent/schema. DO NOT EDIT.\n\n"+src), nil)
	if err != nil {
		return fmt.Errorf("formatting %s: %w\n%s", path, err, src)
	}
	return os.WriteFile(path, out, 0o644)
}

// lowerFirst is name unexported: the field that holds the loader a method of
// that name builds.
func lowerFirst(name string) string {
	return strings.ToLower(name[:1]) + name[1:]
}

// writeLoaders renders the generated loaders into graph/loader.
func writeLoaders(g *gen.Graph) error {
	facts, err := factsOf(g)
	if err != nil {
		return err
	}
	t, err := template.New("loaders").Funcs(template.FuncMap{"lower": lowerFirst}).Parse(loadersTemplate)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, facts); err != nil {
		return err
	}
	return writeGo("./graph/loader/entities_gen.go", b.String())
}
