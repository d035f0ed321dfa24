package main

// Code generation, in order: ent (and schema.graphqls) first, then gqlgen (with
// idgraph's plugin, see graph/gqlgenc), which reads both.
//go:generate go run -mod=mod ./ent/entc
//go:generate go run -mod=mod ./graph/gqlgenc
