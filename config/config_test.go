package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	cfg, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.DataDir != "./data" || cfg.BaseURL != "http://localhost:8080" ||
		cfg.SessionIdle != 30*time.Minute || cfg.SessionLifetime != 12*time.Hour || cfg.UsesPostgres() || cfg.SecureCookies() {
		t.Fatalf("defaults = %+v", cfg)
	}
	if cfg.SQLitePath() != filepath.Join("data", "portico.db") {
		t.Fatalf("SQLitePath = %s", cfg.SQLitePath())
	}
}

func TestOverridesAndSecretFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(secret, []byte("from-a-file-123\n"), 0o600)
	cfg, err := LoadFrom(map[string]string{
		"PORTICO_BASE_URL":            "https://help.example.com/",
		"DATABASE_URL":                "postgres://u@db/portico",
		"PORTICO_ADMIN_EMAIL":         "ada@example.com",
		"PORTICO_ADMIN_PASSWORD_FILE": secret,
		"PORTICO_TRUSTED_PROXIES":     "10.0.0.1,192.168.0.0/16",
		"PORTICO_SESSION_IDLE":        "10m",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://help.example.com" || !cfg.SecureCookies() || !cfg.UsesPostgres() {
		t.Fatalf("cfg = %+v", cfg)
	}
	if cfg.AdminPassword != "from-a-file-123" {
		t.Fatalf("password from file = %q", cfg.AdminPassword)
	}
	if len(cfg.TrustedProxies) != 2 || cfg.SessionIdle != 10*time.Minute {
		t.Fatalf("proxies %v idle %v", cfg.TrustedProxies, cfg.SessionIdle)
	}
}

func TestValidationNamesTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"PORTICO_BASE_URL":         {"PORTICO_BASE_URL": "help.example.com"},
		"DATABASE_URL":             {"DATABASE_URL": "mysql://x"},
		"PORTICO_SECRET_KEY":       {"PORTICO_SECRET_KEY": "short"},
		"PORTICO_ADMIN_PASSWORD":   {"PORTICO_ADMIN_EMAIL": "a@example.com"},
		"PORTICO_SESSION_IDLE":     {"PORTICO_SESSION_IDLE": "13h"},
		"PORTICO_LANGUAGE":         {"PORTICO_LANGUAGE": "fr"},
		"PORTICO_LOG_LEVEL":        {"PORTICO_LOG_LEVEL": "loud"},
		"PORTICO_MAX_UPLOAD_BYTES": {"PORTICO_MAX_UPLOAD_BYTES": "10"},
		"PORTICO_ADMIN_EMAIL":      {"PORTICO_ADMIN_EMAIL": "not-an-address", "PORTICO_ADMIN_PASSWORD": "longenough"},
		"PORTICO_DB_MAX_CONNS":     {"PORTICO_DB_MAX_CONNS": "1"},
	}
	for name, vars := range cases {
		_, err := LoadFrom(vars)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want a message naming the variable", name, err)
		}
	}
	if _, err := LoadFrom(map[string]string{"PORTICO_SESSION_IDLE": "soon"}); err == nil {
		t.Error("unparsable duration accepted")
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var buf bytes.Buffer
	Usage(&buf)
	for _, v := range Variables() {
		if !strings.Contains(buf.String(), v) {
			t.Errorf("--help does not list %s", v)
		}
	}
	if !strings.Contains(buf.String(), "PORTICO_SECRET_KEY_FILE") {
		t.Error("--help does not mention _FILE variants")
	}
}

func TestEnsureSecretKeyGeneratesOnceAndKeeps(t *testing.T) {
	dir := t.TempDir()
	var keys [8]string
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Config{DataDir: dir}
			if _, err := c.EnsureSecretKey(); err != nil {
				t.Error(err)
			}
			keys[i] = c.SecretKey
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] || len(k) != 64 {
			t.Fatalf("racing starts got different keys: %q vs %q", k, keys[0])
		}
	}
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key mode = %v, %v", info.Mode(), err)
	}
	c := Config{DataDir: dir}
	generated, err := c.EnsureSecretKey()
	if err != nil || generated || c.SecretKey != keys[0] {
		t.Fatalf("second start: generated=%v key changed=%v err=%v", generated, c.SecretKey != keys[0], err)
	}
	given := Config{DataDir: dir, SecretKey: strings.Repeat("cd", 32)}
	if generated, _ := given.EnsureSecretKey(); generated || given.SecretKey != strings.Repeat("cd", 32) {
		t.Fatal("configured key was replaced")
	}
}
