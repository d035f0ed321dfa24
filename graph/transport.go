package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/idempotency"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Media types of the GraphQL-over-HTTP specification.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// HTTP-level error codes, beside the GraphQL ones in apierror.
const (
	codeBadRequest           = "BAD_REQUEST"
	codeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	codeNotAcceptable        = "NOT_ACCEPTABLE"
	codeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	codePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	codeTooManyErrors        = "TOO_MANY_ERRORS"
)

func httpError(code, format string, args ...any) *apierror.Error {
	return &apierror.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// transport speaks GraphQL over HTTP (https://graphql.github.io/graphql-over-http/):
// GET carries queries only; POST carries application/json; the response is
// application/graphql-response+json when the client accepts it, with 400 for a
// request that cannot execute, and application/json otherwise, with 200. It
// replaces gqlgen's GET and POST transports, which echo a malformed body back in
// the error, answer mutations over GET with 406, and leave body size unbounded.
type transport struct {
	api *api
}

func (transport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodPost
}

func (t transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := negotiate(r.Header.Get("Accept"))
	ops, batch, err := t.read(w, r)
	if err != nil {
		t.api.fail(w, r, media, statusOf(err), err)
		return
	}
	// A slot is taken once the body is in, so a client that sends slowly holds
	// none, and given back once the answer is written.
	select {
	case t.api.slots <- struct{}{}:
		defer func() { <-t.api.slots }()
	case <-r.Context().Done():
		t.api.fail(w, r, media, http.StatusServiceUnavailable, errTimeout{t.api.limits.Timeout})
		return
	}
	if !batch {
		resp, status := t.execute(r.Context(), exec, ops[0], r.Method == http.MethodGet, media, r.Header.Get("Idempotency-Key"))
		switch status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodPost)
		case statusReplayed:
			w.Header().Set("Idempotent-Replayed", "true")
			status = http.StatusOK
		}
		t.api.write(w, media, status, resp)
		return
	}
	out := make([]*graphql.Response, len(ops))
	for i, op := range ops {
		out[i], _ = t.execute(r.Context(), exec, op, false, mediaJSON, "")
		t.api.capErrors(out[i])
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	_ = json.NewEncoder(w).Encode(out)
}

// requestError carries the HTTP status of a request refused before GraphQL sees it.
type requestError struct {
	status int
	err    *apierror.Error
}

func (e *requestError) Error() string { return e.err.Message }
func (e *requestError) Unwrap() error { return e.err }

func refuse(status int, code, format string, args ...any) error {
	return &requestError{status: status, err: httpError(code, format, args...)}
}

func statusOf(err error) int {
	var re *requestError
	if errors.As(err, &re) {
		return re.status
	}
	return http.StatusBadRequest
}

// read returns the operations of the request: one, or several for a batch.
// drainTooLarge is how much of a body over the limit is read and dropped, so
// that a client still sending it can read the 413.
const drainTooLarge = 32 << 20

func (t transport) read(w http.ResponseWriter, r *http.Request) ([]*graphql.RawParams, bool, error) {
	if r.Method == http.MethodGet {
		p, err := fromQueryString(r.URL.RawQuery)
		return []*graphql.RawParams{p}, false, err
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != mediaJSON || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		// Form, multipart and text/plain posts are "simple" requests a browser sends
		// cross-site without a preflight: refusing them is the CSRF defence.
		return nil, false, refuse(http.StatusUnsupportedMediaType, codeUnsupportedMediaType,
			"POST bodies must be application/json (got %q)", r.Header.Get("Content-Type"))
	}
	limit := t.api.limits.MaxBodyBytes
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case err != nil:
		return nil, false, refuse(http.StatusBadRequest, codeBadRequest, "the request body could not be read")
	case int64(len(body)) > limit:
		// Many clients send the whole body before they read the answer: read
		// (and drop) a bounded amount more so that they get the 413 rather than
		// a connection reset, then close the connection.
		_, _ = io.CopyN(io.Discard, r.Body, drainTooLarge)
		w.Header().Set("Connection", "close")
		return nil, false, refuse(http.StatusRequestEntityTooLarge, codePayloadTooLarge,
			"the request body is larger than %d bytes", limit)
	}
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, false, refuse(http.StatusBadRequest, codeBadRequest, "the request body is empty: send {\"query\": \"...\"}")
	case !utf8.Valid(body):
		return nil, false, refuse(http.StatusBadRequest, codeBadRequest, "the request body is not valid UTF-8")
	case body[0] == '[':
		ops, err := t.readBatch(body)
		return ops, true, err
	}
	var p graphql.RawParams
	if err := decodeJSON(body, &p); err != nil {
		return nil, false, err
	}
	return []*graphql.RawParams{&p}, false, nil
}

func (t transport) readBatch(body []byte) ([]*graphql.RawParams, error) {
	limit := t.api.limits.MaxBatch
	if limit <= 0 {
		return nil, refuse(http.StatusBadRequest, codeBadRequest, "batched operations are not enabled on this server: send one operation per request")
	}
	var ops []*graphql.RawParams
	if err := decodeJSON(body, &ops); err != nil {
		return nil, err
	}
	if len(ops) == 0 || len(ops) > limit {
		return nil, refuse(http.StatusBadRequest, codeBadRequest, "a batch holds 1 to %d operations, got %d", limit, len(ops))
	}
	for _, op := range ops {
		if op == nil {
			return nil, refuse(http.StatusBadRequest, codeBadRequest, "every operation in a batch must be an object")
		}
	}
	return ops, nil
}

// decodeJSON decodes exactly one JSON value; the error never quotes the body.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return refuse(http.StatusBadRequest, codeBadRequest, "the request body has the wrong shape: %s must not be a JSON %s", fieldOrBody(typeErr.Field), typeErr.Value)
		}
		return refuse(http.StatusBadRequest, codeBadRequest, "the request body is not valid JSON (at byte %d)", dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return refuse(http.StatusBadRequest, codeBadRequest, "the request body has data after its JSON value")
	}
	return nil
}

func fieldOrBody(field string) string {
	if field == "" {
		return "the body"
	}
	return strconv.Quote(field)
}

func fromQueryString(raw string) (*graphql.RawParams, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, codeBadRequest, "the query string is malformed")
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for name, into := range map[string]any{"variables": &p.Variables, "extensions": &p.Extensions} {
		if v := q.Get(name); v != "" {
			if err := decodeJSON([]byte(v), into); err != nil {
				return nil, refuse(http.StatusBadRequest, codeBadRequest, "the %s parameter is not a JSON object", name)
			}
		}
	}
	return p, nil
}

// statusReplayed marks an answer replayed for an Idempotency-Key (sent as 200).
const statusReplayed = -1

// execute runs one operation and returns its response and HTTP status. A
// mutation sent with an idempotency key runs at most once per key (see
// internal/idempotency).
func (t transport) execute(ctx context.Context, exec graphql.GraphExecutor, p *graphql.RawParams, viaGET bool, media, idemKey string) (*graphql.Response, int) {
	if err := t.api.limits.Variables(p.Variables); err != nil {
		return exec.DispatchError(ctx, gqlerror.List{err}), http.StatusOK
	}
	oc, errs := exec.CreateOperationContext(ctx, p)
	if errs != nil {
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		return exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs), status
	}
	opCtx := graphql.WithOperationContext(ctx, oc)
	if viaGET && oc.Operation.Operation != ast.Query {
		err := httpError(codeMethodNotAllowed, "%ss must be sent with POST; GET carries queries only", oc.Operation.Operation)
		return exec.DispatchError(opCtx, gqlerror.List{wrap(err)}), http.StatusMethodNotAllowed
	}
	var claim *idempotency.Claim
	if idemKey != "" && oc.Operation.Operation == ast.Mutation {
		replay, c, err := t.api.idempotency.Begin(ctx, viewer.FromContext(ctx).TokenID, idemKey, idempotency.Hash(p.Query, p.OperationName, p.Variables))
		if err != nil {
			status := http.StatusConflict
			if e, ok := apierror.As(err); !ok || e.Code != apierror.CodeConflict {
				status = http.StatusBadRequest
			}
			return exec.DispatchError(opCtx, gqlerror.List{wrap(err)}), status
		}
		if replay != nil {
			var resp graphql.Response
			if err := json.Unmarshal(replay, &resp); err == nil {
				return &resp, statusReplayed
			}
		}
		claim = c
	}
	handler, ctx := exec.DispatchOperation(ctx, oc)
	resp := handler(ctx)
	if resp == nil {
		// gqlgen answers nothing when the context ended before execution began.
		resp = exec.DispatchError(ctx, gqlerror.List{wrap(context.Cause(ctx))})
	}
	if claim != nil {
		t.settle(ctx, claim, resp)
	}
	return resp, http.StatusOK
}

// settle stores a mutation's answer under its idempotency key, or frees the
// key when no mutation field returned anything (nothing was written).
func (t transport) settle(ctx context.Context, claim *idempotency.Claim, resp *graphql.Response) {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(resp.Data, &fields)
	wrote := false
	for _, v := range fields {
		wrote = wrote || string(v) != "null"
	}
	var err error
	if wrote {
		var b []byte
		if b, err = json.Marshal(resp); err == nil {
			err = t.api.idempotency.Finish(ctx, claim, b)
		}
	} else {
		err = t.api.idempotency.Release(ctx, claim)
	}
	if err != nil {
		t.api.logger.ErrorContext(ctx, "settling an idempotency key", slog.String("correlation_id", CorrelationID(ctx)), slog.String("error", err.Error()))
	}
}

// wrap lets an error reach the presenter as a gqlerror, its code intact.
func wrap(err error) *gqlerror.Error {
	return &gqlerror.Error{Message: err.Error(), Err: err}
}

// negotiate picks the response media type from an Accept header: the one the
// client prefers, graphql-response+json on a tie, application/json when the
// header is absent (as the spec asks during its transition); "" when the client
// accepts neither.
func negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON
	}
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		var candidate string
		switch mediaType {
		case mediaGraphQLResponse:
			candidate = mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			candidate = mediaJSON
		default:
			continue
		}
		if q > bestQ || (q == bestQ && q > 0 && candidate == mediaGraphQLResponse) {
			best, bestQ = candidate, q
		}
	}
	return best
}
