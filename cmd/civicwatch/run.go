package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/civicwatch/civicwatch/internal/daemon"
	"github.com/civicwatch/civicwatch/internal/web"
)

func cmdRun(e *env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address for the console, /healthz and /metrics (\"\" for none); any non-loopback address needs "+web.TokenEnv)
	format := fs.String("log-format", "text", "log format: text or json")
	hosts := allowedHostsFlag(fs)
	if !e.global.logSet {
		e.global.logLevel = "info" // a daemon's log is its record; the CLI's default (warn) would hide it
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(e.global.logLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	switch *format {
	case "text":
		e.log = slog.New(slog.NewTextHandler(e.stderr, opts))
	case "json":
		e.log = slog.New(slog.NewJSONHandler(e.stderr, opts))
	default:
		return fmt.Errorf("%w: --log-format %q: want text or json", errUsage, *format)
	}
	token, err := consoleToken(e, *listen)
	if err != nil {
		return err
	}
	// An invalid config is the operator's to fix (exit 2); the daemon
	// loads it again under its lock.
	if _, err := e.loadConfig(); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already queued
			}
		}
	}()
	return daemon.Run(e.ctx, daemon.Options{
		ConfigPath: e.global.config, DBPath: e.global.db, Listen: *listen, AllowedHosts: *hosts, ConsoleToken: token, UserAgent: userAgent(),
		Log: e.log, Reload: reload, WatchConfig: true,
		LookupEnv: e.lookupEnv,
	})
}

// cmdHealthcheck asks /healthz of a running daemon or serve: the
// container's HEALTHCHECK uses it, since a distroless image has no curl.
func cmdHealthcheck(e *env, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "the /healthz of civicwatch run or serve (their --listen address)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(*url)
	if err != nil {
		return fmt.Errorf("%w\nnothing answers there: is civicwatch run or serve listening on that address? "+
			"(run --listen \"\" serves no /healthz; give --url the address of --listen)", err)
	}
	defer resp.Body.Close()
	var doc struct{ Status, Reason string }
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc) // a body that is no report still has its status code
	line := cmp.Or(doc.Status, resp.Status)
	if doc.Reason != "" {
		line += ": " + doc.Reason
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", *url, resp.Status, line)
	}
	fmt.Fprintln(e.stdout, line)
	return nil
}
