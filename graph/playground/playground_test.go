package playground_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/idgraph/idgraph/graph/playground"
)

// external matches any absolute URL a page could load from.
var external = regexp.MustCompile(`(src|href)=["']?(https?:)?//`)

func TestPageIsSelfContained(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", playground.Page(playground.Options{Endpoint: "/graphql", Token: "tok_demo.secret"}))
	mux.Handle("GET /playground/", playground.Assets())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if external.MatchString(page) || strings.Contains(page, "cdn") || strings.Contains(page, "unpkg") {
		t.Fatalf("the page loads something from elsewhere:\n%s", page)
	}
	if !strings.Contains(page, `Bearer tok_demo.secret`) || !strings.Contains(page, "DirectoryPage") {
		t.Fatalf("token or example tabs missing:\n%s", page)
	}
	for _, src := range regexp.MustCompile(`(?:src|href)="(/playground/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		r, err := http.Get(srv.URL + src[1])
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || n < 1000 {
			t.Errorf("%s: %d, %d bytes", src[1], r.StatusCode, n)
		}
	}
}

func TestPageWithoutDemoTokenAsksForOne(t *testing.T) {
	rec := httptest.NewRecorder()
	playground.Page(playground.Options{Endpoint: "/graphql"}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(rec.Body.String(), "idgraph token create") || strings.Contains(rec.Body.String(), "tok_") {
		t.Fatalf("%s", rec.Body.String())
	}
}
