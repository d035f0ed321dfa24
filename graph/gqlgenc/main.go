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
	if err := serialSlices(cfg.Exec.Filename); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenc:", err)
		os.Exit(4)
	}
}

// concurrentSlice is how the generated executor marshals a list, and
// serialSlice the function in package graph that replaces it.
const concurrentSlice, serialSlice = "graphql.MarshalSliceConcurrently(", "marshalSlice("

// serialSlices rewrites the generated executor's list marshaling to serialSlice.
// It fails when there is nothing to rewrite, so a gqlgen upgrade that renames
// the function stops generation instead of bringing the goroutines back.
func serialSlices(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Contains(src, []byte(concurrentSlice)) {
		return fmt.Errorf("%s: no %s call to make serial; has gqlgen changed how it marshals lists?", path, concurrentSlice)
	}
	return os.WriteFile(path, bytes.ReplaceAll(src, []byte(concurrentSlice), []byte(serialSlice)), 0o644)
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
