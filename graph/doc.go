// Package graph is idgraph's GraphQL API over HTTP: the handler (server.go),
// what every request passes before its fields run (endpoint.go: token, tenant,
// time limit and budgets; transport.go: the body and its input limits;
// querylimit and filterPermissions: the operation's cost), what every field
// passes (permissions.go, ids.go, pagesize.go) and the resolvers, one file per
// GraphQL type (<type>.resolvers.go, from graph/schema/<type>.graphql), which
// read through graph/loader and write through internal/directory. errors.go
// is the one error presenter.
package graph
