package graph_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/idgraph/idgraph/graph"
)

// TestREADMEQueriesValidate: every GraphQL example in README.md is valid
// against the schema, so the examples a newcomer copies work.
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
}
