package rest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// endpoints are every route of the shim, in the OpenAPI document's order.
var endpoints = concat(directoryEndpoints, reviewEndpoints, accountEndpoints, linkedEndpoints)

func concat(lists ...[]endpoint) []endpoint {
	var out []endpoint
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// openAPI describes the shim as an OpenAPI 3.1 document, built from the
// endpoint table and the Go types of its bodies, so it cannot drift from them.
func openAPI() []byte {
	s := &schemas{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	pathParam := regexp.MustCompile(`\{([a-z]+)\}`)
	for _, e := range endpoints {
		op := map[string]any{"summary": e.summary, "operationId": operationID(e), "security": []any{
			map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}}}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(e.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"description": "idgraph's id or the record's id in its source system (externalId)",
				"schema":      map[string]any{"type": "string"}})
		}
		if len(e.includes) > 0 {
			params = append(params, map[string]any{"name": "include", "in": "query", "style": "form", "explode": false,
				"description": "related records to include, comma-separated",
				"schema":      map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": e.includes}}})
		}
		for _, name := range e.query {
			params = append(params, map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if dialectOf(e.path).tenantHeader {
			params = append(params, map[string]any{"name": "X-Tenant-ID", "in": "header", "required": true,
				"description": "the token's tenant (id or slug); another gets 403 tenant_mismatch",
				"schema":      map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if e.request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": s.of(reflect.TypeOf(e.request))}}}
		}
		success := map[string]any{"description": http.StatusText(e.status)}
		if e.response != nil {
			success["content"] = map[string]any{"application/json": map[string]any{"schema": s.of(reflect.TypeOf(e.response))}}
		}
		errorBody := map[string]any{"$ref": "#/components/schemas/" + errorSchema(dialectOf(e.path))}
		responses := map[string]any{strconv.Itoa(e.status): success}
		for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
			responses[strconv.Itoa(status)] = map[string]any{"description": http.StatusText(status),
				"content": map[string]any{"application/json": map[string]any{"schema": errorBody}}}
		}
		op["responses"] = responses
		if paths[e.path] == nil {
			paths[e.path] = map[string]any{}
		}
		paths[e.path][strings.ToLower(e.method)] = op
	}
	str := map[string]any{"type": "string"}
	// Beside the code and message, an error carries what /graphql's has in its
	// extensions (the permission missing, the limit passed...).
	s.defs["Error"] = map[string]any{"type": "object", "required": []string{"error", "message"},
		"properties": map[string]any{"error": str, "message": str, "correlationId": str}, "additionalProperties": map[string]any{}}
	s.defs["DetailedError"] = map[string]any{"type": "object", "required": []string{"code", "message"},
		"properties": map[string]any{"code": str, "message": str, "details": map[string]any{"type": "object"},
			"notices": map[string]any{"type": "array", "items": str}}}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "idgraph REST endpoints", "version": "1",
			"description": "The REST endpoints idgraph answers from its graph, each by a persisted GraphQL operation: " +
				"the same tokens, tenancy, permissions and limits as /graphql."},
		"paths": paths,
		"components": map[string]any{"schemas": s.defs, "securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
		}},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // maps of strings and slices always marshal
	}
	return out
}

func errorSchema(d dialect) string {
	if d.nested {
		return "DetailedError"
	}
	return "Error"
}

// operationID names an endpoint for code generators: get_api_v1_users_id.
func operationID(e endpoint) string {
	name := strings.NewReplacer("/", "_", "{", "", "}", "").Replace(e.path)
	return strings.ToLower(e.method) + name
}

// schemas turns Go types into JSON Schemas, named types into components.
type schemas struct {
	defs map[string]any
}

var timeType = reflect.TypeOf(Time(""))

func (s *schemas) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		inner := s.of(t.Elem())
		return map[string]any{"oneOf": []any{inner, map[string]any{"type": "null"}}}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": s.of(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem())}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() == reflect.Int:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "optional["):
		return s.of(t.Field(1).Type)
	case t.Kind() == reflect.Struct:
		if t.Name() == "" {
			return s.object(t)
		}
		if _, ok := s.defs[t.Name()]; !ok {
			s.defs[t.Name()] = nil // taken, for types that refer to themselves
			s.defs[t.Name()] = s.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
	}
	panic("rest: no JSON Schema for " + t.String())
}

// object is a struct's schema: its JSON members, required unless omitempty.
func (s *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				add(f.Type)
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			props[name] = s.of(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	add(t)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
