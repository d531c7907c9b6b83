// Command monitor is the Chief Monitor web service: the /v1 ingest and query API, the check and
// alert engine, and the dashboard.
//
//	monitor [serve]      run the service (default)
//	monitor migrate      apply database migrations and exit
//	monitor healthcheck  exit 0 when the service on MONITOR_HOST:MONITOR_PORT answers /v1/health
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gulag/chief-monitor/handlers"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/services"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-h", "--help", "help":
		fmt.Println("usage: monitor [serve|migrate|healthcheck]\n\nConfiguration comes from MONITOR_* environment variables and ./.env; see README.md.")
		return 0
	case "serve", "migrate", "healthcheck":
	default:
		fmt.Fprintf(os.Stderr, "monitor: unknown command %q (want serve, migrate or healthcheck)\n", cmd)
		return 2
	}
	if err := loadDotEnv(".env"); err != nil {
		fmt.Fprintln(os.Stderr, "monitor: .env:", err)
		return 1
	}
	lookup := envLookup
	if cmd == "healthcheck" {
		lookup = addressOnly(envLookup)
	}
	cfg, err := LoadConfig(lookup)
	if err != nil {
		fmt.Fprintln(os.Stderr, "monitor: configuration error:", err)
		return 1
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "migrate":
		if len(args) > 1 {
			return migrateFromSQLite(ctx, cfg, log, args[1:])
		}
		st, err := store.Open(ctx, store.Options{Path: cfg.DBPath, URL: cfg.DBURL})
		if err != nil {
			log.Error("Migration failed", "error", err)
			return 1
		}
		log.Info("Database is up to date", "db_path", cfg.DBPath)
		_ = st.Close() // nothing was written after migrating
		return 0
	case "healthcheck":
		return healthcheck(cfg)
	}
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("Failed to start chief-monitor", "error", err)
		return 1
	}
	return 0
}

// migrateFromSQLite is `monitor migrate --from-sqlite PATH [--batch N]`: copy a SQLite database
// (this service's or the original's) into the PostgreSQL database of MONITOR_DB_URL, resumably,
// and check the row counts at the end.
func migrateFromSQLite(ctx context.Context, cfg *Config, log *slog.Logger, args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from-sqlite", "", "SQLite database to copy into MONITOR_DB_URL")
	batch := fs.Int("batch", 2000, "rows per batch")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || cfg.DBURL == "" {
		fmt.Fprintln(os.Stderr, "monitor: migrate --from-sqlite PATH needs MONITOR_DB_URL=postgres://… as the target")
		return 2
	}
	src, err := store.Open(ctx, store.Options{Path: *from})
	if err != nil {
		log.Error("Opening the SQLite source failed", "path", *from, "error", err)
		return 1
	}
	defer src.Close()
	dst, err := store.Open(ctx, store.Options{URL: cfg.DBURL})
	if err != nil {
		log.Error("Opening the PostgreSQL target failed", "error", err)
		return 1
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst, *batch, func(table string, copied int64) {
		if copied%(int64(*batch)*25) == 0 {
			log.Info("Copying", "table", table, "rows", copied)
		}
	})
	if err != nil {
		log.Error("Copy failed; run the same command again to resume", "error", err)
		return 1
	}
	ok := true
	fmt.Printf("%-20s %12s %12s\n", "table", "sqlite", "postgres")
	for _, c := range counts {
		mark := ""
		if c.Source != c.Target {
			mark, ok = "  MISMATCH", false
		}
		fmt.Printf("%-20s %12d %12d%s\n", c.Table, c.Source, c.Target, mark)
	}
	if !ok {
		log.Error("Row counts differ after the copy")
		return 1
	}
	log.Info("Copy complete: counts match")
	return 0
}

func newLogger(cfg *Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated already
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// addressOnly passes healthcheck nothing but the address variables, so that a probe works
// without the service's secrets (a container health command, a shell on the host).
func addressOnly(lookup lookupFunc) lookupFunc {
	return func(name string) (string, bool) {
		switch name {
		case "MONITOR_HOST", "MONITOR_PORT", "PORT":
			return lookup(name)
		case "MONITOR_AUTH_ENABLED":
			return "false", true
		case "MONITOR_ALLOW_OPEN_INGEST":
			return "true", true
		}
		return "", false
	}
}

func healthcheck(cfg *Config) int {
	host := cfg.Host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, strconv.Itoa(cfg.Port)) + "/v1/health")
	if err != nil {
		fmt.Fprintln(os.Stderr, "monitor: healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintln(os.Stderr, "monitor: healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}

// wireDashboard prepares browser sign-in: the auth service with the seeded admin
// and the single sign-on providers.
func wireDashboard(ctx context.Context, cfg *Config, log *slog.Logger, st *store.Store, writer *services.Writer, opts *handlers.Options) error {
	opts.AuthSecret = cfg.AuthSecret
	opts.SecureCookies = cfg.SecureCookies
	opts.TrustedProxies = cfg.TrustedProxies
	opts.BaseURL = cfg.BaseURL
	opts.EmailConfigured = cfg.EmailProvider() != ""
	if !cfg.AuthEnabled {
		if cfg.APIKey == "" {
			log.Warn("Authentication is disabled and no MONITOR_API_KEY is set: the dashboard is open to anyone who can reach it")
		}
		return nil
	}
	auth, err := services.NewAuth(st, writer.Do, cfg.AuthSecret)
	if err != nil {
		return err
	}
	created, err := auth.SeedAdmin(ctx, cfg.AuthAdminEmail, cfg.AuthAdminPassword, cfg.AuthAdminReset)
	if err != nil {
		return fmt.Errorf("seed admin: %w", err)
	}
	switch {
	case created:
		log.Info("Seeded the admin user", "email", services.NormalizeEmail(cfg.AuthAdminEmail))
	case cfg.AuthAdminReset:
		log.Warn("MONITOR_AUTH_ADMIN_RESET=true: re-applied the admin password from the environment")
	}
	if cfg.AuthSecret == "replace-with-32-char-secret-key" || cfg.AuthAdminPassword == "change-me-please" {
		log.Warn("The shipped default MONITOR_AUTH_SECRET or admin password is in use: change them (spec D3)")
	}
	opts.Auth = auth
	sso, err := handlers.NewSSO(handlers.SSOOptions{OIDCIssuer: cfg.OIDCIssuer, OIDCClientID: cfg.OIDCClientID,
		OIDCClientSecret: cfg.OIDCClientSecret, OIDCName: cfg.OIDCName, GitHubClientID: cfg.GitHubClientID,
		GitHubClientSecret: cfg.GitHubClientSecret, AllowedEmails: cfg.SSOAllowedEmails, AllowedDomains: cfg.SSOAllowedDomains,
		AdminEmails: cfg.SSOAdminEmails, BaseURL: cfg.BaseURL, Secret: cfg.AuthSecret})
	if err != nil {
		return err
	}
	opts.SSO = sso
	return nil
}

func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// serve wires the service and runs it until ctx ends, then shuts down in order: stop accepting,
// finish in-flight requests, drain the writer, close the database.
func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	log.Info("Starting chief-monitor", cfg.LogValues()...)
	if cfg.APIKey == "" && cfg.IngestAPIKey == "" {
		log.Warn("Ingest is open: no MONITOR_API_KEY is set, anyone who can reach the port can post events")
	}
	st, err := store.Open(ctx, store.Options{Path: cfg.DBPath, URL: cfg.DBURL})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("Closing the database failed", "error", err)
		}
	}()
	writer := services.NewWriter(st, log, services.WriterOptions{})
	alertSettings, notifier := wireAlerting(cfg, log, st, writer)
	storage := services.NewStorageHealth(log) // one report per outage for the whole process
	notifier.SetStorageHealth(storage)
	status := services.NewStatus(st)
	metrics := services.NewMetrics(st, status, writer)
	writer.SetObserver(metrics) // before Run: the writer goroutine reads it
	writerDone := make(chan struct{})
	go func() { writer.Run(); close(writerDone) }()

	opts := handlers.Options{APIKey: cfg.APIKey, IngestAPIKey: cfg.IngestAPIKey, AuthEnabled: cfg.AuthEnabled,
		DBPath: cfg.DBPath, TrustedOrigins: cfg.TrustedOriginsFinal, Logger: log, Storage: storage,
		MetricsToken: cfg.MetricsToken, Metrics: metrics}
	if err := wireDashboard(ctx, cfg, log, st, writer, &opts); err != nil {
		writer.Close()
		<-writerDone
		return err
	}
	// With auth enabled the handler resolves browser sessions itself (opts.Auth), so the /v1
	// gate accepts them; nil keeps the API key-only otherwise.
	h := handlers.New(opts, st, writer, status, nil)
	h.SetAlerting(alertSettings, notifier)
	app := handlers.NewApp(h)

	tcp, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		writer.Close()
		return fmt.Errorf("listen: %w", err)
	}
	ln := newQuietListener(tcp)
	loopCtx, cancelLoops := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	holder := instanceID()
	eval := services.NewEvaluator(writer, log, time.Duration(cfg.EvaluatorInterval)*time.Second, holder)
	status.SetReconciler(eval.Reconciler())
	ret := services.NewRetention(writer, log, cfg.RetentionDays, time.Duration(cfg.RetentionInterval)*time.Second, holder)
	eval.SetStorageHealth(storage)
	eval.SetObserver(metrics)
	ret.SetStorageHealth(storage)
	loops.Add(3)
	go func() { defer loops.Done(); eval.Run(loopCtx) }()
	go func() { defer loops.Done(); ret.Run(loopCtx) }()
	// On shutdown the notifier finishes the sends in flight (each at most 10 s) and records them.
	go func() { defer loops.Done(); notifier.Run(loopCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()
	log.Info("chief-monitor listening", "url", "http://"+ln.Addr().String(), "dashboard", cfg.BaseURL+"/")

	select {
	case <-ctx.Done():
		log.Info("Shutting down")
	case err := <-serveErr:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error("Server stopped", "error", err)
		}
	}
	if err := ln.shutdown(func() error { return app.ShutdownWithTimeout(10 * time.Second) }); err != nil {
		log.Error("Shutdown of HTTP server timed out", "error", err)
	}
	cancelLoops()
	loops.Wait()
	writer.Close()
	<-writerDone
	log.Info("Stopped")
	return nil
}
