package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/apitoken"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Options tune an Authenticator.
type Options struct {
	// CacheTTL is how long a token row is trusted before it is read again: the
	// longest a revocation made elsewhere (the CLI, another replica) takes to bite.
	CacheTTL time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time
}

// DefaultCacheTTL keeps authentication free of SQL on all but one request in
// five seconds per token, and revocation prompt.
const DefaultCacheTTL = 5 * time.Second

// Authenticator turns an Authorization header into a viewer.
type Authenticator struct {
	client *ent.Client
	ttl    time.Duration
	now    func() time.Time

	mu     sync.RWMutex
	tokens map[string]*cachedToken
	// unknown remembers, for a TTL, token ids that have no row: a client
	// retrying a deleted or made-up token costs no SELECT per request.
	unknown *lru.Cache[string, time.Time]

	usedMu sync.Mutex
	used   map[string]time.Time // token id -> last use not yet written
}

type cachedToken struct {
	hash      []byte
	viewer    *viewer.Viewer
	expiresAt *time.Time
	revokedAt *time.Time
	fetched   time.Time
}

// NewAuthenticator returns an Authenticator over client's tokens.
func NewAuthenticator(client *ent.Client, opts Options) *Authenticator {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	unknown, _ := lru.New[string, time.Time](unknownTokens)
	return &Authenticator{
		client: client, ttl: opts.CacheTTL, now: opts.Now,
		tokens: map[string]*cachedToken{}, unknown: unknown, used: map[string]time.Time{},
	}
}

// unknownTokens bounds the negative cache: ids are made up by clients, so the
// cache must not grow with what they send.
const unknownTokens = 10_000

func unauthenticated(msg string) *apierror.Error {
	return &apierror.Error{Code: apierror.CodeUnauthenticated, Message: msg}
}

// Authenticate checks an Authorization header value and returns the viewer it
// names. Every failure is an UNAUTHENTICATED *apierror.Error; anything else is a
// database error.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (*viewer.Viewer, error) {
	if header == "" {
		return nil, unauthenticated("missing Authorization header: send Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, unauthenticated("malformed Authorization header: want Bearer <token>")
	}
	id, secret, err := parse(strings.TrimSpace(token))
	if err != nil {
		return nil, unauthenticated("malformed token")
	}
	now := a.now()
	t, err := a.lookup(ctx, id, now)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	if t == nil || subtle.ConstantTimeCompare(sum[:], t.hash) != 1 {
		return nil, unauthenticated("invalid token")
	}
	// Only the token's holder gets this far, so saying why it is refused leaks nothing.
	switch {
	case t.revokedAt != nil && !now.Before(*t.revokedAt):
		return nil, unauthenticated("token revoked")
	case t.expiresAt != nil && !now.Before(*t.expiresAt):
		return nil, unauthenticated("token expired")
	}
	a.usedMu.Lock()
	a.used[id] = now
	a.usedMu.Unlock()
	return t.viewer, nil
}

// lookup returns the token row from the cache, reading it again once it is older
// than the TTL; nil when there is no such token.
func (a *Authenticator) lookup(ctx context.Context, id string, now time.Time) (*cachedToken, error) {
	a.mu.RLock()
	t := a.tokens[id]
	a.mu.RUnlock()
	if t != nil && now.Sub(t.fetched) < a.ttl {
		return t, nil
	}
	if seen, ok := a.unknown.Get(id); ok && now.Sub(seen) < a.ttl {
		return nil, nil
	}
	row, err := a.client.ApiToken.Query().Where(apitoken.ID(id)).WithTenant().Only(viewer.System(ctx))
	if ent.IsNotFound(err) {
		a.forget(id)
		a.unknown.Add(id, now)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	hash, err := hex.DecodeString(row.SecretHash)
	if err != nil {
		return nil, errors.New("auth: stored token hash is not hex")
	}
	tn := row.Edges.Tenant
	t = &cachedToken{
		hash:      hash,
		expiresAt: row.ExpiresAt,
		revokedAt: row.RevokedAt,
		fetched:   now,
		viewer: &viewer.Viewer{
			TokenID: row.ID, TokenName: row.Name, TenantID: tn.ID, TenantSlug: tn.Slug, TenantName: tn.Name,
			TenantCreatedAt: tn.CreatedAt, Permissions: row.Permissions,
		},
	}
	a.mu.Lock()
	a.tokens[id] = t
	a.mu.Unlock()
	return t, nil
}

func (a *Authenticator) forget(id string) {
	a.mu.Lock()
	delete(a.tokens, id)
	a.mu.Unlock()
}

// Flush writes the last-use times gathered since the previous flush, in one
// transaction: requests never write, and a token used a thousand times a minute
// costs one UPDATE a minute.
func (a *Authenticator) Flush(ctx context.Context) error {
	a.usedMu.Lock()
	pending := a.used
	a.used = map[string]time.Time{}
	a.usedMu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	ctx = viewer.System(ctx)
	err := func() error {
		tx, err := a.client.Tx(ctx)
		if err != nil {
			return err
		}
		for id, at := range pending {
			if err := tx.ApiToken.UpdateOneID(id).SetLastUsedAt(at).Exec(ctx); err != nil && !ent.IsNotFound(err) {
				_ = tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}()
	if err != nil {
		// Keep the times for the next attempt, unless a newer use replaced them.
		a.usedMu.Lock()
		for id, at := range pending {
			if cur, ok := a.used[id]; !ok || cur.Before(at) {
				a.used[id] = at
			}
		}
		a.usedMu.Unlock()
	}
	return err
}

// Run flushes last-use times every interval until ctx ends, then once more.
func (a *Authenticator) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := a.Flush(ctx); err != nil && onError != nil {
				onError(err)
			}
		case <-ctx.Done():
			if err := a.Flush(context.WithoutCancel(ctx)); err != nil && onError != nil {
				onError(err)
			}
			return
		}
	}
}
