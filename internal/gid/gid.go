// Package gid mints and parses idgraph's type-prefixed ULIDs ("drusr_01hq8x..."),
// which double as Relay global ids: the prefix names the table a node lives in.
package gid

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/idgraph/idgraph/internal/apierror"
)

// Prefixes of every node type. They are part of the public id format: never change one.
const (
	Tenant           = "tnt"
	User             = "drusr"
	Identity         = "dridt"
	Integration      = "wsint"
	Resource         = "rsrc"
	Membership       = "mbr"
	PolicyRuleset    = "plrs"
	PolicyRule       = "plru"
	PolicyCondition  = "plcnd"
	PolicyAssignment = "plusr"
	AuditEvent       = "wlog"
	APIToken         = "tok"
	IdempotencyKey   = "idem"
	PersistedQuery   = "pq"
	UserAttribute    = "drattr"
)

// ErrMalformed is returned for ids that are not "<known prefix>_<ulid>".
var ErrMalformed = errors.New("malformed id")

var (
	entropyMu sync.Mutex
	entropy   io.Reader = ulid.Monotonic(rand.Reader, 0)
)

// New returns a fresh id with the given prefix. Ids minted by one process sort by creation time.
func New(prefix string) string {
	return NewAt(prefix, time.Now())
}

// NewAt returns an id whose time component is t; the seeder uses it to backdate records.
func NewAt(prefix string, t time.Time) string {
	entropyMu.Lock()
	id := ulid.MustNew(ulid.Timestamp(t), entropy)
	entropyMu.Unlock()
	return prefix + "_" + strings.ToLower(id.String())
}

// NewFrom returns an id drawn from a caller-supplied entropy source, for deterministic seeding.
func NewFrom(prefix string, t time.Time, r io.Reader) string {
	return prefix + "_" + strings.ToLower(ulid.MustNew(ulid.Timestamp(t), r).String())
}

// Table returns the table that holds id, or ErrMalformed.
func Table(id string) (string, error) {
	prefix, rest, ok := strings.Cut(id, "_")
	table, known := tables[prefix]
	if !ok || !known {
		return "", fmt.Errorf("%w: %q does not start with a known type prefix", ErrMalformed, apierror.Clip(id))
	}
	if _, err := ulid.ParseStrict(strings.ToUpper(rest)); err != nil {
		return "", fmt.Errorf("%w: %q", ErrMalformed, apierror.Clip(id))
	}
	return table, nil
}

// Validate reports whether id is well-formed and carries the wanted prefix.
func Validate(id, prefix string) error {
	if _, err := Table(id); err != nil {
		return err
	}
	if !strings.HasPrefix(id, prefix+"_") {
		return fmt.Errorf("%w: %q is not a %s id", ErrMalformed, apierror.Clip(id), prefix)
	}
	return nil
}
