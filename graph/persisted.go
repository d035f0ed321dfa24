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

// localKey keys the process's cache by tenant as the table is: a tenant must
// not learn, by sending a hash, that another registered the query behind it.
func localKey(ctx context.Context, hash string) (string, bool) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return "", false
	}
	return v.TenantID + "/" + hash, true
}

func (p persistedQueries) Get(ctx context.Context, hash string) (string, bool) {
	key, ok := localKey(ctx, hash)
	if !ok {
		return "", false
	}
	if q, ok := p.local.Get(ctx, key); ok {
		return q, true
	}
	row, err := p.client.PersistedQuery.Query().Where(persistedquery.Hash(hash)).Only(ctx)
	if err != nil {
		if !ent.IsNotFound(err) {
			p.logger.ErrorContext(ctx, "reading a persisted query", slog.String("error", err.Error()))
		}
		return "", false
	}
	p.local.Add(ctx, key, row.Query)
	return row.Query, true
}

func (p persistedQueries) Add(ctx context.Context, hash, query string) {
	key, ok := localKey(ctx, hash)
	if !ok {
		return
	}
	p.local.Add(ctx, key, query)
	if len(query) > maxCachedQueryBytes {
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
