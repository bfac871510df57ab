// Command civicwatch watches news and NGO feeds for threats to civic space in
// Cambodia and stores every story in SQLite. This file wires flags to
// subcommands; the work lives in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	_ "time/tzdata" // digest time zones work in a bare container without /usr/share/zoneinfo
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is used.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startCPUProfile(os.Getenv(cpuProfileEnv), os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stopProfile()
	stop()
	os.Exit(code)
}

// cpuProfileEnv names a file for a CPU profile of the whole process, so
// that a command can be profiled as an operator runs it (`civicwatch bench
// --cpuprofile` sets it for the poll it runs).
const cpuProfileEnv = "CIVICWATCH_CPUPROFILE"

func startCPUProfile(path string, stderr io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "civicwatch: %s: %v\n", cpuProfileEnv, err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran into an error
	exitUsage = 2 // bad flags, an invalid config or unreadable input
)

// errUsage marks errors that are the caller's to fix on the command line.
var errUsage = errors.New("usage")

// env is what every subcommand receives.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	global *globals
	cmd    string // the command's name, for its help page
	log    *slog.Logger
	getenv func(string) string // the process environment; tests pass their own
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

var commands = []command{
	{"run", "run the daemon: poll on schedule, send digests, serve the console, /healthz and /metrics", cmdRun},
	{"serve", "serve the operator console on its own (--listen 127.0.0.1:8080), beside a running daemon", cmdServe},
	{"healthcheck", "exit 0 when a running daemon's /healthz answers 200 (for container health checks)", cmdHealthcheck},
	{"poll", "poll the feeds that are due and store their stories", cmdPoll},
	{"feeds", "show every feed's health: last success, last error, failures, stories, next poll", cmdFeeds},
	{"rematch", "match stored stories again with the config's current rules", cmdRematch},
	{"prune", "delete unmatched stories older than retention.stories (--dry-run: only show what would go)", cmdPrune},
	{"digest", "send (--send) or preview (--dry-run [--out DIR]) the digests that are due now", cmdDigest},
	{"digests", "list recent digests and their delivery state per recipient", cmdDigests},
	{"alerts", "list the urgent-alert ledger (alerts [--limit 20]); alerts test ALERT_ID sends a test message to each channel", cmdAlerts},
	{"classify", "match JSON-lines stories from stdin and print their topics and hits", cmdClassify},
	{"eval", "score the rules on a labelled JSON-lines file", cmdEval},
	{"rules", "test a rule change on the archive: rules test (--rule RULE [--topic ID] | --config OTHER.yaml) [--since 90d]; propose terms from labelled stories: rules suggest FILE.jsonl [--topic ID] [--teaser CHARS]", cmdRules},
	{"explain", "show a stored story and why each topic matches it or not under the current rules", cmdExplain},
	{"search", "full-text search of stored stories, with the words marked in a snippet", cmdSearch},
	{"evidence", "capture matched stories' article pages as WARC evidence; list, show and export them", cmdEvidence},
	{"labels", "export the operators' labels as labelled JSON lines for eval (labels export [--out FILE])", cmdLabels},
	{"bench", "time this binary's poll --all over loopback feeds beside in-memory parsing (--feeds 1000 --items 30)", cmdBench},
	{"check", "validate the config and report every problem", cmdCheck},
	{"version", "print the version", cmdVersion},
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	g := newGlobals(getenv)
	fs := flag.NewFlagSet("civicwatch", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, below, with the one prefix
	fs.Usage = func() {}
	g.register(fs)
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "civicwatch: %v (civicwatch --help lists the flags)\n", err)
		return exitUsage
	}
	if *showVersion {
		fmt.Fprintf(stdout, "civicwatch %s\n", versionString())
		return exitOK
	}
	if fs.NArg() == 0 {
		// Run without a command, civicwatch explains itself: a newcomer's
		// first try should not end in an error.
		usage(stdout)
		return exitOK
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	for _, c := range commands {
		if c.name != name {
			continue
		}
		e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, global: g, getenv: getenv, cmd: name}
		err := c.run(e, rest)
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "civicwatch %s: %s (civicwatch %s --help shows its usage)\n", name, strings.TrimPrefix(err.Error(), "usage: "), name)
			return exitUsage
		case errors.As(err, new(*configError)) || errors.As(err, new(*inputError)):
			fmt.Fprintf(stderr, "civicwatch %s: %v\n", name, err)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "civicwatch %s: %v\n", name, err)
			return exitFail
		}
	}
	fmt.Fprintf(stderr, "civicwatch: unknown command %q (civicwatch help lists the commands)\n", name)
	return exitUsage
}

// globals are the flags every command takes, before or after its name.
type globals struct {
	config   string
	db       string
	logLevel string
	logSet   bool
}

func newGlobals(getenv func(string) string) *globals {
	g := &globals{config: "./feeds.yaml", db: "./civicwatch.db", logLevel: "warn"}
	if v := getenv("CIVICWATCH_CONFIG"); v != "" {
		g.config = v
	}
	if v := getenv("CIVICWATCH_DB"); v != "" {
		g.db = v
	}
	return g
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.config, "config", g.config, "config file (env CIVICWATCH_CONFIG)")
	fs.StringVar(&g.db, "db", g.db, "SQLite database file (env CIVICWATCH_DB)")
	// The default shown is the one in force: run and serve set info
	// before registering.
	fs.Func("log-level", "log level: debug, info, warn or error (default "+g.logLevel+")", func(s string) error {
		var l slog.Level
		if err := l.UnmarshalText([]byte(s)); err != nil {
			return err
		}
		g.logLevel, g.logSet = s, true
		return nil
	})
}

// parseFlags parses a subcommand's flags, globals included.
// lookupEnv reads the command's environment the way config expansion and
// secrets want it: a variable set to "" counts as not set.
func (e *env) lookupEnv(k string) (string, bool) { v := e.getenv(k); return v, v != "" }

func (e *env) parseFlags(fs *flag.FlagSet, args []string) error {
	rest, err := e.parseFlagsArgs(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	return err
}

// parseFlagsArgs is parseFlags for a command that takes arguments: flags may
// come before, between or after them.
func (e *env) parseFlagsArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	// flag's own messages would repeat the error run prints and put the
	// help on stderr; help goes to stdout, on request only.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	e.global.register(fs)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(e.stdout, e.cmd, fs)
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	e.setLog()
	return rest, nil
}

func (e *env) setLog() {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(e.global.logLevel)) // validated when set
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
}

func cmdVersion(e *env, args []string) error {
	if err := e.parseFlags(flag.NewFlagSet("version", flag.ContinueOnError), args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "civicwatch %s\n", versionString())
	return nil
}
