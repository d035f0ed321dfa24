package graph_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/playground"
)

// TestREADMEQueriesValidate: every GraphQL example in README.md and every
// example tab of the playground is valid against the schema, so the examples
// a newcomer copies or runs work.
func TestREADMEQueriesValidate(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) < 5 {
		t.Fatalf("only %d GraphQL examples found in README.md", len(blocks))
	}
	// A block may list several operations, anonymous ones too: each is checked.
	checks := rules.NewDefaultRules()
	checks.RemoveRule(rules.LoneAnonymousOperationRule.Name)
	checks.RemoveRule(rules.UniqueOperationNamesRule.Name)
	for i, b := range blocks {
		if _, errs := gqlparser.LoadQueryWithRules(schema, string(b[1]), checks); len(errs) > 0 {
			t.Errorf("README example %d: %v\n%s", i+1, errs, b[1])
		}
	}
	for i, tab := range playground.Examples {
		if _, errs := gqlparser.LoadQueryWithRules(schema, tab.Query, nil); len(errs) > 0 {
			t.Errorf("playground tab %d: %v\n%s", i+1, errs, tab.Query)
		}
	}
}
