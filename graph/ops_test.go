package graph_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/graphtest"
)

func metricValue(t *testing.T, srv *graphtest.Server, pattern string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	re := regexp.MustCompile(pattern)
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
	}
	t.Fatalf("no metric line matches %s", pattern)
	return 0
}

func TestMetricsCountStatementsRequestsAndDurations(t *testing.T) {
	srv := graphtest.New(t, 30)
	before := metricValue(t, srv, `^idgraph_db_queries_total (\S+)$`)
	resp := srv.Query(t, `query OrgChart { users(first: 5) { totalCount nodes { manager { fullName } } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	after := metricValue(t, srv, `^idgraph_db_queries_total (\S+)$`)
	if after-before != float64(resp.Statements) || resp.Statements == 0 {
		t.Errorf("db queries metric moved by %v, the request sent %d statements", after-before, resp.Statements)
	}
	if n := metricValue(t, srv, `^idgraph_http_requests_total\{method="POST",path="/graphql",status="200"\} (\S+)$`); n != 1 {
		t.Errorf("requests total %v", n)
	}
	srv.Handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/random-8731", nil))
	if n := metricValue(t, srv, `^idgraph_http_requests_total\{method="GET",path="other",status="404"\} (\S+)$`); n != 1 {
		t.Errorf("unknown paths are not folded into one label: %v", n)
	}
	// REST paths carry ids: one series per API, not per record.
	for _, path := range []string{"/api/v1/users/drusr_01aaaaaaaaaaaaaaaaaaaaaaaa", "/api/identities/d4a7e2b1-3f5c-4a8d-9e6b-1c2d3e4f5a6b"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		srv.Handler.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := metricValue(t, srv, `^idgraph_http_requests_total\{method="GET",path="/api",status="404"\} (\S+)$`); n != 2 {
		t.Errorf("REST requests under /api: %v", n)
	}
	// On the API's address durations are not broken down by operation name.
	if n := metricValue(t, srv, `^idgraph_graphql_request_duration_seconds_count\{operation="all"\} (\S+)$`); n != 1 {
		t.Errorf("duration histogram count %v", n)
	}
}

func TestOneJSONLogLinePerRequestWithCorrelationID(t *testing.T) {
	srv := graphtest.New(t, 10)
	resp := srv.Query(t, `query Two { users(first: 2) { nodes { id } } }`, nil)
	id := resp.Header.Get("X-Correlation-ID")
	if id == "" {
		t.Fatal("no X-Correlation-ID header")
	}
	var lines []map[string]any
	dec := json.NewDecoder(strings.NewReader(srv.Logs.String()))
	for {
		var line map[string]any
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		lines = append(lines, line)
	}
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d: %s", len(lines), srv.Logs)
	}
	l := lines[0]
	if l["correlation_id"] != id || l["operation"] != "Two" || l["status"] != float64(200) || l["sql_statements"] != float64(resp.Statements) {
		t.Errorf("log line %v", l)
	}
}
