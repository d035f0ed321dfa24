package graph_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
	"github.com/idgraph/idgraph/graph/loader"
	"github.com/idgraph/idgraph/graph/querylimit"
	"github.com/idgraph/idgraph/internal/stmtmemo"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

// Benchmarks seed each organisation once per run (100,000 users take about 45s)
// and share it between benchmarks. Run them with:
//
//	go test ./graph -run '^$' -bench . -benchtime 200x
//
// and on PostgreSQL with scripts/test-postgres.sh ./graph -run '^$' -bench ...
var (
	benchMu  sync.Mutex
	benchDBs = map[int]string{}
)

func benchServer(b *testing.B, users int, cfg loader.Config) *graphtest.Server {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	path, ok := benchDBs[users]
	seedUsers := 0
	if !ok {
		path = storetest.Shared(b, "bench.db")
		benchDBs[users] = path
		seedUsers = users
	}
	if !cfg.Bypass {
		cfg.Statements = stmtmemo.New().Unverified()
	}
	return graphtest.NewAt(b, path, seedUsers, graph.Options{Loaders: cfg})
}

func BenchmarkQueries(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		for _, mode := range []struct {
			name string
			cfg  loader.Config
		}{{"loaders", loader.DefaultConfig}, {"per-node", loader.Config{Bypass: true}}} {
			srv := benchServer(b, users, mode.cfg)
			profileVars := map[string]any{"id": profileUserID(b, srv)}
			for _, q := range []struct {
				name  string
				query string
				vars  map[string]any
			}{
				{"users-page", usersPageQuery, nil},
				{"identities-page", identitiesPageQuery, nil},
				{"profile", profileQuery, profileVars},
				{"user-by-id", `query($id: ID!) { user(id: $id) { id fullName email state } }`, profileVars},
			} {
				b.Run(fmt.Sprintf("%s/%dk/%s", q.name, users/1000, mode.name), func(b *testing.B) {
					if resp := srv.Query(b, q.query, q.vars); len(resp.Errors) > 0 {
						b.Fatal(resp.Errors)
					}
					before := srv.DB.Statements.Total()
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						srv.Query(b, q.query, q.vars)
					}
					b.ReportMetric(float64(srv.DB.Statements.Total()-before)/float64(b.N), "stmts/op")
				})
			}
		}
	}
}

// BenchmarkUsersPageParallel is the throughput figure: the 100-user nested page
// served to concurrent clients (req/s = 1e9 / ns/op).
func BenchmarkUsersPageParallel(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		srv := benchServer(b, users, loader.DefaultConfig)
		b.Run(fmt.Sprintf("%dk", users/1000), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if resp := srv.Query(b, usersPageQuery, nil); len(resp.Errors) > 0 {
						b.Error(resp.Errors)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAccessControl prices what every request pays for authentication
// and query limits, next to the cheapest whole request (viewer: no SQL) and a
// real page (see BenchmarkQueries for the 10k and 100k figures).
func BenchmarkAccessControl(b *testing.B) {
	srv := graphtest.New(b, 1000)
	ctx := context.Background()
	header := "Bearer " + srv.Token
	b.Run("authenticate-cached", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := srv.Auth.Authenticate(ctx, header); err != nil {
				b.Fatal(err)
			}
		}
	})
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, usersPageQuery, nil)
	if errs != nil {
		b.Fatal(errs)
	}
	b.Run("query-limits-users-page", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			querylimit.Of(doc.Operations[0], nil, 100, 500)
		}
	})
	for _, q := range []struct{ name, query string }{
		{"request-viewer", `{ viewer { permissions } }`},
		{"request-users-page-1k", usersPageQuery},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if resp := srv.Query(b, q.query, nil); len(resp.Errors) > 0 {
					b.Fatal(resp.Errors)
				}
			}
		})
	}
}
