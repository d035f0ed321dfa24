// Package playground serves GraphiQL from files embedded in the binary, so the
// playground works on a machine with no internet access. The files are pinned
// npm builds (GraphiQL, React, and GraphiQL's Explorer plugin, which builds
// queries by ticking fields); scripts/playground-assets.sh rebuilds them. The
// page adds a table view of the last answer, with CSV downloads.
package playground

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

//go:embed index.html
var indexHTML string

var page = template.Must(template.New("playground").Parse(indexHTML))

// Options configure the playground page.
type Options struct {
	// Endpoint is the GraphQL URL the page queries.
	Endpoint string
	// Export is the URL of POST /export, which the table view's "Export every
	// row" calls.
	Export string
	// Token, when set (serve --demo), is filled into the Authorization header.
	Token string
}

// Tab is one editor tab the playground opens with.
type Tab struct {
	Query     string `json:"query"`
	Variables string `json:"variables,omitempty"`
}

// config is what the page's script receives.
type config struct {
	Endpoint       string `json:"endpoint"`
	ExportEndpoint string `json:"exportEndpoint"`
	Headers        string `json:"headers"`
	Tabs           []Tab  `json:"tabs"`
}

// Page serves the playground's HTML page.
func Page(opts Options) http.Handler {
	token := opts.Token
	if token == "" {
		token = "<your token: idgraph token create --tenant SLUG --permissions ...>"
	}
	headers, _ := json.MarshalIndent(map[string]string{"Authorization": "Bearer " + token}, "", "  ")
	cfg := config{Endpoint: opts.Endpoint, ExportEndpoint: opts.Export, Headers: string(headers), Tabs: Examples}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Nothing is loaded from anywhere but this server.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "+
			"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'")
		w.Header().Set("Cache-Control", "no-store") // the demo page carries a token
		_ = page.Execute(w, cfg)
	})
}

// Assets serves the embedded GraphiQL and React files under the path prefix
// the page uses (/playground/).
func Assets() http.Handler {
	sub, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix("/playground/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
