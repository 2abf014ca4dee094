// Package config holds Portico's settings: one typed struct, defaults in code, overridden by
// environment variables. It is a leaf package: nothing here imports the rest of Portico.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is every setting Portico reads at start. Each field names its environment variable, its
// default and a one-line description that --help prints.
type Config struct {
	Addr        string `env:"PORTICO_ADDR" envDefault:":8080" desc:"address the HTTP server listens on"`
	BaseURL     string `env:"PORTICO_BASE_URL" envDefault:"http://localhost:8080" desc:"public URL of this installation, used in links and e-mails; https turns on Secure __Host- cookies"`
	DataDir     string `env:"PORTICO_DATA_DIR" envDefault:"./data" desc:"folder for the embedded database, generated secrets and local attachments"`
	DatabaseURL string `env:"DATABASE_URL" secret:"true" desc:"postgres://… to use PostgreSQL; empty uses the embedded SQLite database in the data folder"`
	DBMaxConns  int    `env:"PORTICO_DB_MAX_CONNS" envDefault:"20" desc:"largest number of open PostgreSQL connections per instance"`

	SecretKey string `env:"PORTICO_SECRET_KEY" secret:"true" desc:"key for tokens derived from sessions (hex, ≥32 bytes); generated into the data folder when empty; every instance must share it"`

	AdminEmail    string `env:"PORTICO_ADMIN_EMAIL" desc:"e-mail of the first admin, created at start when no admin exists"`
	AdminPassword string `env:"PORTICO_ADMIN_PASSWORD" secret:"true" desc:"password of that first admin (at least 8 characters)"`

	SessionIdle     time.Duration `env:"PORTICO_SESSION_IDLE" envDefault:"30m" desc:"a session unused this long is signed out"`
	SessionLifetime time.Duration `env:"PORTICO_SESSION_LIFETIME" envDefault:"12h" desc:"a session older than this is signed out however busy it is"`

	LoginMaxFailures int           `env:"PORTICO_LOGIN_MAX_FAILURES" envDefault:"5" desc:"failed logins per account (and 4× that per client address) before logins are refused for a while"`
	LoginWindow      time.Duration `env:"PORTICO_LOGIN_WINDOW" envDefault:"15m" desc:"the window those failures are counted in, and how long the refusal lasts"`

	TrustedProxies []string `env:"PORTICO_TRUSTED_PROXIES" envSeparator:"," desc:"comma-separated proxy addresses or CIDRs whose X-Forwarded-For is believed"`

	Language string `env:"PORTICO_LANGUAGE" envDefault:"en" desc:"default language of pages (en or pt-BR)"`

	LogLevel  string `env:"PORTICO_LOG_LEVEL" envDefault:"info" desc:"debug, info, warn or error"`
	LogFormat string `env:"PORTICO_LOG_FORMAT" envDefault:"text" desc:"text or json"`

	SMTPHost     string `env:"PORTICO_SMTP_HOST" desc:"SMTP server for outgoing e-mail; empty keeps every e-mail in the outbox at /admin/outbox"`
	SMTPPort     int    `env:"PORTICO_SMTP_PORT" envDefault:"587" desc:"SMTP port"`
	SMTPUsername string `env:"PORTICO_SMTP_USERNAME" desc:"SMTP user name (empty: no authentication)"`
	SMTPPassword string `env:"PORTICO_SMTP_PASSWORD" secret:"true" desc:"SMTP password"`
	SMTPFrom     string `env:"PORTICO_SMTP_FROM" envDefault:"Portico <portico@localhost>" desc:"From address of outgoing e-mail"`
	SMTPTLS      string `env:"PORTICO_SMTP_TLS" envDefault:"starttls" desc:"starttls, tls (implicit, port 465) or none (local relays only)"`

	PprofAddr       string        `env:"PORTICO_PPROF_ADDR" desc:"serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; empty: off. Never expose it publicly"`
	ShutdownTimeout time.Duration `env:"PORTICO_SHUTDOWN_TIMEOUT" envDefault:"30s" desc:"how long in-flight requests may take to finish after SIGTERM"`
	MaxUploadBytes  int64         `env:"PORTICO_MAX_UPLOAD_BYTES" envDefault:"26214400" desc:"largest attached file accepted, in bytes (at most 25 MiB); larger files are refused with 413 while they arrive"`
}

// Load reads the configuration from the process environment.
func Load() (Config, error) {
	return LoadFrom(envMap(os.Environ()))
}

// LoadFrom reads the configuration from the given variables; tests pass their own map. A secret
// may also be given as NAME_FILE, the path of a file holding it (for Docker and systemd secrets).
func LoadFrom(vars map[string]string) (Config, error) {
	for _, name := range secretNames() {
		path, ok := vars[name+"_FILE"]
		if !ok || vars[name] != "" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %s_FILE: %w", name, err)
		}
		vars[name] = strings.TrimSpace(string(b))
	}
	var cfg Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its variable.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("config: PORTICO_BASE_URL must be an absolute http or https URL")
	}
	if u.Path != "" || u.RawQuery != "" {
		return errors.New("config: PORTICO_BASE_URL must not have a path or query (Portico serves from the root)")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return errors.New("config: DATABASE_URL must start with postgres:// (leave it empty for the embedded database)")
	}
	if c.DataDir == "" {
		return errors.New("config: PORTICO_DATA_DIR must not be empty")
	}
	if c.DBMaxConns < 2 {
		return errors.New("config: PORTICO_DB_MAX_CONNS must be at least 2")
	}
	if c.SecretKey != "" {
		if b, err := hex.DecodeString(c.SecretKey); err != nil || len(b) < 32 {
			return errors.New("config: PORTICO_SECRET_KEY must be at least 32 bytes written as hex (openssl rand -hex 32)")
		}
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return errors.New("config: set both PORTICO_ADMIN_EMAIL and PORTICO_ADMIN_PASSWORD, or neither")
	}
	if c.AdminEmail != "" {
		if _, err := mail.ParseAddress(c.AdminEmail); err != nil {
			return errors.New("config: PORTICO_ADMIN_EMAIL is not an e-mail address")
		}
	}
	if c.SessionIdle <= 0 || c.SessionLifetime < c.SessionIdle {
		return errors.New("config: PORTICO_SESSION_IDLE must be positive and no longer than PORTICO_SESSION_LIFETIME")
	}
	if c.LoginMaxFailures < 1 || c.LoginWindow <= 0 {
		return errors.New("config: PORTICO_LOGIN_MAX_FAILURES and PORTICO_LOGIN_WINDOW must be positive")
	}
	if c.Language != "en" && c.Language != "pt-BR" {
		return errors.New("config: PORTICO_LANGUAGE must be en or pt-BR")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return errors.New("config: PORTICO_LOG_LEVEL must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return errors.New("config: PORTICO_LOG_FORMAT must be text or json")
	}
	switch c.SMTPTLS {
	case "starttls", "tls", "none":
	default:
		return errors.New("config: PORTICO_SMTP_TLS must be starttls, tls or none")
	}
	if c.SMTPHost != "" {
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			return errors.New("config: PORTICO_SMTP_PORT must be a port number")
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return errors.New("config: PORTICO_SMTP_FROM is not an e-mail address")
		}
	}
	if c.MaxUploadBytes < 1<<20 {
		return errors.New("config: PORTICO_MAX_UPLOAD_BYTES must be at least 1 MiB")
	}
	return nil
}

// SecureCookies reports whether the public URL is https, so cookies get Secure and the __Host- prefix.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// UsesPostgres reports whether DATABASE_URL selects PostgreSQL.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "portico.db") }

// EnsureSecretKey fills SecretKey from <data>/secret.key, creating that file with a fresh random
// key on first start. It returns whether a key was generated.
func (c *Config) EnsureSecretKey() (bool, error) {
	if c.SecretKey != "" {
		return false, nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		c.SecretKey = strings.TrimSpace(string(b))
		if k, err := hex.DecodeString(c.SecretKey); err != nil || len(k) < 32 {
			return false, fmt.Errorf("config: %s is damaged; delete it to generate a new key", path)
		}
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("config: read %s: %w", path, err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return false, fmt.Errorf("config: create data folder: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return false, err
	}
	c.SecretKey = hex.EncodeToString(key)
	// Write a temporary file, then hard-link it into place: the link either creates the key file
	// whole or fails because another process won the race, whose key we then read.
	tmp, err := os.CreateTemp(c.DataDir, "secret.key.*")
	if err != nil {
		return false, fmt.Errorf("config: write secret key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(c.SecretKey + "\n"); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		c.SecretKey = ""
		return c.EnsureSecretKey()
	} else if err != nil {
		return false, fmt.Errorf("config: write %s: %w", path, err)
	}
	return true, nil
}

// Usage writes every setting with its default and description, for --help.
func Usage(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tDESCRIPTION")
	for _, f := range fields() {
		def := f.Tag.Get("envDefault")
		if def == "" {
			def = "-"
		}
		name := f.Tag.Get("env")
		if f.Tag.Get("secret") == "true" {
			name += " (or " + name + "_FILE)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, def, f.Tag.Get("desc"))
	}
	tw.Flush()
}

// Variables lists every environment variable Portico reads, in declaration order.
func Variables() []string {
	var names []string
	for _, f := range fields() {
		names = append(names, f.Tag.Get("env"))
	}
	return names
}

func fields() []reflect.StructField {
	t := reflect.TypeOf(Config{})
	out := make([]reflect.StructField, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, t.Field(i))
	}
	return out
}

func secretNames() []string {
	var names []string
	for _, f := range fields() {
		if f.Tag.Get("secret") == "true" {
			names = append(names, f.Tag.Get("env"))
		}
	}
	return names
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
