package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/persistedquery"
	"github.com/idgraph/idgraph/internal/viewer"
)

// persistedQueries keeps automatic persisted queries in the database, behind
// the process's own LRU: a hash registered through one replica is known to all.
type persistedQueries struct {
	local  graphql.Cache[string]
	client *ent.Client
	logger *slog.Logger
}

func (p persistedQueries) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := p.local.Get(ctx, hash); ok {
		return q, true
	}
	if viewer.FromContext(ctx) == nil {
		return "", false
	}
	row, err := p.client.PersistedQuery.Query().Where(persistedquery.Hash(hash)).Only(ctx)
	if err != nil {
		if !ent.IsNotFound(err) {
			p.logger.ErrorContext(ctx, "reading a persisted query", slog.String("error", err.Error()))
		}
		return "", false
	}
	p.local.Add(ctx, hash, row.Query)
	return row.Query, true
}

func (p persistedQueries) Add(ctx context.Context, hash, query string) {
	p.local.Add(ctx, hash, query)
	if viewer.FromContext(ctx) == nil || len(query) > maxCachedQueryBytes {
		return
	}
	err := p.client.PersistedQuery.Create().SetHash(hash).SetQuery(query).Exec(ctx)
	if err != nil && !ent.IsConstraintError(err) { // another replica stored it first
		p.logger.ErrorContext(ctx, "storing a persisted query", slog.String("error", err.Error()))
	}
}

// persistedQueryRetention is how long a registered query is kept.
const persistedQueryRetention = 30 * 24 * time.Hour

// ExpirePersistedQueries deletes registered queries older than their retention.
func ExpirePersistedQueries(ctx context.Context, client *ent.Client) (int, error) {
	return client.PersistedQuery.Delete().
		Where(persistedquery.CreatedAtLT(time.Now().Add(-persistedQueryRetention))).
		Exec(viewer.System(ctx))
}
