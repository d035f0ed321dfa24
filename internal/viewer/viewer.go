// Package viewer says on whose behalf a request runs: the tenant and the
// permissions of the API token that authenticated it. The ent schemas read it to
// scope every query and write to that tenant; the GraphQL layer reads it to
// check permissions. Code that must see every tenant (the seed, the token
// commands, the authenticator itself) says so explicitly with System.
package viewer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Permissions a token can carry (README.md, "Access").
const (
	DirectoryUserView       = "directory.user.view"
	DirectoryUserManage     = "directory.user.manage"
	DirectoryUserPurge      = "directory.user.purge"
	DirectoryIdentityView   = "directory.identity.view"
	DirectoryIdentityManage = "directory.identity.manage"
	IntegrationManage       = "integration.manage"
	PolicyView              = "policy.view"
	PolicyManage            = "policy.manage"
	AuditView               = "audit.view"
	All                     = "*"
)

// Known lists every permission a token may be granted, in a stable order.
var Known = []string{
	DirectoryUserView, DirectoryUserManage, DirectoryUserPurge, DirectoryIdentityView, DirectoryIdentityManage,
	IntegrationManage, PolicyView, PolicyManage, AuditView, All,
}

// Viewer is the authenticated caller.
type Viewer struct {
	TokenID         string
	TokenName       string
	TenantID        string
	TenantSlug      string
	TenantName      string
	TenantCreatedAt time.Time
	Permissions     []string
}

// Actor names the viewer in the workspace log: the token's id and name.
func (v *Viewer) Actor() string {
	if v == nil {
		return "system"
	}
	if v.TokenName == "" {
		return "token " + v.TokenID
	}
	return "token " + v.TokenID + " (" + v.TokenName + ")"
}

// Can reports whether the viewer holds permission p, directly or through "*".
func (v *Viewer) Can(p string) bool {
	return v != nil && (slices.Contains(v.Permissions, p) || slices.Contains(v.Permissions, All))
}

type viewerKey struct{}
type systemKey struct{}
type deletedKey struct{}

// NewContext returns ctx acting as v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer of ctx, or nil.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// System returns ctx with tenant scoping lifted: for operators' commands and
// the authenticator, never for anything that serves a request's data.
func System(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

// IsSystem reports whether ctx was made by System.
func IsSystem(ctx context.Context) bool {
	ok, _ := ctx.Value(systemKey{}).(bool)
	return ok
}

// IncludeDeleted returns ctx that also sees soft-deleted records (for changes
// that must find them); reads for clients never use it.
func IncludeDeleted(ctx context.Context) context.Context {
	return context.WithValue(ctx, deletedKey{}, true)
}

// IsIncludingDeleted reports whether ctx was made by IncludeDeleted.
func IsIncludingDeleted(ctx context.Context) bool {
	ok, _ := ctx.Value(deletedKey{}).(bool)
	return ok
}

// ParsePermissions splits a comma-separated list and rejects unknown names,
// so a typo never silently grants less (or more) than meant.
func ParsePermissions(list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(Known, p) {
			return nil, &UnknownPermissionError{Name: p}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, &UnknownPermissionError{}
	}
	return out, nil
}

// UnknownPermissionError names a permission that does not exist.
type UnknownPermissionError struct{ Name string }

func (e *UnknownPermissionError) Error() string {
	if e.Name == "" {
		return "no permissions given; known: " + strings.Join(Known, ", ")
	}
	return "unknown permission " + `"` + e.Name + `"` + "; known: " + strings.Join(Known, ", ")
}

// ErrNoViewer is returned for data access from a context that has no viewer.
var ErrNoViewer = errors.New("tenancy: no viewer in context")

// Tenant returns the tenant whose records ctx may read and write: all of them
// for System, none (ErrNoViewer) for a context that has no viewer, so that
// forgetting to authenticate fails closed.
func Tenant(ctx context.Context) (id string, all bool, err error) {
	if IsSystem(ctx) {
		return "", true, nil
	}
	v := FromContext(ctx)
	if v == nil || v.TenantID == "" {
		return "", false, ErrNoViewer
	}
	return v.TenantID, false, nil
}
