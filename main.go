// Portico is a self-hosted customer portal and help desk. This file only wires the parts
// together: config → database → migrations → app → handlers → listen → graceful shutdown.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"portico/app"
	"portico/app/i18n"
	"portico/config"
	"portico/handlers"
	"portico/models"
)

const usage = `Portico: a self-hosted customer portal and help desk.

Usage:
  portico [serve]                          start the server (the default)
  portico create-admin --email E [--name N] [--role admin|agent]
                                           create a staff account; the password is read from
                                           the terminal, or from standard input when piped
  portico demo [--tickets N] [--messages M] seed a believable demo help desk (idempotent);
                                           --tickets adds N volume tickets of M messages each
  portico migrate                          apply pending migrations and exit
  portico --help                           show this help

Settings come from environment variables:
`

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || (len(args) > 0 && (args[0] == "--help" || args[0] == "-h")) {
		fmt.Fprint(stdout, usage)
		config.Usage(stdout)
		return 0
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log)
	case "migrate":
		err = withApp(ctx, cfg, log, func(*app.App) error { return nil })
	case "create-admin":
		err = createAdmin(ctx, cfg, log, args, stdin, stdout)
	case "demo":
		err = seedDemo(ctx, cfg, log, args, stdout)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		log.Error(cmd+" failed", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// withApp opens the database, applies migrations, builds the App and runs fn with it.
func withApp(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(*app.App) error) error {
	db, err := models.Open(ctx, models.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath(),
		MaxConns: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		log.Info("migrations applied", "ids", applied)
	}
	storage, err := app.NewDiskStorage(filepath.Join(cfg.DataDir, "attachments"))
	if err != nil {
		return err
	}
	defer storage.Close()
	a := app.New(models.NewStores(db), storage, log, app.Options{
		BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdle, SessionLifetime: cfg.SessionLifetime,
		LoginMaxFailures: cfg.LoginMaxFailures, LoginWindow: cfg.LoginWindow,
		SMTP: app.SMTPOptions{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword, From: cfg.SMTPFrom, TLS: cfg.SMTPTLS},
	})
	return fn(a)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	generated, err := cfg.EnsureSecretKey()
	if err != nil {
		return err
	}
	if generated {
		log.Info("generated a secret key", "file", filepath.Join(cfg.DataDir, "secret.key"))
	}
	tr, err := i18n.New()
	if err != nil {
		return err
	}
	return withApp(ctx, cfg, log, func(a *app.App) error {
		if err := a.CheckSecretKey(ctx, cfg.SecretKey); err != nil {
			return fmt.Errorf("%w: give every instance the same PORTICO_SECRET_KEY", err)
		}
		if err := firstAdmin(ctx, cfg, log, a); err != nil {
			return err
		}
		if _, err := a.EnsureDefaultConsent(ctx); err != nil {
			return err
		}
		f, _, err := handlers.New(handlers.Deps{App: a, Config: cfg, Translator: tr, Log: log, Done: ctx.Done()})
		if err != nil {
			return err
		}
		if cfg.PprofAddr != "" {
			go servePprof(cfg.PprofAddr, log)
		}
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return err
		}
		go cleanupLoop(ctx, a, log)
		mailerDone := make(chan struct{})
		go func() { // sends the outbox over SMTP; returns at once without PORTICO_SMTP_HOST
			a.RunMailer(ctx)
			close(mailerDone)
		}()
		listenDone := make(chan struct{})
		go func() { // fans live updates out across instances (PostgreSQL only)
			defer close(listenDone)
			if pool := a.Stores.DB.Pool; pool != nil {
				if err := a.Broker.Listen(ctx, pool); err != nil {
					log.Error("live updates across instances are off", "err", err)
				}
			}
		}()
		served := make(chan error, 1)
		go func() { served <- f.Listener(ln) }()
		log.Info("Portico is listening", "addr", ln.Addr().String(), "url", cfg.BaseURL,
			"database", map[bool]string{true: "postgres", false: "sqlite"}[cfg.UsesPostgres()])
		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
		log.Info("shutting down: finishing requests in flight", "timeout", cfg.ShutdownTimeout.String())
		err = f.ShutdownWithTimeout(cfg.ShutdownTimeout)
		// fasthttp ignores a Shutdown that arrives before Serve has started accepting; closing
		// the listener ourselves stops it in that case too, so the database is never closed
		// under a running server.
		ln.Close()
		deadline := time.After(cfg.ShutdownTimeout)
		select {
		case <-served:
		case <-deadline:
		}
		// The e-mail being sent finishes and is marked, and the listener releases its
		// connection, before the database closes.
		select {
		case <-mailerDone:
		case <-deadline:
		}
		select {
		case <-listenDone:
		case <-deadline:
		}
		return err
	})
}

// firstAdmin creates the admin from PORTICO_ADMIN_* when none exists, or says how to.
func firstAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, a *app.App) error {
	if cfg.AdminEmail != "" {
		created, err := a.EnsureFirstAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("create first admin from PORTICO_ADMIN_EMAIL: %w", err)
		}
		if created {
			log.Info("first admin created", "email", cfg.AdminEmail)
		}
		return nil
	}
	n, err := a.Stores.Staff.CountAdmins(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		log.Warn("no admin account yet: run `portico create-admin --email you@example.com` " +
			"(or `go run . create-admin …`), or set PORTICO_ADMIN_EMAIL and PORTICO_ADMIN_PASSWORD and restart")
	}
	return nil
}

func cleanupLoop(ctx context.Context, a *app.App, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Cleanup(ctx); err != nil {
				log.Warn("cleanup", "err", err)
			}
		}
	}
}

func createAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "display name (default: the address's local part)")
	role := fs.String("role", "admin", "admin or agent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("create-admin: --email is required")
	}
	password, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	return withApp(ctx, cfg, log, func(a *app.App) error {
		u, err := a.CreateStaff(ctx, app.NewStaff{Email: *email, Name: *name, Password: password, Role: models.Role(*role)})
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ve):
			return fmt.Errorf("create-admin: %s: %s", ve.Field, ve.Code)
		case errors.Is(err, models.ErrConflict):
			return fmt.Errorf("create-admin: a staff account with %s already exists", *email)
		case err != nil:
			return err
		}
		fmt.Fprintf(stdout, "Created %s %s (%s). Sign in at %s/login\n", u.Role, u.Email, u.Name, cfg.BaseURL)
		return nil
	})
}

// readPassword reads the new password: without echo from a terminal (asked twice), or the first
// line of piped input.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		p1, err := promptNoEcho(f, stdout, "Password: ")
		if err != nil {
			return "", err
		}
		p2, err := promptNoEcho(f, stdout, "Repeat password: ")
		if err != nil {
			return "", err
		}
		if p1 != p2 {
			return "", errors.New("create-admin: the passwords differ")
		}
		return p1, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func seedDemo(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	tickets := fs.Int("tickets", 0, "volume tickets to add (to the company Acme Corp)")
	messages := fs.Int("messages", 10, "messages per volume ticket")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tickets < 0 || *messages < 1 {
		return errors.New("demo: --tickets must be ≥ 0 and --messages ≥ 1")
	}
	return withApp(ctx, cfg, log, func(a *app.App) error {
		start := time.Now()
		res, err := a.SeedDemo(ctx, app.DemoOptions{Tickets: *tickets, Messages: *messages})
		if err != nil {
			return err
		}
		if res.Created {
			fmt.Fprintln(stdout, "Demo data created.")
		} else {
			fmt.Fprintln(stdout, "Demo data was already there; nothing changed in it.")
		}
		if res.VolumeTickets > 0 {
			fmt.Fprintf(stdout, "Added %d tickets with %d messages in %s.\n", res.VolumeTickets, res.VolumeMessages,
				time.Since(start).Round(time.Millisecond))
		}
		fmt.Fprintf(stdout, "\nSign in at %s/login (staff) or %s/portal (customers):\n", cfg.BaseURL, cfg.BaseURL)
		for _, l := range res.Logins {
			fmt.Fprintf(stdout, "  %-8s %-32s %s\n", l.Kind, l.Email, l.Password)
		}
		return nil
	})
}

// servePprof serves Go's profiler for measuring a running instance (PORTICO_PPROF_ADDR). It
// has its own listener and mux: nothing of it is reachable through the application's address.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	log.Warn("profiler listening", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("profiler stopped", "err", err)
	}
}
