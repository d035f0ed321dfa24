// Command gqlgenc runs gqlgen (as `gqlgen generate` does, from gqlgen.yml) with
// one plugin: fields resolve one after another instead of in a goroutine each.
//
// gqlgen resolves every resolver field of every object in its own goroutine so
// that loaders can gather keys while the goroutines wait. idgraph's loaders do
// not need that: the first field of a sibling group to run loads the whole group
// in one statement and the others are answered from the cache (graph/loader).
// The goroutines were then pure cost, about 700 per users page: their creation,
// stack growth and scheduling, and lock contention on the loader caches.
// Lists still go through gqlgen's concurrent slice marshaler; gqlgen.yml's
// exec.worker_limit of 1 makes that serial too.
package main

import (
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
