// Package idempotency makes a retried mutation return its first answer.
//
// Begin claims a key before the mutation runs (a unique row per token and key),
// Finish stores the answer, and Release gives the key back when the mutation
// wrote nothing, so the client may retry. A key claimed by a request that never
// finished (the process died) is taken over after StaleAfter; only then can a
// retry write twice, and only if the first attempt had committed.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/idempotencykey"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Retention is how long an answer is replayed.
const Retention = 24 * time.Hour

// Store keeps idempotency keys.
type Store struct {
	client *ent.Client
	now    func() time.Time
	// StaleAfter is when an unfinished claim is presumed dead.
	StaleAfter time.Duration
}

// New returns a Store; staleAfter should exceed the request time limit.
func New(client *ent.Client, staleAfter time.Duration) *Store {
	return &Store{client: client, now: time.Now, StaleAfter: staleAfter}
}

// Hash identifies a request: the same key must always come with the same one.
func Hash(query, operationName string, variables map[string]any) string {
	b, _ := json.Marshal(struct {
		Q string         `json:"q"`
		O string         `json:"o"`
		V map[string]any `json:"v"`
	}{query, operationName, variables})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Claim is a key held by the current request.
type Claim struct{ id string }

// Begin claims key for the token. It returns the stored answer when the key
// already finished, a claim when the mutation should run now, or a CONFLICT
// when the key belongs to another request or is still running.
func (s *Store) Begin(ctx context.Context, tokenID, key, hash string) (replay []byte, claim *Claim, err error) {
	if len(key) == 0 || len(key) > 255 {
		return nil, nil, apierror.BadInputf("Idempotency-Key must be 1 to 255 characters")
	}
	now := s.now()
	existing, err := s.client.IdempotencyKey.Query().
		Where(idempotencykey.TokenID(tokenID), idempotencykey.Key(key)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, nil, err
	case now.Sub(existing.CreatedAt) > Retention || (len(existing.Response) == 0 && now.Sub(existing.CreatedAt) > s.StaleAfter):
		// Expired, or abandoned by a request that died: start afresh.
		if err := s.client.IdempotencyKey.DeleteOneID(existing.ID).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return nil, nil, err
		}
	case existing.RequestHash != hash:
		return nil, nil, conflict("Idempotency-Key %q was used for a different request", key)
	case len(existing.Response) == 0:
		return nil, nil, conflict("a request with Idempotency-Key %q is still running: retry shortly", key)
	default:
		return existing.Response, nil, nil
	}
	row, err := s.client.IdempotencyKey.Create().
		SetTokenID(tokenID).SetKey(key).SetRequestHash(hash).SetCreatedAt(now).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, nil, conflict("a request with Idempotency-Key %q is still running: retry shortly", key)
	}
	if err != nil {
		return nil, nil, err
	}
	return nil, &Claim{id: row.ID}, nil
}

// Finish stores the answer to replay.
func (s *Store) Finish(ctx context.Context, c *Claim, response []byte) error {
	return s.client.IdempotencyKey.UpdateOneID(c.id).SetResponse(response).Exec(context.WithoutCancel(ctx))
}

// Release frees the key of a mutation that wrote nothing.
func (s *Store) Release(ctx context.Context, c *Claim) error {
	return s.client.IdempotencyKey.DeleteOneID(c.id).Exec(context.WithoutCancel(ctx))
}

// Expire deletes keys past their retention, in every tenant.
func (s *Store) Expire(ctx context.Context) (int, error) {
	return s.client.IdempotencyKey.Delete().Where(idempotencykey.CreatedAtLT(s.now().Add(-Retention))).Exec(viewer.System(ctx))
}

func conflict(format string, args ...any) *apierror.Error {
	return &apierror.Error{Code: apierror.CodeConflict, Message: fmt.Sprintf(format, args...)}
}
