// Package auth issues API tokens and authenticates requests with them.
//
// A token reads "<id>.<secret>": the id (tok_...) finds the row, and the secret,
// 32 random bytes, is checked against the SHA-256 hash stored there. A fast
// hash is the right one for a random secret of that size (there is nothing to
// brute-force); passwords would need a slow one.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/apitoken"
	"github.com/idgraph/idgraph/ent/tenant"
	"github.com/idgraph/idgraph/internal/gid"
	"github.com/idgraph/idgraph/internal/viewer"
)

const secretBytes = 32

// IssueOptions describe a new token.
type IssueOptions struct {
	Tenant      string // slug
	Permissions []string
	Name        string
	ExpiresAt   *time.Time // nil: never
}

// Issue creates a token and returns it in full; only its hash is stored, so this
// is the one time the token can be read.
func Issue(ctx context.Context, client *ent.Client, opts IssueOptions) (string, *ent.ApiToken, error) {
	ctx = viewer.System(ctx)
	t, err := client.Tenant.Query().Where(tenant.Slug(opts.Tenant)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil, fmt.Errorf("no tenant %q (seed it first)", opts.Tenant)
	}
	if err != nil {
		return "", nil, err
	}
	secret := make([]byte, secretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	encoded := base64.RawURLEncoding.EncodeToString(secret)
	row, err := client.ApiToken.Create().
		SetTenantID(t.ID).
		SetName(opts.Name).
		SetPermissions(opts.Permissions).
		SetSecretHash(hashSecret(encoded)).
		SetNillableExpiresAt(opts.ExpiresAt).
		Save(ctx)
	if err != nil {
		return "", nil, err
	}
	row.Edges.Tenant = t
	return row.ID + "." + encoded, row, nil
}

// List returns every token, newest first, with its tenant.
func List(ctx context.Context, client *ent.Client) ([]*ent.ApiToken, error) {
	return client.ApiToken.Query().WithTenant().Order(ent.Desc(apitoken.FieldID)).All(viewer.System(ctx))
}

// Revoke refuses the token from now on (servers notice within their token cache
// lifetime). Revoking a revoked token keeps the first revocation time.
func Revoke(ctx context.Context, client *ent.Client, id string, now time.Time) error {
	ctx = viewer.System(ctx)
	n, err := client.ApiToken.Update().
		Where(apitoken.ID(id), apitoken.RevokedAtIsNil()).
		SetRevokedAt(now).
		Save(ctx)
	if err != nil || n > 0 {
		return err
	}
	exists, err := client.ApiToken.Query().Where(apitoken.ID(id)).Exist(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("no token %q", id)
	}
	return nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// errMalformed is what parse reports for anything that is not "<tok_ id>.<secret>".
var errMalformed = errors.New("malformed token")

// parse splits a presented token into its id and secret, checking their shape.
func parse(token string) (id, secret string, err error) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok || gid.Validate(id, gid.APIToken) != nil || base64.RawURLEncoding.DecodedLen(len(secret)) != secretBytes {
		return "", "", errMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", errMalformed
	}
	return id, secret, nil
}

// ParseLifetime reads a token lifetime: "90d", a Go duration such as "12h", or
// "never". It returns nil for never.
func ParseLifetime(s string, now time.Time) (*time.Time, error) {
	if s == "never" || s == "" {
		return nil, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return nil, fmt.Errorf("invalid lifetime %q: want e.g. 90d, 12h or never", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("invalid lifetime %q: want e.g. 90d, 12h or never", s)
		}
	}
	if d <= 0 {
		return nil, fmt.Errorf("invalid lifetime %q: it must be positive", s)
	}
	at := now.Add(d)
	return &at, nil
}
