package graph_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/graph/graphtest"
)

// browser finds a Chromium to drive. CI sets IDGRAPH_BROWSER_TEST=required (and
// installs Debian's chromium), so there the test cannot silently skip.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("IDGRAPH_BROWSER_TEST") == "required" {
		t.Fatal("no chromium found, and the browser test is required")
	}
	t.Skip("no chromium on this machine (apt-get install chromium to run the playground test)")
	return ""
}

// playgroundTab serves srv's handler with its demo token and opens a headless
// Chromium tab on it, for the test's lifetime (60 s at most).
func playgroundTab(t *testing.T, exe string, srv *graphtest.Server) (*httptest.Server, context.Context) {
	web := httptest.NewServer(graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth, DemoToken: srv.Token, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(web.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1400, 900))...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	return web, tab
}

// TestPlaygroundInABrowser loads the playground in headless Chromium as a demo
// visitor would, runs the first example tab, and checks that the result pane
// shows users of the demo organisation. The screenshot stays in the test's temp dir.
func TestPlaygroundInABrowser(t *testing.T) {
	exe := browser(t)
	srv := graphtest.New(t, 200)
	var first struct {
		Users struct{ Nodes []struct{ FullName string } }
	}
	srv.Query(t, `{ users(first: 1, orderBy: [{field: FULL_NAME}]) { nodes { fullName } } }`, nil).Decode(t, &first)
	want := first.Users.Nodes[0].FullName
	web, tab := playgroundTab(t, exe, srv)

	err := chromedp.Do(tab,
		chromedp.Navigate(web.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Poll[chromedp.Void](`(document.querySelector('.result-window') || {innerText: ''}).innerText.includes('totalCount')`,
			chromedp.WithPollingTimeout(30*time.Second)),
	)
	var result string
	if err == nil {
		result, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS(`.result-window`)))
	}
	png, _ := chromedp.Run(tab, chromedp.FullScreenshot(100)) // 100: PNG
	shot := filepath.Join(t.TempDir(), "playground.png")
	if dir := os.Getenv("IDGRAPH_SCREENSHOT_DIR"); dir != "" {
		shot = filepath.Join(dir, "playground.png")
	}
	if len(png) > 0 {
		_ = os.WriteFile(shot, png, 0o644)
	}
	if err != nil {
		t.Fatalf("driving the playground: %v (screenshot: %s)", err, shot)
	}
	if !strings.Contains(result, want) || strings.Contains(result, `"errors"`) {
		t.Fatalf("the result pane does not show %q (screenshot: %s):\n%s", want, shot, result)
	}
	t.Logf("result pane shows %q; screenshot at %s", want, shot)
}

// TestExplorerBuildsAQueryAndTheTableShowsIt builds a query by clicking in the
// Explorer plugin (users, nodes, fullName), runs it, and opens the table view,
// which must list the users the answer holds, with a CSV download.
func TestExplorerBuildsAQueryAndTheTableShowsIt(t *testing.T) {
	exe := browser(t)
	srv := graphtest.New(t, 60)
	web, tab := playgroundTab(t, exe, srv)

	field := func(path ...string) chromedp.Action[chromedp.Void] {
		sel := `.graphiql-explorer-root`
		for _, p := range path[:len(path)-1] {
			sel += ` .graphiql-explorer-` + p
		}
		return chromedp.Click(chromedp.CSS(sel + ` span[data-field-name="` + path[len(path)-1] + `"]`))
	}
	err := chromedp.Do(tab,
		chromedp.Navigate(web.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Add tab"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Show GraphiQL Explorer"]`)),
		field("users"), field("users", "nodes"), field("users", "nodes", "fullName"),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Poll[chromedp.Void](`(document.querySelector('.result-window') || {innerText: ''}).innerText.includes('fullName')`,
			chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Table view"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.idgraph-table tbody tr`)),
	)
	var query, header string
	var rows int
	var csv bool
	if err == nil {
		query, err = chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`))
	}
	if err == nil {
		header, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS(`.idgraph-table thead`)))
	}
	if err == nil {
		rows, err = chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('.idgraph-table tbody tr').length`))
	}
	if err == nil {
		csv, err = chromedp.Run(tab, chromedp.Evaluate[bool](`!!document.querySelector('.idgraph-download-csv') && !!document.querySelector('.idgraph-export-all')`))
	}
	// "Export every row" sends the same query to /export: all users, not one page.
	var exported string
	if err == nil {
		err = chromedp.Do(tab, chromedp.Click(chromedp.CSS(`.idgraph-export-all`)),
			chromedp.Poll[chromedp.Void](`document.querySelector('.idgraph-export-status').innerText.includes('rows')`,
				chromedp.WithPollingTimeout(20*time.Second)))
	}
	if err == nil {
		exported, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS(`.idgraph-export-status`)))
	}
	if err != nil {
		png, _ := chromedp.Run(tab, chromedp.FullScreenshot(100))
		shot := filepath.Join(t.TempDir(), "explorer.png")
		_ = os.WriteFile(shot, png, 0o644)
		t.Fatalf("driving the explorer: %v (screenshot: %s)", err, shot)
	}
	compact := strings.Join(strings.Fields(query), " ")
	if !strings.Contains(compact, "users { nodes { fullName } }") {
		t.Errorf("the explorer built %q", compact)
	}
	// The default page of users, one row each, under the column fullName.
	var want struct {
		Users struct{ Nodes []struct{ FullName string } }
	}
	srv.Query(t, `{ users { nodes { fullName } } }`, nil).Decode(t, &want)
	if strings.TrimSpace(header) != "fullName" || rows != len(want.Users.Nodes) || !csv {
		t.Errorf("table: header %q, %d rows (want %d), CSV buttons %v", header, rows, len(want.Users.Nodes), csv)
	}
	var total struct{ Users struct{ TotalCount int } }
	srv.Query(t, `{ users { totalCount } }`, nil).Decode(t, &total)
	if want := fmt.Sprintf("%d rows exported", total.Users.TotalCount); strings.TrimSpace(exported) != want {
		t.Errorf("export: %q, want %q", exported, want)
	}
}
