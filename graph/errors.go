package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
)

// presentError is the one place errors become client-facing: every error gets a
// code and the request's correlation id; errors we do not recognise are logged
// in full and reach the client only as INTERNAL_SERVER_ERROR.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		code, message := classify(ctx, err, gqlErr)
		if code == apierror.CodeInternal {
			logger.ErrorContext(ctx, "internal error",
				slog.String("correlation_id", CorrelationID(ctx)),
				slog.String("path", gqlErr.Path.String()),
				slog.String("error", err.Error()))
		}
		if message != "" {
			gqlErr.Message = message
		}
		gqlErr.Extensions["code"] = code
		if e, ok := apierror.As(err); ok {
			for k, v := range e.Extensions {
				gqlErr.Extensions[k] = v
			}
		}
		gqlErr.Extensions["correlationId"] = CorrelationID(ctx)
		return gqlErr
	}
}

// classify returns the code of err and, when the original text must not be shown, a replacement message.
func classify(ctx context.Context, err error, gqlErr *gqlerror.Error) (code, message string) {
	var notFound *ent.NotFoundError
	var validation *ent.ValidationError
	var constraint *ent.ConstraintError
	switch e, ok := apierror.As(err); {
	case ok:
		return e.Code, ""
	case errors.As(err, &notFound):
		return apierror.CodeNotFound, ""
	case errors.Is(err, gid.ErrMalformed), errors.As(err, &validation):
		return apierror.CodeBadUserInput, ""
	case errors.As(err, &constraint):
		return apierror.CodeConflict, "the change conflicts with existing data"
	}
	switch code, _ := gqlErr.Extensions["code"].(string); code {
	case "":
	case "INVALID_PAGINATION":
		return apierror.CodeBadUserInput, ""
	default:
		// Parse and validation errors from gqlparser and gqlgen keep their codes.
		return code, ""
	}
	if isArgumentError(ctx, gqlErr) {
		return apierror.CodeBadUserInput, ""
	}
	// gqlgen refuses some requests before execution with a bare error and no code
	// (a persisted query whose hash does not match): the request is at fault.
	if direct, ok := err.(*gqlerror.Error); ok && direct.Unwrap() == nil && graphql.GetFieldContext(ctx) == nil {
		return codeBadRequest, ""
	}
	// SQL interrupted because the request ran out of time fails with the driver's
	// error; the context says why.
	var timeout errTimeout
	if errors.As(err, &timeout) || errors.As(context.Cause(ctx), &timeout) {
		return apierror.CodeRequestTimeout, timeout.Error()
	}
	return apierror.CodeInternal, "internal server error"
}

// isArgumentError reports whether gqlErr is gqlgen failing to decode an argument
// of the current field (a cursor or a time that does not parse): its path runs
// through the field's own path into one of the field's arguments. A resolver's
// error sits on the field's path itself and is not one.
func isArgumentError(ctx context.Context, gqlErr *gqlerror.Error) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || gqlErr.Unwrap() == nil {
		return false
	}
	at := len(fc.Path())
	if len(gqlErr.Path) <= at {
		return false
	}
	name, ok := gqlErr.Path[at].(ast.PathName)
	return ok && fc.Field.Arguments.ForName(string(name)) != nil
}

// recoverPanic turns a panic in a resolver into an INTERNAL_SERVER_ERROR for that
// field; the stack goes to the log, never to the client, and the server carries on.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver",
			slog.String("correlation_id", CorrelationID(ctx)),
			slog.String("panic", fmt.Sprint(p)),
			slog.String("stack", string(debug.Stack())))
		err := gqlerror.Errorf("internal server error")
		errcode.Set(err, apierror.CodeInternal)
		return err
	}
}
