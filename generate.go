package main

// Code generation, in order: ent (and schema.graphqls) first, then gqlgen, which reads both.
//go:generate go run -mod=mod ./ent/entc
//go:generate go run -mod=mod github.com/99designs/gqlgen generate
