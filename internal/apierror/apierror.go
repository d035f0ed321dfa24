// Package apierror defines the errors idgraph shows to clients. Each carries the
// extensions.code the error presenter puts on the wire; anything that is not an
// *Error (or an ent/gid error the presenter knows) is internal and gets masked.
package apierror

import (
	"errors"
	"fmt"
)

// Codes sent in extensions.code.
const (
	CodeNotFound        = "NOT_FOUND"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeTenantMismatch  = "TENANT_MISMATCH"
	CodeQueryTooComplex = "QUERY_TOO_COMPLEX"
	CodeConflict        = "CONFLICT"
	CodeRequestTimeout  = "REQUEST_TIMEOUT"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
)

// Error is a client-facing error with a code and optional extensions.
type Error struct {
	Code       string
	Message    string
	Extensions map[string]any
	Err        error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// NotFound reports that no record of the given type has the id.
func NotFound(typ, id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %s not found", typ, Clip(id))}
}

// Clip shortens a value a client sent to at most 100 bytes for an error
// message: a message echoes what was asked for, not all of it.
func Clip(s string) string {
	const most = 100
	if len(s) <= most {
		return s
	}
	return s[:most-3] + "..."
}

// BadInput reports invalid input; wrapped errors stay inspectable with errors.Is.
func BadInput(err error) *Error {
	return &Error{Code: CodeBadUserInput, Message: err.Error(), Err: err}
}

// BadInputf formats a BAD_USER_INPUT error.
func BadInputf(format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
