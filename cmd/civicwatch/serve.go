package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/daemon"
	"github.com/civicwatch/civicwatch/internal/web"
)

// refusal is a refusal to start that the operator fixes on the command line
// or in the environment: exit 2, with the message as written.
type refusal struct{ err error }

func (r refusal) Error() string        { return r.err.Error() }
func (r refusal) Unwrap() error        { return r.err }
func (r refusal) Is(target error) bool { return target == errUsage }

// consoleToken reads the console's access token from the environment and
// checks that listen may be served with it.
func consoleToken(e *env, listen string) (string, error) {
	token := e.getenv(web.TokenEnv)
	if listen == "" {
		return token, nil
	}
	if err := web.CheckListen(listen, token); err != nil {
		return "", refusal{err}
	}
	return token, nil
}

// cmdServe runs the console on its own, beside a daemon or without one. It
// opens the database without the daemon's lock: it only reads, apart from
// labels and rule saves, which SQLite serialises with the daemon's writes.
func cmdServe(e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address of the console; any non-loopback address needs "+web.TokenEnv)
	hosts := allowedHostsFlag(fs)
	if !e.global.logSet {
		e.global.logLevel = "info" // a server's log is its record
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *listen == "" {
		return fmt.Errorf("%w: --listen: an address is required", errUsage)
	}
	token, err := consoleToken(e, *listen)
	if err != nil {
		return err
	}
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()
	file := &configFile{path: e.global.config, cfg: cfg, log: e.log, lookupEnv: e.lookupEnv}
	file.stamp, _ = statStamp(file.path)
	// /healthz here too, so that civicwatch healthcheck and a container's
	// HEALTHCHECK work against serve as against run.
	health := daemon.ConsoleHealth(st, file.current, time.Now())
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *listen, err)
	}
	// Built once bound: the console answers to the address as bound, its
	// port known even for ":0".
	console, err := web.New(web.Options{Store: st, Config: file.current, Token: token, Listen: ln.Addr().String(),
		AllowedHosts: *hosts, Log: e.log, LookupEnv: e.lookupEnv, Health: health})
	if err != nil {
		ln.Close()
		return err
	}
	return serveConsole(e.ctx, ln, console, e.log, token != "")
}

// allowedHostsFlag defines the repeatable --allowed-host of run and serve:
// a name the console answers to besides its listen address (see
// web.Options.Listen), checked as it is read so a typo is exit 2.
func allowedHostsFlag(fs *flag.FlagSet) *[]string {
	var hosts []string
	fs.Func("allowed-host", "a host name (or name:port) the console answers to besides its listen address, e.g. the name of a reverse proxy (repeatable; also console.hosts in the config)", func(v string) error {
		v = strings.ToLower(strings.TrimSpace(v))
		if msg := config.CheckHostName(v); msg != "" {
			return errors.New(msg)
		}
		hosts = append(hosts, v)
		return nil
	})
	return &hosts
}

// serveConsole serves until ctx ends, then lets requests in flight finish
// for a few seconds.
func serveConsole(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, guarded bool) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("console serving", "addr", ln.Addr().String(), "token_required", guarded)
	select {
	case err := <-done:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("console shutdown: %w", err)
	}
	log.Info("console stopped")
	return nil
}

// configFile is the config as serve sees it: loaded again when the file
// changes (a rule saved from the lab, an edit), so the pages agree with
// the daemon, which reloads the same file. A file that no longer loads is
// logged and the last good config stays, as in the daemon.
type configFile struct {
	path      string
	log       *slog.Logger
	lookupEnv func(string) (string, bool)

	mu    sync.Mutex
	cfg   *config.Config
	stamp fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func statStamp(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// current returns the config in force; a stat per request is cheap next
// to the page's queries.
func (c *configFile) current() *config.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp, err := statStamp(c.path)
	if err != nil || stamp == c.stamp {
		return c.cfg
	}
	c.stamp = stamp
	data, err := os.ReadFile(c.path)
	if err == nil {
		var cfg *config.Config
		if cfg, err = config.Parse(data, c.path, c.lookupEnv); err == nil {
			c.cfg = cfg
			c.log.Info("config reloaded", "config", c.path, "rules_version", cfg.Rules.Version())
			return c.cfg
		}
	}
	c.log.Error("config reload refused; the console keeps the last good one", "config", c.path, "err", err)
	return c.cfg
}
