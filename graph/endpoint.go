package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/auth"
	"github.com/idgraph/idgraph/internal/budget"
	"github.com/idgraph/idgraph/internal/idempotency"
	"github.com/idgraph/idgraph/internal/store"
	"github.com/idgraph/idgraph/internal/viewer"
)

// api is what the /graphql endpoint shares between its HTTP checks and gqlgen:
// the one error presenter, the limits and the authenticator.
type api struct {
	present     graphql.ErrorPresenterFunc
	limits      Limits
	auth        *auth.Authenticator
	idempotency *idempotency.Store
	logger      *slog.Logger
	// slots admits Limits.MaxConcurrent requests to execution at once.
	slots chan struct{}
}

// guard admits a request to GraphQL: the method, the Accept header, the token
// and the tenant it names are checked here, before any body is read. The request
// then runs as the token's viewer, under the request time limit.
func (a *api) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		media := negotiate(r.Header.Get("Accept"))
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			a.fail(w, r, cmp.Or(media, mediaJSON), http.StatusMethodNotAllowed, httpError(codeMethodNotAllowed, "use GET or POST, not %s", r.Method))
			return
		}
		if media == "" {
			a.fail(w, r, mediaJSON, http.StatusNotAcceptable,
				httpError(codeNotAcceptable, "the response is %s or %s; the Accept header allows neither", mediaGraphQLResponse, mediaJSON))
			return
		}
		v, ok := a.authenticate(w, r, media)
		if !ok {
			return
		}
		// The query's statement estimate is checked before it runs; the budget
		// stops one that needs more anyway (batches of more than a thousand keys,
		// the statements of writes), at twice the estimate's limit.
		ctx := store.WithStatementBudget(viewer.NewContext(r.Context(), v), 2*a.limits.MaxStatements)
		ctx = context.WithValue(ctx, fieldBudgetKey{}, budget.New(a.limits.MaxResponseFields))
		ctx, cancel := context.WithTimeoutCause(ctx, a.limits.Timeout, errTimeout{a.limits.Timeout})
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticate reads the request's token and its X-Tenant-ID; when either is
// refused it answers the request and returns false.
func (a *api) authenticate(w http.ResponseWriter, r *http.Request, media string) (*viewer.Viewer, bool) {
	v, err := a.auth.Authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		status := http.StatusInternalServerError
		if _, ok := apierror.As(err); ok {
			status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Bearer realm="idgraph"`)
		}
		a.fail(w, r, media, status, err)
		return nil, false
	}
	if named := r.Header.Get("X-Tenant-ID"); named != "" && named != v.TenantID && named != v.TenantSlug {
		a.fail(w, r, media, http.StatusForbidden, &apierror.Error{Code: apierror.CodeTenantMismatch,
			Message: "X-Tenant-ID does not name the tenant of this token"})
		return nil, false
	}
	return v, true
}

// errTimeout is why a request's context ends when it runs out of time.
type errTimeout struct{ limit time.Duration }

func (e errTimeout) Error() string {
	return fmt.Sprintf("the request took longer than the %s limit", e.limit)
}

// fail answers a request that GraphQL will not execute: errors only, no data.
func (a *api) fail(w http.ResponseWriter, r *http.Request, media string, status int, errs ...error) {
	list := make(gqlerror.List, len(errs))
	for i, err := range errs {
		list[i] = a.present(r.Context(), err)
	}
	a.write(w, media, status, &graphql.Response{Errors: list})
}

// write sends one GraphQL response.
func (a *api) write(w http.ResponseWriter, media string, status int, resp *graphql.Response) {
	a.capErrors(resp)
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	// The data is JSON that gqlgen wrote: it goes out as it is, where encoding/json
	// would scan every byte of it again to compact it (3% of a users page).
	var b bytes.Buffer
	b.WriteByte('{')
	member := func(name string, value func()) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name + `":`)
		value()
	}
	encode := func(v any) func() {
		return func() {
			out, _ := json.Marshal(v)
			b.Write(out)
		}
	}
	if len(resp.Errors) > 0 {
		member("errors", encode(resp.Errors))
	}
	if len(resp.Data) > 0 {
		member("data", func() { b.Write(resp.Data) })
	}
	if len(resp.Extensions) > 0 {
		member("extensions", encode(resp.Extensions))
	}
	b.WriteString("}\n")
	_, _ = w.Write(b.Bytes())
}

// capErrors keeps the first MaxErrors errors of a response and says how many
// were dropped: a query with ten thousand bad fields gets a readable answer.
func (a *api) capErrors(resp *graphql.Response) {
	limit := a.limits.MaxErrors
	if limit <= 0 || len(resp.Errors) <= limit {
		return
	}
	dropped := len(resp.Errors) - limit
	last := &gqlerror.Error{
		Message:    fmt.Sprintf("%d more errors were left out (at most %d are reported)", dropped, limit),
		Extensions: map[string]any{"code": codeTooManyErrors},
	}
	if id, ok := resp.Errors[0].Extensions["correlationId"]; ok {
		last.Extensions["correlationId"] = id
	}
	resp.Errors = append(resp.Errors[:limit:limit], last)
}

// checkField runs before every field: the budgets (checkSpent), the view
// permission of what it returns (checkViewPermission) and the page-size
// contract (checkPageSize). One middleware, not three: gqlgen wraps every
// field in a closure per middleware, tens of thousands of them on a page.
func checkField(defaultPage, maxPage int) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		if err := checkSpent(ctx); err != nil {
			return nil, err
		}
		if err := checkViewPermission(ctx); err != nil {
			return nil, err
		}
		if err := checkPageSize(ctx, defaultPage, maxPage); err != nil {
			return nil, err
		}
		return next(ctx)
	}
}

// checkSpent: once the request is out of time, or its responses hold
// --max-response-fields values, no further field starts. SQL already stops at
// the deadline; this stops the Go side too, so a large response ends at its
// limits instead of resolving, and failing, each of its remaining fields.
func checkSpent(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if b, ok := ctx.Value(fieldBudgetKey{}).(*budget.Budget); ok && !b.Spend() {
		return &apierror.Error{Code: apierror.CodeQueryTooComplex,
			Message:    fmt.Sprintf("the response holds more than %d fields; ask for smaller pages or fewer fields", b.Limit()),
			Extensions: map[string]any{"responseFields": b.Limit(), "limit": b.Limit()}}
	}
	return nil
}

type fieldBudgetKey struct{}
