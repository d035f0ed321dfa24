package graph

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/viewer"
)

// POST /export takes a GraphQL query whose one root field is a connection and
// streams every row of it, walking the pages on the server: one JSON object
// per line (NDJSON), or CSV when the client accepts text/csv, with nested
// objects flattened to manager.fullName columns and nested lists joined. Each
// page is an ordinary request to /graphql (the same token, tenancy,
// permissions, limits and loaders, made afresh per page), so the export holds
// one page in memory whatever its size. The first page says how many rows
// there are: more than the server's --max-export-rows is refused before any
// is sent. The workspace log records each export.

const (
	mediaNDJSON = "application/x-ndjson"
	mediaCSV    = "text/csv"

	// Names the export adds to the query; a client's own fields keep theirs.
	exportAfter    = "exportAfter"
	exportPageInfo = "exportPageInfo"
	exportTotal    = "exportTotal"
)

type exporter struct {
	api      *api
	schema   *ast.Schema
	graphql  http.Handler // the /graphql endpoint, pages go through it
	log      *directory.Service
	maxRows  int
	pageSize int
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := mediaNDJSON
	if strings.Contains(r.Header.Get("Accept"), mediaCSV) {
		format = mediaCSV
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		e.api.fail(w, r, mediaJSON, http.StatusMethodNotAllowed, httpError(codeMethodNotAllowed, "POST the query to export, not %s", r.Method))
		return
	}
	v, ok := e.api.authenticate(w, r, mediaJSON)
	if !ok {
		return
	}
	ops, batch, err := transport{api: e.api}.read(w, r)
	if err == nil && batch {
		err = refuse(http.StatusBadRequest, codeBadRequest, "export one query at a time")
	}
	var plan *exportPlan
	if err == nil {
		plan, err = e.plan(ops[0])
	}
	if err != nil {
		e.api.fail(w, r, mediaJSON, statusOf(err), err)
		return
	}
	ctx := viewer.NewContext(r.Context(), v)
	first, err := e.page(ctx, r, plan, nil)
	if err == nil && first.total > e.maxRows {
		err = refuse(http.StatusRequestEntityTooLarge, codePayloadTooLarge,
			"the export has %d rows; this server exports at most %d (--max-export-rows): narrow it with where", first.total, e.maxRows)
	}
	if err != nil {
		e.refused(w, r, err)
		return
	}

	w.Header().Set("Content-Type", format+"; charset=utf-8")
	w.Header().Set("X-Export-Rows", fmt.Sprint(first.total))
	w.WriteHeader(http.StatusOK)
	out := newRowWriter(w, format, plan.columns)
	rc := http.NewResponseController(w)
	rows, page := 0, first
	for {
		// The server's write timeout bounds one request's answer; an export
		// answers for as long as it has pages.
		_ = rc.SetWriteDeadline(time.Now().Add(e.api.limits.Timeout + 10*time.Second))
		for _, row := range page.rows {
			if err = out.write(row); err != nil {
				break
			}
			rows++
		}
		if err == nil {
			err = out.flush()
			_ = rc.Flush()
		}
		if err != nil || !page.next || rows >= e.maxRows {
			break
		}
		if page, err = e.page(ctx, r, plan, &page.cursor); err != nil {
			// The answer has begun: NDJSON ends with the error, CSV stops short
			// of the X-Export-Rows it announced.
			out.fail(e.api.errorsOf(ctx, err))
		}
	}
	e.record(ctx, plan, format, rows, err)
}

// errorsOf is what an export that fails midway tells the client.
func (a *api) errorsOf(ctx context.Context, err error) gqlerror.List {
	var page pageError
	if errors.As(err, &page) {
		return page.errors
	}
	return gqlerror.List{a.present(ctx, err)}
}

// record writes the export to the workspace log; a failure to do so is logged.
func (e *exporter) record(ctx context.Context, plan *exportPlan, format string, rows int, failed error) {
	entry := directory.Export{Root: plan.root, Query: plan.query, Format: format, Rows: rows}
	if failed != nil {
		entry.Error = failed.Error()
	}
	if err := e.log.LogExport(context.WithoutCancel(ctx), entry); err != nil {
		e.api.logger.ErrorContext(ctx, "export not logged", "error", err)
	}
}

// exportPlan is the query of every page: the client's, with the page size,
// the cursor and the page info the walk needs.
type exportPlan struct {
	root      string // the root field's name, e.g. users
	key       string // its alias or name in the answer
	query     string // as the client sent it, for the log
	paged     string // as each page runs it
	operation string
	variables map[string]any
	edges     bool // rows are edges { node }, not nodes
	columns   []exportColumn
}

// plan checks that the operation is one query of one connection and rewrites it to walk pages.
func (e *exporter) plan(p *graphql.RawParams) (*exportPlan, error) {
	doc, errs := gqlparser.LoadQueryWithRules(e.schema, p.Query, nil)
	if len(errs) > 0 {
		return nil, refuse(http.StatusBadRequest, "GRAPHQL_VALIDATION_FAILED", "%s", errs[0].Message)
	}
	op := doc.Operations.ForName(p.OperationName)
	if op == nil {
		return nil, refuse(http.StatusBadRequest, codeBadRequest, "the document has several operations: name one with operationName")
	}
	var root *ast.Field
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name == "__typename" {
			continue
		}
		if root != nil {
			return nil, refuse(http.StatusBadRequest, codeBadRequest, "an export has one root field; this query has %s and %s", root.Alias, f.Alias)
		}
		root = f
	}
	if op.Operation != ast.Query || root == nil || !strings.HasSuffix(root.Definition.Type.Name(), "Connection") {
		return nil, refuse(http.StatusBadRequest, codeBadRequest, "an export is a query whose root field is a connection, such as users { nodes { id } }")
	}
	plan := &exportPlan{root: root.Name, key: root.Alias, query: p.Query, operation: op.Name, variables: map[string]any{}}
	for k, v := range p.Variables {
		plan.variables[k] = v
	}
	// The rows are nodes { … }, or else edges { node { … } }.
	var rows *ast.SelectionSet
	for _, f := range fieldsOf(root.SelectionSet) {
		if f.Name == "nodes" {
			rows, plan.edges = &f.SelectionSet, false
			break
		}
		if f.Name == "edges" && rows == nil {
			for _, n := range fieldsOf(f.SelectionSet) {
				if n.Name == "node" {
					rows, plan.edges = &n.SelectionSet, true
				}
			}
		}
	}
	if rows == nil {
		return nil, refuse(http.StatusBadRequest, codeBadRequest, "select the rows to export: %s { nodes { … } }", root.Alias)
	}
	plan.columns = columnsOf("", *rows)
	// A cursor the client gave is where the export starts.
	start := root.Arguments.ForName("after")
	if start != nil {
		value, err := start.Value.Value(plan.variables)
		if err != nil {
			return nil, refuse(http.StatusBadRequest, codeBadRequest, "after: %s", err)
		}
		plan.variables[exportAfter] = value
	}
	var args ast.ArgumentList
	for _, a := range root.Arguments {
		if a.Name != "first" && a.Name != "last" && a.Name != "after" && a.Name != "before" {
			args = append(args, a)
		}
	}
	root.Arguments = append(args,
		&ast.Argument{Name: "first", Value: &ast.Value{Kind: ast.IntValue, Raw: fmt.Sprint(e.pageSize)}},
		&ast.Argument{Name: "after", Value: &ast.Value{Kind: ast.Variable, Raw: exportAfter}})
	op.VariableDefinitions = append(op.VariableDefinitions, &ast.VariableDefinition{Variable: exportAfter, Type: ast.NamedType("Cursor", nil)})
	root.SelectionSet = append(root.SelectionSet,
		&ast.Field{Alias: exportTotal, Name: "totalCount"},
		&ast.Field{Alias: exportPageInfo, Name: "pageInfo", SelectionSet: ast.SelectionSet{
			&ast.Field{Alias: "hasNextPage", Name: "hasNextPage"}, &ast.Field{Alias: "endCursor", Name: "endCursor"}}})
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithComments()).FormatQueryDocument(doc)
	plan.paged = b.String()
	return plan, nil
}

// fieldsOf lists the fields of a selection set, fragments spread in.
func fieldsOf(set ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, fieldsOf(s.SelectionSet)...)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				out = append(out, fieldsOf(s.Definition.SelectionSet)...)
			}
		}
	}
	return out
}

// exportPage is one page of rows.
type exportPage struct {
	rows   []map[string]any
	total  int
	next   bool
	cursor string
}

// page runs the query for the page after cursor through /graphql.
func (e *exporter) page(ctx context.Context, r *http.Request, plan *exportPlan, cursor *string) (exportPage, error) {
	vars := plan.variables
	if cursor != nil {
		vars = map[string]any{}
		for k, v := range plan.variables {
			vars[k] = v
		}
		vars[exportAfter] = *cursor
	}
	body, err := json.Marshal(graphql.RawParams{Query: plan.paged, OperationName: plan.operation, Variables: vars})
	if err != nil {
		return exportPage{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	if err != nil {
		return exportPage{}, err
	}
	for _, h := range []string{"Authorization", "X-Tenant-ID"} {
		req.Header.Set(h, r.Header.Get(h))
	}
	req.Header.Set("Content-Type", mediaJSON)
	req.Header.Set("Accept", mediaJSON)
	answer := &pageRecorder{header: http.Header{}}
	e.graphql.ServeHTTP(answer, req)
	var resp struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors gqlerror.List              `json:"errors"`
	}
	dec := json.NewDecoder(&answer.body)
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		return exportPage{}, err
	}
	if len(resp.Errors) > 0 {
		return exportPage{}, pageError{status: answer.status, errors: resp.Errors}
	}
	var conn struct {
		Total    int `json:"exportTotal"`
		PageInfo struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"exportPageInfo"`
		Nodes []map[string]any `json:"nodes"`
		Edges []struct {
			Node map[string]any `json:"node"`
		} `json:"edges"`
	}
	dec = json.NewDecoder(bytes.NewReader(resp.Data[plan.key]))
	dec.UseNumber()
	if err := dec.Decode(&conn); err != nil {
		return exportPage{}, err
	}
	p := exportPage{rows: conn.Nodes, total: conn.Total, next: conn.PageInfo.HasNextPage, cursor: conn.PageInfo.EndCursor}
	if plan.edges {
		p.rows = make([]map[string]any, len(conn.Edges))
		for i, edge := range conn.Edges {
			p.rows[i] = edge.Node
		}
	}
	return p, nil
}

// pageError is a page /graphql answered with errors.
type pageError struct {
	status int
	errors gqlerror.List
}

func (e pageError) Error() string { return e.errors[0].Message }

// refused answers an export refused before its first row: the errors of its
// first page as they are, or err as the presenter gives it.
func (e *exporter) refused(w http.ResponseWriter, r *http.Request, err error) {
	var page pageError
	if !errors.As(err, &page) {
		e.api.fail(w, r, mediaJSON, statusOf(err), err)
		return
	}
	status := page.status
	if status < http.StatusBadRequest {
		// /graphql answers errors in data with 200; an export that cannot
		// start says why with the status of its first error.
		status = http.StatusBadRequest
		switch page.errors[0].Extensions["code"] {
		case apierror.CodeForbidden:
			status = http.StatusForbidden
		case apierror.CodeUnauthenticated:
			status = http.StatusUnauthorized
		}
	}
	e.api.write(w, mediaJSON, status, &graphql.Response{Errors: page.errors})
}

// pageRecorder keeps the answer of one page.
type pageRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *pageRecorder) Header() http.Header         { return p.header }
func (p *pageRecorder) Write(b []byte) (int, error) { return p.body.Write(b) }
func (p *pageRecorder) WriteHeader(status int)      { p.status = status }

// exportColumn is one CSV column: the path of a field in a row.
type exportColumn struct {
	name string   // manager.fullName
	path []string // the keys from the row down
}

// columnsOf lists the leaf fields under a selection set, in order, each named
// by its path (aliases as the answer names them).
func columnsOf(prefix string, set ast.SelectionSet) []exportColumn {
	var out []exportColumn
	seen := map[string]bool{}
	for _, f := range fieldsOf(set) {
		name := prefix + f.Alias
		if seen[name] {
			continue
		}
		seen[name] = true
		if len(f.SelectionSet) == 0 {
			out = append(out, exportColumn{name: name, path: strings.Split(name, ".")})
			continue
		}
		out = append(out, columnsOf(name+".", f.SelectionSet)...)
	}
	return out
}

// rowWriter writes rows as NDJSON or CSV.
type rowWriter struct {
	format  string
	w       io.Writer
	csv     *csv.Writer
	columns []exportColumn
	header  bool
}

func newRowWriter(w io.Writer, format string, columns []exportColumn) *rowWriter {
	out := &rowWriter{format: format, w: w, columns: columns}
	if format == mediaCSV {
		out.csv = csv.NewWriter(w)
	}
	return out
}

func (o *rowWriter) write(row map[string]any) error {
	if o.csv == nil {
		b, err := json.Marshal(row)
		if err != nil {
			return err
		}
		_, err = o.w.Write(append(b, '\n'))
		return err
	}
	if !o.header {
		o.header = true
		names := make([]string, len(o.columns))
		for i, c := range o.columns {
			names[i] = c.name
		}
		if err := o.csv.Write(names); err != nil {
			return err
		}
	}
	record := make([]string, len(o.columns))
	for i, c := range o.columns {
		record[i] = cell(valuesAt(row, c.path))
	}
	return o.csv.Write(record)
}

func (o *rowWriter) flush() error {
	if o.csv == nil {
		return nil
	}
	o.csv.Flush()
	return o.csv.Error()
}

// fail ends an NDJSON answer with the errors that stopped it.
func (o *rowWriter) fail(errs gqlerror.List) {
	if o.csv == nil {
		b, _ := json.Marshal(map[string]any{"errors": errs})
		_, _ = o.w.Write(append(b, '\n'))
	}
}

// valuesAt collects the values at path under v; a list along the way
// contributes one value per element.
func valuesAt(v any, path []string) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, valuesAt(e, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 {
			return []any{x}
		}
		return valuesAt(x[path[0]], path[1:])
	}
	if len(path) > 0 {
		return nil
	}
	return []any{v}
}

// cell is a CSV cell: one value as text, several joined by "; ".
func cell(values []any) string {
	parts := make([]string, 0, len(values))
	for _, v := range values {
		switch x := v.(type) {
		case nil:
		case string:
			parts = append(parts, x)
		default:
			b, _ := json.Marshal(x)
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, "; ")
}
