// Command gqlgenc runs gqlgen (as `gqlgen generate` does, from gqlgen.yml) with
// one plugin: fields resolve one after another instead of in a goroutine each.
//
// gqlgen resolves every resolver field of every object in its own goroutine so
// that loaders can gather keys while the goroutines wait. idgraph's loaders do
// not need that: the first field of a sibling group to run loads the whole group
// in one statement and the others are answered from the cache (graph/loader).
// The goroutines were then pure cost, about 700 per users page: their creation,
// stack growth and scheduling, and lock contention on the loader caches.
//
// Lists are the other source of goroutines: gqlgen marshals every element of a
// list in its own, and offers no switch for that. After generating, gqlgenc
// points those calls at graph.marshalSlice, the same loop run serially.
//
// It also drops the @defer bookkeeping every object starts with: a deferred
// group holding the object's path (a slice built by walking up the field
// contexts), a field set and a map, allocated for each of the thousands of
// objects of a page, and a tenth of the bytes a users page allocates. Objects
// whose fields resolve serially never defer a field, so the group stays empty.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenc: loading gqlgen.yml:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(serialFields{})); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenc:", err)
		os.Exit(3)
	}
	if err := rewriteExecutor(cfg.Exec.Filename); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenc:", err)
		os.Exit(4)
	}
}

// A rewrite replaces generated code. absent, when set, is code whose presence
// means the rewrite would change what the executor does.
type rewrite struct {
	from, to, absent string
}

var rewrites = []rewrite{
	// Lists marshal serially, in package graph's marshalSlice.
	{from: "graphql.MarshalSliceConcurrently(", to: "marshalSlice("},
	// No object defers a field: its deferred group stays the empty zero value.
	{from: "deferred := graphql.NewDeferredGroup(ctx)", to: "var deferred graphql.DeferredGroup", absent: "deferred.Defers["},
}

// rewriteExecutor applies the rewrites to the generated executor. It fails when
// one has nothing to rewrite, or when generated code would rely on what it
// removes, so a gqlgen upgrade that changes either stops generation instead of
// quietly bringing the cost back or breaking @defer.
func rewriteExecutor(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		if !bytes.Contains(src, []byte(r.from)) {
			return fmt.Errorf("%s: no %q to rewrite; has gqlgen changed its generated code?", path, r.from)
		}
		if r.absent != "" && bytes.Contains(src, []byte(r.absent)) {
			return fmt.Errorf("%s: generated code uses %q, which rewriting %q would break", path, r.absent, r.from)
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	return os.WriteFile(path, src, 0o644)
}

// serialFields turns off gqlgen's per-field goroutines on every object.
type serialFields struct{}

func (serialFields) Name() string { return "serialfields" }

func (serialFields) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		o.DisableConcurrency = true
	}
	return nil
}
