package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSeedThenServeThenShutDown(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "cli.db")
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

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(serveCtx, []string{"serve", "--db", db, "--addr", addr}, io.Discard, io.Discard) }()

	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err = http.Post("http://"+addr+"/graphql", "application/json",
			strings.NewReader(`{"query":"{ users(first: 1) { totalCount } }"}`))
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"totalCount":41`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
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
}

func TestUnknownCommand(t *testing.T) {
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
}
