package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"portico/config"
)

// setEnv gives run() a fresh data folder and quiet logs.
func setEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("PORTICO_DATA_DIR", dir)
	t.Setenv("PORTICO_LOG_LEVEL", "warn")
	t.Setenv("DATABASE_URL", "")
	return dir
}

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsCommandsAndSettings(t *testing.T) {
	setEnv(t)
	code, out, _ := runCmd(t, "", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range append(config.Variables(), "create-admin", "demo", "migrate") {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}

func TestBadInvocations(t *testing.T) {
	setEnv(t)
	if code, _, _ := runCmd(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	t.Setenv("PORTICO_BASE_URL", "not a url")
	code, _, errOut := runCmd(t, "", "migrate")
	if code != 2 || !strings.Contains(errOut, "PORTICO_BASE_URL") {
		t.Errorf("bad config: exit %d, stderr %q", code, errOut)
	}
}

func TestCreateAdminFromPipedPassword(t *testing.T) {
	setEnv(t)
	code, out, errOut := runCmd(t, "a long enough password\n", "create-admin", "--email", "Ada@Example.com", "--name", "Ada")
	if code != 0 || !strings.Contains(out, "Created admin ada@example.com") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCmd(t, "another long password\n", "create-admin", "--email", "ada@example.com")
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "short\n", "create-admin", "--email", "bob@example.com", "--role", "agent")
	if code != 1 || !strings.Contains(errOut, "password") {
		t.Fatalf("weak password: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "", "create-admin"); code != 1 {
		t.Fatalf("missing --email: exit %d", code)
	}
}

func TestMigrateTwice(t *testing.T) {
	setEnv(t)
	for i := range 2 {
		if code, _, errOut := runCmd(t, "", "migrate"); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errOut)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeStartsAndStopsOnSIGTERM starts the real server, waits for /healthz, signs the
// configured first admin in, then sends SIGTERM and expects a clean exit.
func TestServeStartsAndStopsOnSIGTERM(t *testing.T) {
	setEnv(t)
	addr := freeAddr(t)
	t.Setenv("PORTICO_ADDR", addr)
	t.Setenv("PORTICO_BASE_URL", "http://"+addr)
	t.Setenv("PORTICO_ADMIN_EMAIL", "first@example.com")
	t.Setenv("PORTICO_ADMIN_PASSWORD", "first admin password")
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() { done <- run(nil, strings.NewReader(""), &bytes.Buffer{}, &errOut) }()

	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(base + "/login")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /login: %v %v", resp, err)
	}
	resp.Body.Close()

	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30 s of SIGTERM")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// Instances sharing a database must share the secret key; a second start with another key is
// refused with a clear message.
func TestServeRefusesAnotherSecretKey(t *testing.T) {
	setEnv(t)
	t.Setenv("PORTICO_SECRET_KEY", strings.Repeat("ab", 32))
	if code, _, errOut := runCmd(t, "", "migrate"); code != 0 {
		t.Fatal(errOut)
	}
	// First start records the fingerprint; stop it right away via SIGTERM.
	addr := freeAddr(t)
	t.Setenv("PORTICO_ADDR", addr)
	done := make(chan int, 1)
	go func() { done <- run(nil, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}) }()
	waitUp(t, "http://"+addr)
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	if code := <-done; code != 0 {
		t.Fatalf("first start exit %d", code)
	}
	t.Setenv("PORTICO_SECRET_KEY", strings.Repeat("cd", 32))
	code, _, errOut := runCmd(t, "")
	if code != 1 || !strings.Contains(errOut, "PORTICO_SECRET_KEY") {
		t.Fatalf("second key: exit %d, stderr %q", code, errOut)
	}
}

func waitUp(t *testing.T, base string) {
	t.Helper()
	for range 400 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("%s did not come up", base))
}
