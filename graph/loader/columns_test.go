package loader

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestEveryReferenceHasItsColumn: a to-one field of a node type is served by
// its target's loader from a column of the row, and the projection selects that
// column only when shapes names it; a field missing there would come back null.
// shapes is generated from the ent schema's edges, so an edge cannot be missed;
// this catches a GraphQL field added without an edge behind it.
func TestEveryReferenceHasItsColumn(t *testing.T) {
	files, _ := filepath.Glob("../schema/*.graphql")
	var sources []*ast.Source
	for _, f := range append([]string{"../../schema.graphqls"}, files...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(src)})
	}
	schema, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatal(gerr)
	}
	checked := 0
	for typ, s := range shapes {
		def := schema.Types[typ]
		if def == nil {
			t.Errorf("%s has loaders but no GraphQL type", typ)
			continue
		}
		for _, f := range def.Fields {
			_, node := shapes[f.Type.NamedType]
			if f.Type.Elem != nil || (!node && f.Type.NamedType != "Node") {
				continue
			}
			checked++
			if _, ok := s.references[f.Name]; !ok {
				t.Errorf("%s.%s returns a node, but no column of %s holds its id: it would resolve to null "+
					"(give the ent schema an edge with a field for it, or annotate the field anyNode)", typ, f.Name, typ)
			}
		}
	}
	if checked < 15 {
		t.Errorf("checked %d references; the schema has more", checked)
	}
}
