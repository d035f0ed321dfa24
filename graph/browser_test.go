package graph_test

import (
	"context"
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
	web := httptest.NewServer(graph.NewHandler(srv.DB, graph.Options{Auth: srv.Auth, DemoToken: srv.Token, Logger: slog.New(slog.DiscardHandler)}))
	defer web.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1400, 900))...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()

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
