package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idgraph/idgraph/graph"
	"github.com/idgraph/idgraph/internal/store/storetest"
)

func TestSeedThenServeThenShutDown(t *testing.T) {
	ctx := context.Background()
	db := storetest.DSN(t, "cli.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"seed", "--db", db, "--users", "40"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "seeded tenant demo") {
		t.Fatalf("seed printed %q", out.String())
	}
	if err := run(ctx, []string{"seed", "--db", db, "--users", "40"}, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "already seeded") {
		t.Fatalf("re-seeding: err = %v", err)
	}

	var tokenOut, tokenErr bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--db", db, "--tenant", "demo", "--permissions", "directory.user.view", "--name", "cli test"},
		&tokenOut, &tokenErr); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(tokenOut.String())
	if strings.Count(tokenOut.String(), "\n") != 1 || !strings.HasPrefix(token, "tok_") || !strings.Contains(tokenErr.String(), "shown only once") {
		t.Fatalf("token create printed %q (stderr %q): want the token alone on stdout", tokenOut.String(), tokenErr.String())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(serveCtx, []string{"serve", "--db", db, "--addr", addr}, io.Discard, io.Discard) }()

	post := func(token string) (*http.Response, string, error) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql",
			strings.NewReader(`{"query":"{ users(first: 1) { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body), nil
	}
	var resp *http.Response
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, body, err = post(token); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.Contains(body, `"totalCount":41`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, body, err = post(""); err != nil || resp.StatusCode != 401 || !strings.Contains(body, "UNAUTHENTICATED") {
		t.Fatalf("no token: %v %v %s", err, resp, body)
	}
	stop() // what SIGINT/SIGTERM do
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}

	// Shutting down recorded the token's use; revoking shows in the list.
	id, _, _ := strings.Cut(token, ".")
	if err := run(ctx, []string{"token", "revoke", "--db", db, id}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var list bytes.Buffer
	if err := run(ctx, []string{"token", "list", "--db", db}, &list, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(list.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], id) || !strings.Contains(lines[1], "cli test") ||
		strings.Count(lines[1], "never") != 0 || strings.Contains(lines[1], strings.Split(token, ".")[1]) {
		t.Fatalf("token list (want used, revoked, expiring, no secret):\n%s", list.String())
	}
}

func TestTokenCommandErrors(t *testing.T) {
	ctx := context.Background()
	db := storetest.DSN(t, "tok.db")
	if err := run(ctx, []string{"seed", "--db", db, "--users", "5"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"token"},
		{"token", "mint"},
		{"token", "create", "--db", db, "--permissions", "*"},
		{"token", "create", "--db", db, "--tenant", "demo", "--permissions", "root"},
		{"token", "create", "--db", db, "--tenant", "demo", "--permissions", "*", "--expires", "soon"},
		{"token", "create", "--db", db, "--tenant", "nope", "--permissions", "*"},
		{"token", "revoke", "--db", db, "tok_01hk240nm02rnpwbehf8hmr4wz"},
		{"token", "revoke", "--db", db},
	} {
		var out bytes.Buffer
		if err := run(ctx, args, &out, io.Discard); err == nil || out.Len() != 0 {
			t.Errorf("%v: err %v, stdout %q", args, err, out.String())
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestServerTimeouts(t *testing.T) {
	srv := httpServer("127.0.0.1:0", http.NotFoundHandler(), graph.Limits{Timeout: 15 * time.Second})
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.IdleTimeout == 0 || srv.WriteTimeout <= 15*time.Second || srv.MaxHeaderBytes == 0 {
		t.Fatalf("unbounded: %+v", srv)
	}
	// A client that opens a connection and sends half a header is cut off.
	srv.ReadHeaderTimeout = 100 * time.Millisecond
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 512)
	start := time.Now()
	for {
		if _, err := conn.Read(buf); err != nil {
			break // closed by the server (or answered 408 and closed)
		}
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("a half-sent header held the connection for %s", elapsed)
	}
}

func TestServeFlags(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	limits := limitFlags(fs)
	if err := fs.Parse([]string{"--max-depth", "7", "--introspection=false", "--cors-origins", "https://a.example, https://b.example", "--max-batch", "5", "--timeout", "3s"}); err != nil {
		t.Fatal(err)
	}
	l := limits()
	if l.MaxDepth != 7 || !l.DisableIntrospection || len(l.CORSOrigins) != 2 || l.CORSOrigins[1] != "https://b.example" ||
		l.MaxBatch != 5 || l.Timeout != 3*time.Second || l.MaxCost != graph.DefaultLimits.MaxCost {
		t.Fatalf("%+v", l)
	}
}

// syncBuffer is a buffer the server and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUntil starts serve with args on a free port and returns its address and a stop function.
func serveUntil(t *testing.T, args []string, stderr io.Writer) (string, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), io.Discard, stderr) }()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return addr, func() {
				stop()
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			}
		}
	}
	stop()
	t.Fatalf("serve did not start: %v", <-done)
	return "", nil
}

func TestServeDemo(t *testing.T) {
	db := storetest.DSN(t, "demo.db")
	var stderr syncBuffer
	addr, stop := serveUntil(t, []string{"--db", db, "--demo"}, &stderr)
	token := regexp.MustCompile(`tok_[0-9a-z]+\.[A-Za-z0-9_-]+`).FindString(stderr.String())
	if token == "" || !strings.Contains(stderr.String(), "http://"+addr+"/") {
		t.Fatalf("--demo printed %q", stderr.String())
	}
	page := get(t, "http://"+addr+"/", "")
	if !strings.Contains(page, "Bearer "+token) {
		t.Fatalf("the playground does not carry the demo token:\n%.500s", page)
	}
	if body := get(t, "http://"+addr+"/graphql?query="+url.QueryEscape("{ users { totalCount } viewer { permissions } }"), token); !regexp.MustCompile(`"totalCount":10\d\d`).MatchString(body) ||
		strings.Contains(body, "manage") {
		t.Fatalf("the demo token: %s", body)
	}
	stop()

	// Without --demo: nothing seeded, no token printed, the page asks for one.
	empty := storetest.DSN(t, "empty.db")
	var quiet syncBuffer
	addr, stop = serveUntil(t, []string{"--db", empty}, &quiet)
	defer stop()
	if strings.Contains(quiet.String(), "tok_") {
		t.Fatalf("serve without --demo printed a token: %q", quiet.String())
	}
	if page := get(t, "http://"+addr+"/", ""); strings.Contains(page, "tok_") || !strings.Contains(page, "token create") {
		t.Fatalf("the page without --demo:\n%.500s", page)
	}
}

func get(t *testing.T, target, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestTwoReplicasShareEverything starts two servers on one database (PostgreSQL
// in CI's second run): a change through one is read through the other at once,
// and tokens, persisted queries and idempotency keys work across both.
func TestTwoReplicasShareEverything(t *testing.T) {
	ctx := context.Background()
	db := storetest.DSN(t, "replicas.db")
	if err := run(ctx, []string{"seed", "--db", db, "--users", "20"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--db", db, "--tenant", "demo", "--permissions", "*"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	a, stopA := serveUntil(t, []string{"--db", db}, io.Discard)
	defer stopA()
	b, stopB := serveUntil(t, []string{"--db", db}, io.Discard)
	defer stopB()

	post := func(addr string, body string, header ...string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, string(raw)
	}

	// A change through A is read through B at once.
	_, created := post(a, `{"query":"mutation { createUser(input: {email: \"replica@example.com\", fullName: \"Ann Replica\"}) { user { id } } }"}`)
	id := regexp.MustCompile(`drusr_[0-9a-z]+`).FindString(created)
	if id == "" {
		t.Fatalf("create through A: %s", created)
	}
	if _, read := post(b, `{"query":"{ user(id: \"`+id+`\") { fullName } }"}`); !strings.Contains(read, "Ann Replica") {
		t.Fatalf("read through B: %s", read)
	}

	// A query persisted through A runs by its hash through B.
	query := `{ users { totalCount } }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	ext := `"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`
	if _, reg := post(a, `{"query":"`+query+`",`+ext+`}`); !strings.Contains(reg, "totalCount") {
		t.Fatalf("registering through A: %s", reg)
	}
	if _, byHash := post(b, `{`+ext+`}`); !strings.Contains(byHash, "totalCount") {
		t.Fatalf("the hash through B: %s", byHash)
	}

	// A mutation retried through B with A's idempotency key is not applied twice.
	mutation := `{"query":"mutation { createUser(input: {email: \"once@example.com\"}) { user { id } } }"}`
	_, first := post(a, mutation, "Idempotency-Key", "replica-1")
	resp, again := post(b, mutation, "Idempotency-Key", "replica-1")
	if first != again || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry through B: %s then %s (%q)", first, again, resp.Header.Get("Idempotent-Replayed"))
	}
}

func TestFlagsFromTheEnvironment(t *testing.T) {
	t.Setenv("IDGRAPH_MAX_DEPTH", "9")
	t.Setenv("IDGRAPH_TIMEOUT", "4s")
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	limits := limitFlags(fs)
	if err := parseFlags(fs, []string{"--timeout", "6s"}); err != nil {
		t.Fatal(err)
	}
	if l := limits(); l.MaxDepth != 9 || l.Timeout != 6*time.Second {
		t.Fatalf("env then flags: %+v", l)
	}
	t.Setenv("IDGRAPH_MAX_DEPTH", "deep")
	if err := parseFlags(flag.NewFlagSet("serve", flag.ContinueOnError), nil); err != nil {
		t.Fatalf("an unused variable: %v", err)
	}
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	limitFlags(fs)
	if err := parseFlags(fs, nil); err == nil || !strings.Contains(err.Error(), "IDGRAPH_MAX_DEPTH") {
		t.Fatalf("a bad variable: %v", err)
	}
}
