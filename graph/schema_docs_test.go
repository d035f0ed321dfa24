package graph_test

import (
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph"
)

// TestEveryPartOfTheSchemaIsDescribed: the playground's docs pane is the API
// reference, so every type, field, argument and enum value says what it means.
func TestEveryPartOfTheSchemaIsDescribed(t *testing.T) {
	var missing []string
	for _, typ := range graph.NewExecutableSchema(graph.Config{}).Schema().Types {
		if strings.HasPrefix(typ.Name, "__") || typ.BuiltIn {
			continue
		}
		if typ.Description == "" {
			missing = append(missing, "type "+typ.Name)
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection, described by the GraphQL spec
			}
			if f.Description == "" {
				missing = append(missing, typ.Name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if a.Description == "" {
					missing = append(missing, typ.Name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, v := range typ.EnumValues {
			if v.Description == "" {
				missing = append(missing, typ.Name+"."+v.Name)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d parts of the schema have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
