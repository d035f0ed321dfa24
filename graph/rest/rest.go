// Package rest serves the REST endpoints teams move to idgraph from, in their
// paths, bodies and status codes, so that their clients keep working while they
// move to GraphQL. Each endpoint is a persisted GraphQL operation run through
// the /graphql endpoint itself: tokens, tenancy, permissions, limits, loaders
// and the audit log apply unchanged, and an include= costs the statements of the
// same GraphQL query. The shim only chooses the operation and its variables and
// reshapes the answer.
package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/gid"
)

// Options configure the shim.
type Options struct {
	// GraphQL is the /graphql endpoint (with its authentication and limits),
	// which answers every operation the shim runs.
	GraphQL http.Handler
	// MaxBodyBytes bounds a request body, as on /graphql.
	MaxBodyBytes int64
	// Around, when set, wraps every route (the CORS policy of /graphql).
	Around func(http.Handler) http.Handler
	// Logger hears of the errors answered with 500.
	Logger *slog.Logger
}

// Register adds the shim's routes, and /api/openapi.json describing them, to mux.
func Register(mux *http.ServeMux, opts Options) {
	s := &shim{opts: opts}
	handle := func(pattern string, h http.HandlerFunc) {
		if opts.Around != nil {
			mux.Handle(pattern, opts.Around(h))
			return
		}
		mux.Handle(pattern, h)
	}
	paths := map[string][]string{}
	for _, e := range endpoints {
		e := e
		handle(e.method+" "+e.path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, e) })
		paths[e.path] = append(paths[e.path], e.method)
	}
	// A known path with another method, and an unknown path under the shim's
	// prefixes, get an answer in the shim's shape rather than the mux's text.
	for path, methods := range paths {
		allow := strings.Join(methods, ", ")
		d := dialectOf(path)
		handle(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			d.fail(w, &failure{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
				message: fmt.Sprintf("use %s, not %s", allow, r.Method)})
		})
	}
	for _, prefix := range []string{"/api/", "/v1/"} {
		d := dialectOf(prefix)
		handle(prefix, func(w http.ResponseWriter, r *http.Request) {
			d.fail(w, &failure{status: http.StatusNotFound, code: "not_found", message: fmt.Sprintf("no endpoint at %s", r.URL.Path)})
		})
	}
	doc := openAPI()
	handle("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
}

// endpoint is one REST operation of the shim.
type endpoint struct {
	method, path string
	summary      string
	// includes are the values include= takes, when it takes any.
	includes []string
	// query names the other query parameters.
	query []string
	// request is the body's type, response the answer's; both also describe
	// the endpoint in the OpenAPI document.
	request, response any
	// status is the status of a success.
	status int
	run    func(c *call) (any, error)
}

// shim answers the REST endpoints.
type shim struct {
	opts Options
}

func (s *shim) serve(w http.ResponseWriter, r *http.Request, e endpoint) {
	c := &call{shim: s, w: w, r: r, dialect: dialectOf(e.path)}
	var out any
	err := c.check(e)
	if err == nil {
		out, err = e.run(c)
	}
	if err != nil {
		var f *failure
		if !errors.As(err, &f) {
			s.internal(w, r, err)
			f = &failure{status: http.StatusInternalServerError, code: "internal_server_error", message: "internal server error"}
		}
		c.dialect.fail(w, f)
		return
	}
	if out == nil {
		w.WriteHeader(e.status)
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		s.internal(w, r, err)
		c.dialect.fail(w, &failure{status: http.StatusInternalServerError, code: "internal_server_error", message: "internal server error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(append(body, '\n'))
}

// internal logs an error the client sees only as a 500, with the request's
// correlation id (set by then on the response).
func (s *shim) internal(w http.ResponseWriter, r *http.Request, err error) {
	if s.opts.Logger != nil {
		s.opts.Logger.ErrorContext(r.Context(), "REST endpoint failed", slog.String("correlation_id", w.Header().Get("X-Correlation-ID")),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
}

// call is one request to the shim.
type call struct {
	shim    *shim
	w       http.ResponseWriter
	r       *http.Request
	dialect dialect
	// included is the set of include= values the request names.
	included map[string]bool
}

// check reads what every endpoint shares: the include= list and the tenant header.
func (c *call) check(e endpoint) error {
	q := c.r.URL.Query()
	for name := range q {
		if name != "include" && !slices.Contains(e.query, name) {
			return badRequest("unknown query parameter %q", name)
		}
	}
	c.included = map[string]bool{}
	if raw := strings.Join(q["include"], ","); raw != "" {
		if len(e.includes) == 0 {
			return badRequest("this endpoint takes no include")
		}
		for _, name := range strings.Split(raw, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(e.includes, name) {
				return badRequest("unknown include %q; available: %s", apierror.Clip(name), strings.Join(e.includes, ", "))
			}
			c.included[name] = true
		}
	}
	if c.dialect.tenantHeader && c.r.Header.Get("X-Tenant-ID") == "" {
		return badRequest("the X-Tenant-ID header is required")
	}
	return nil
}

// graphQLError is one error of a /graphql answer.
type graphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// run sends the persisted operation with vars to /graphql as the request's
// caller and decodes its data into out. A count the token may not read is left
// out of the answer; any other error fails the call with the status its code
// stands for.
func (c *call) run(operation string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": operation, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(c.r.Context(), http.MethodPost, "/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// X-API-Key is a token sent under another name.
	switch {
	case c.r.Header.Get("Authorization") != "":
		req.Header.Set("Authorization", c.r.Header.Get("Authorization"))
	case c.r.Header.Get("X-API-Key") != "":
		req.Header.Set("Authorization", "Bearer "+c.r.Header.Get("X-API-Key"))
	}
	if tenant := c.r.Header.Get("X-Tenant-ID"); tenant != "" {
		req.Header.Set("X-Tenant-ID", tenant)
	}
	answer := &recorder{header: http.Header{}, status: http.StatusOK}
	c.shim.opts.GraphQL.ServeHTTP(answer, req)
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphQLError  `json:"errors"`
	}
	if err := json.Unmarshal(answer.body.Bytes(), &resp); err != nil {
		return fmt.Errorf("decoding the answer to %s: %w", operationName(operation), err)
	}
	for _, e := range resp.Errors {
		if code(e) == "FORBIDDEN" && underCounts(e.Path) {
			continue
		}
		if answer.status == http.StatusUnauthorized {
			c.w.Header().Set("WWW-Authenticate", answer.header.Get("WWW-Authenticate"))
		}
		return failureOf(e, answer.status)
	}
	if len(resp.Data) == 0 {
		return fmt.Errorf("%s answered no data", operationName(operation))
	}
	return json.Unmarshal(resp.Data, out)
}

// underCounts reports whether an error's path runs through a counts object.
func underCounts(path []any) bool {
	for _, p := range path {
		if p == "counts" {
			return true
		}
	}
	return false
}

func code(e graphQLError) string {
	s, _ := e.Extensions["code"].(string)
	return s
}

func operationName(op string) string {
	_, rest, _ := strings.Cut(op, " ")
	name, _, _ := strings.Cut(rest, "(")
	return strings.TrimSpace(name)
}

// statusOf maps the codes /graphql puts on errors to HTTP statuses.
var statusOf = map[string]int{
	"NOT_FOUND":                 http.StatusNotFound,
	"UNAUTHENTICATED":           http.StatusUnauthorized,
	"FORBIDDEN":                 http.StatusForbidden,
	"TENANT_MISMATCH":           http.StatusForbidden,
	"BAD_USER_INPUT":            http.StatusBadRequest,
	"BAD_REQUEST":               http.StatusBadRequest,
	"GRAPHQL_VALIDATION_FAILED": http.StatusBadRequest,
	"QUERY_TOO_COMPLEX":         http.StatusBadRequest,
	"CONFLICT":                  http.StatusConflict,
	"PAYLOAD_TOO_LARGE":         http.StatusRequestEntityTooLarge,
	"REQUEST_TIMEOUT":           http.StatusServiceUnavailable,
}

func failureOf(e graphQLError, status int) *failure {
	f := &failure{status: http.StatusInternalServerError, code: strings.ToLower(code(e)), message: e.Message}
	if s, ok := statusOf[code(e)]; ok {
		f.status = s
	} else if status >= 400 {
		f.status = status
	}
	if f.code == "" {
		f.code = "internal_server_error"
	}
	if ext := e.Extensions; ext != nil {
		for k, v := range ext {
			if k != "code" && k != "correlationId" {
				if f.details == nil {
					f.details = map[string]any{}
				}
				f.details[k] = v
			}
		}
	}
	return f
}

// failure is an error answer: its status, machine-readable code and message.
type failure struct {
	status  int
	code    string
	message string
	details map[string]any
}

func (f *failure) Error() string { return f.message }

func badRequest(format string, args ...any) *failure {
	return &failure{status: http.StatusBadRequest, code: "bad_request", message: fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *failure {
	return &failure{status: http.StatusNotFound, code: "not_found", message: fmt.Sprintf("%s with id %s not found", kind, apierror.Clip(id))}
}

// asNotFound gives a record's absence the endpoint's wording, whoever noticed it.
func asNotFound(err error, kind, id string) error {
	var f *failure
	if errors.As(err, &f) && f.status == http.StatusNotFound {
		return notFound(kind, id)
	}
	return err
}

// dialect is how one family of endpoints spells its errors.
type dialect struct {
	// codeKey names the member that holds the code: "error" or "code".
	codeKey string
	// nested puts the correlation id and details under "details".
	nested bool
	// tenantHeader: requests must name their tenant in X-Tenant-ID.
	tenantHeader bool
}

var (
	// Seeds 000-003: {"error": "not_found", "message": "...", "correlationId": "..."}.
	flatErrors = dialect{codeKey: "error"}
	// Seed 004: {"code": "not_found", "message": "...", "details": {...}}, and X-Tenant-ID.
	detailErrors = dialect{codeKey: "code", nested: true, tenantHeader: true}
)

func dialectOf(path string) dialect {
	if strings.HasPrefix(path, "/v1/") {
		return detailErrors
	}
	return flatErrors
}

func (d dialect) fail(w http.ResponseWriter, f *failure) {
	body := map[string]any{d.codeKey: f.code, "message": f.message}
	id := w.Header().Get("X-Correlation-ID")
	if d.nested {
		details := map[string]any{}
		for k, v := range f.details {
			details[k] = v
		}
		if id != "" {
			details["correlationId"] = id
		}
		body["details"] = details
	} else {
		for k, v := range f.details {
			body[k] = v
		}
		if id != "" {
			body["correlationId"] = id
		}
	}
	if f.status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idgraph"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_ = json.NewEncoder(w).Encode(body)
}

// idVariables returns the variables that name a record by the id a REST path
// carries: idgraph's own id when it is one of prefix's, else the source
// system's (the external id).
func idVariables(value, prefix string) map[string]any {
	if gid.Validate(value, prefix) == nil {
		return map[string]any{"id": value}
	}
	return map[string]any{"externalId": value}
}

// decodeBody reads a JSON request body into v: unknown members, a body past
// the size limit and trailing data are refused.
func (c *call) decodeBody(v any) error {
	media, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || media != "application/json" {
		return &failure{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: fmt.Sprintf("the body must be application/json (got %q)", apierror.Clip(c.r.Header.Get("Content-Type")))}
	}
	limit := c.shim.opts.MaxBodyBytes
	raw, err := io.ReadAll(io.LimitReader(c.r.Body, limit+1))
	if err != nil {
		return badRequest("the request body could not be read")
	}
	if int64(len(raw)) > limit {
		return &failure{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
			message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not a valid request: %s", apierror.Clip(err.Error()))
	}
	if dec.More() {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// recorder keeps what /graphql answers.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }
