package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// helpDoc is a command's help page. The flags are not written here: they
// are read from the command's own FlagSet when it is asked for help, so a
// page can never list a flag the command does not define.
type helpDoc struct {
	usage    []string // argument lines after "civicwatch "
	about    string   // what it does, its output and exit status
	examples []string
	// globals are the global flags the command uses, listed on its page.
	// The others are still accepted after the command name, as they always
	// were, but not listed: the command ignores them.
	globals []string
}

// Which global flags a command reads.
var (
	usesConfigDB    = []string{"config", "db"}
	usesConfigDBLog = []string{"config", "db", "log-level"}
	usesConfig      = []string{"config"}
)

// helpDocs holds a page for every command in commands; TestHelpOfEveryCommand
// fails for a command without one.
var helpDocs = map[string]helpDoc{
	"run": {
		usage: []string{"run [--listen 127.0.0.1:8080] [--allowed-host NAME]... [--log-format text|json]"},
		about: `The daemon: polls each feed when it is due, sends the digest on digest.schedule,
reloads the config on SIGHUP or when the file changes, and serves the console,
/healthz and /metrics on --listen. One daemon per database, checked at start
(a damaged database is refused). The console answers only to its listen
address, localhost, and the names --allowed-host and console.hosts list.
Exit status: 0 after SIGINT/SIGTERM; 1 when it could not start; 2 for a bad
config or flag.`,
		examples: []string{"civicwatch run", "civicwatch run --listen \"\" --log-format json"},
		globals:  usesConfigDBLog,
	},
	"serve": {
		usage: []string{"serve [--listen 127.0.0.1:8080] [--allowed-host NAME]..."},
		about: `Serves the operator console on its own, beside a running daemon or without one.
A non-loopback address needs CIVICWATCH_CONSOLE_TOKEN. The console answers only
to its listen address, localhost, and the names --allowed-host and
console.hosts list.
Exit status: 0 after SIGINT/SIGTERM; 1 when it could not start; 2 for a bad
config or flag.`,
		examples: []string{"civicwatch serve", "CIVICWATCH_CONSOLE_TOKEN=$(openssl rand -hex 32) civicwatch serve --listen 0.0.0.0:8080"},
		globals:  usesConfigDBLog,
	},
	"healthcheck": {
		usage: []string{"healthcheck [--url URL]"},
		about: `Asks /healthz of a running daemon or serve, for container health checks.
Exit status: 0 when it answers 200, 1 otherwise (the status and reason are printed).`,
		examples: []string{"civicwatch healthcheck", "civicwatch healthcheck --url http://127.0.0.1:9090/healthz"},
	},
	"poll": {
		usage: []string{"poll [--all] [--feed ID]..."},
		about: `Polls the feeds that are due (every enabled one with --all, only the named ones
with --feed), stores their stories and prints a line per feed and a total.
The database is checked first: a damaged one is refused.
Exit status: 0 when the round ran, even if feeds failed; 1 when it could not
run; 2 for a bad config or flag.`,
		examples: []string{"civicwatch poll", "civicwatch poll --feed cambojanews --feed vod"},
		globals:  usesConfigDBLog,
	},
	"feeds": {
		usage: []string{"feeds", "feeds import FILE.opml [--tag TAG]...", "feeds export [--out FILE]"},
		about: `Without a subcommand: each feed's state (ok, failing, gone, disabled, new), last
success, consecutive failures, stories carried, next poll and last error.
import: adds the OPML file's feeds to the config file, checked and with its
comments kept; feeds already there (same canonical URL) are skipped.
export: the configured feeds as OPML 2.0, tags as categories.
Exit status: 0; 1 when the database or a file cannot be read or written; 2 for
a bad config, flag or OPML file.`,
		examples: []string{"civicwatch feeds", "civicwatch feeds import reader.opml --tag cambodia", "civicwatch feeds export --out feeds.opml"},
		globals:  usesConfigDB,
	},
	"evidence": {
		usage: []string{"evidence run [--recheck-all]", "evidence list [--state STATE] [--json]",
			"evidence show STORY_ID", "evidence export STORY_ID --out DIR"},
		about: `Keeps the article page of each flagged story as evidence (evidence.capture in
the config: matched, the default, all or off), fetched through the same guarded
fetcher as the feeds and written as gzipped WARC records into evidence.dir
(default: "evidence" beside the database).
run: queues the stories that qualify and captures those due now, then
re-checks captures at the ages in evidence.rechecks (unchanged, edited: the new
version captured too, removed: 404, 410, a redirect home or no article left,
unreachable: three network failures in a row), all within the daily budget; a
failing first capture is retried later, up to three attempts.
With evidence.save_page_now enabled, run also submits each capture's URL to the
Internet Archive's Save Page Now (keys from the variables it names). The daemon
(civicwatch run) does all of this on its own beside the polls.
--recheck-all: re-check every capture now, whatever its schedule (the budget
still applies; the scheduled re-checks stay as they were); prints how many were
checked and the states that resulted.
list: a line per story: id, state, captures, last check, URL, title; STATE is
queued, captured, failed, unchanged, edited, removed or unreachable. A last
line sums up the archive: stories, captures, WARC files, bytes on disk of
evidence.dir, stories by state.
show: a story's captures (time, final URL, status, body and text SHA-256, WARC
place), the word diff of each edit ([-removed-]{+inserted+}; Khmer compared
cluster by cluster) and re-checks.
export: a bundle a lawyer can verify: one WARC file per capture, manifest.json
and SHA256SUMS (cd DIR && sha256sum -c SHA256SUMS).
Exit status: 0; 1 when the database, the network or a file fails; 2 for a bad
config, flag or argument.`,
		examples: []string{"civicwatch evidence run", "civicwatch evidence run --recheck-all", "civicwatch evidence list --state failed",
			"civicwatch evidence show 42", "civicwatch evidence export 42 --out bundle-42"},
		globals: usesConfigDBLog,
	},
	"feeds import": {
		usage: []string{"feeds import FILE.opml [--tag TAG]..."},
		about: `Adds the feeds of an OPML file (what feed readers export) to the config file.
Feeds already configured, by canonical URL, are skipped; each new feed gets an
id made from its title, its folders and categories that are valid tags, and
every --tag. The file is written as the rules lab writes it: only after the
whole new file checks out, with its comments and layout kept, the old one
backed up beside it; a running daemon picks the change up.
Exit status: 0, also when nothing was new; 1 when the config cannot be
written; 2 for a bad config, flag or OPML file.`,
		examples: []string{"civicwatch feeds import reader.opml", "civicwatch feeds import ngos.opml --tag ngo --tag cambodia"},
		globals:  usesConfig,
	},
	"feeds export": {
		usage: []string{"feeds export [--out FILE]"},
		about: `Writes the configured feeds as OPML 2.0 for a feed reader: tags become
categories, a disabled feed a commented-out outline. The console serves the
same at /feeds.opml.
Exit status: 0; 1 when FILE cannot be written; 2 for a bad config.`,
		examples: []string{"civicwatch feeds export > feeds.opml", "civicwatch feeds export --out /tmp/feeds.opml"},
		globals:  usesConfig,
	},
	"rematch": {
		usage: []string{"rematch [--since 90d | --all]"},
		about: `Matches the stored stories again with the config's current topics and prints
per topic how many stories match now and how many matches were added and
removed. Run it after changing topics: or lists:.
Exit status: 0; 1 when it could not run; 2 for a bad config or flag.`,
		examples: []string{"civicwatch rematch", "civicwatch rematch --since 720h"},
		globals:  usesConfigDB,
	},
	"prune": {
		usage: []string{"prune [--dry-run] [--older-than 365d]"},
		about: `Applies retention.stories now, as the daemon does once a day: deletes the
stories first seen longer ago that no topic matches and no operator labelled,
200 to a transaction, and says how many went and how many as old were kept.
--dry-run only counts; --older-than overrides the config for this run.
Exit status: 0, also when the config keeps every story; 1 when the database
cannot be written; 2 for a bad config or flag.`,
		examples: []string{"civicwatch prune --dry-run", "civicwatch prune --older-than 400d"},
		globals:  usesConfigDB,
	},
	"bench": {
		usage: []string{"bench [--feeds 1000] [--items 30] [--concurrency 16] [--cpuprofile FILE] [--dir DIR] [--env KEY=VALUE]...",
			"bench archive --out FILE [--stories 1000000] [--days 365] [--feeds 500]"},
		about: `Times this binary's own poll --all over synthetic feeds served on loopback,
with the config's lists and topics, beside gofeed parsing the same bytes in
memory, the same round in-process with the topics (BenchmarkPollFirst's
work) and without, and poll --all without topics, all in one run, with the
command's ratio to BenchmarkPollFirst's work (docs/performance.md). bench archive writes a
synthetic archive for the year's benchmarks.
Exit status: 0; 1 when a poll failed; 2 for a bad flag or config.`,
		examples: []string{"civicwatch bench", "civicwatch bench archive --out /tmp/year.db"},
		globals:  usesConfig,
	},
	"digest": {
		usage: []string{"digest --send", "digest --dry-run [--out DIR]"},
		about: `--send builds and sends every digest that is due now, once per recipient and
period; --dry-run shows what --send would send, recording nothing.
Exit status: 0 when it ran, even if a recipient failed; 1 when it could not
run; 2 for a bad config or flag.`,
		examples: []string{"civicwatch digest --dry-run", "civicwatch digest --send"},
		globals:  usesConfigDBLog,
	},
	"digests": {
		usage: []string{"digests [--limit 20]"},
		about: `The latest digests in the ledger: period, recipient, status, attempts, when sent
(in display.timezone), subject and last error. Reads only: a missing database
is an error.
Exit status: 0; 1 when the database cannot be read.`,
		examples: []string{"civicwatch digests", "civicwatch digests --limit 5"},
		globals:  usesConfigDB,
	},
	"alerts": {
		usage: []string{"alerts [--limit 20]", "alerts test ALERT_ID"},
		about: `The urgent-alert ledger, newest first: when each message was written (in
display.timezone), alert, channel, status (with the next attempt when pending),
attempts, stories (and how many max_per_day held back), when sent, event id and
last error. Reads only: a missing database is an error.
"alerts test ALERT_ID" sends a message marked as a test to each channel of the
alert, once, records it in the ledger and prints each channel's outcome.
Exit status: 0; 1 when the database cannot be read, or when a channel did not
accept the test message; 2 for an unknown alert, a bad config or flag.`,
		examples: []string{"civicwatch alerts", "civicwatch alerts test urgent"},
		globals:  usesConfigDBLog,
	},
	"classify": {
		usage: []string{"classify < stories.jsonl"},
		about: `Reads stories as JSON lines on stdin (id, title, summary, content, article,
tags) and writes one line per story with its topics and hits. Needs no database.
Exit status: 0; 1 if a line could not be read; 2 for a bad config.`,
		examples: []string{`echo '{"id":"1","title":"Union leader arrested"}' | civicwatch classify`},
		globals:  usesConfig,
	},
	"eval": {
		usage: []string{"eval FILE.jsonl", "eval - < FILE.jsonl"},
		about: `Scores the topics on labelled stories: TP, FP, FN, precision, recall and F1 per
topic, then every false positive, false negative and wrong topic. A line's
title, summary and content are read as a feed item's are (markup removed,
entities decoded), and its "article" is matched as the captured article's
text (the field article).
With --leave-one-out it also estimates recall on stories the rules were not
written from: each relevant story is matched again without the terms that fire
on it and on no other relevant story of the file, and the stories caught only
by such terms are listed with them; likewise each trap the rules keep out is
matched again without the vetoes no other trap has, for an estimate of
precision on traps the rules were not written from.
With --teaser N each story is scored as its headline and the first N
characters of its summary (cut at a sentence or word end), without content or
article: what Google News and most Khmer outlets' feeds carry. Rules that
need a story's third paragraph to see what happened show it here.
Exit status: 0 whatever the score; 2 for a bad config or an unreadable file.`,
		examples: []string{"civicwatch eval labels.jsonl", "civicwatch labels export | civicwatch eval -",
			"civicwatch eval --leave-one-out testdata/corpus/tune.jsonl",
			"civicwatch eval --teaser 200 testdata/corpus/tune.jsonl"},
		globals: usesConfig,
	},
	"rules": {
		usage: []string{"rules test --rule RULE [--topic ID] [--since 90d | --all]",
			"rules test --config OTHER.yaml [--topic ID] [--since 90d | --all]"},
		about: `Tests a rule change on the archive without saving anything: the candidate rule
against the topic's current one, or every topic of another config against the
current config (the global --config, given before the command name).
Exit status: 0; 1 when the database cannot be read; 2 for a rule that does not
compile, an unknown topic, or both or neither of --rule and --config.`,
		examples: []string{`civicwatch rules test --topic unions --rule '@union AND (arrest* OR strike*)'`,
			"civicwatch --config feeds.yaml rules test --config candidate.yaml --since 30d"},
		globals: []string{"db"},
	},
	"explain": {
		usage: []string{"explain STORY_ID|URL [--json]"},
		about: `A stored story with every field and sighting, then per topic what the current
rules make of it: the terms that fired, with field and offsets, and the NOT
clause that vetoed it. Reads only: a missing database is an error.
Exit status: 0; 1 when no story has that id or URL; 2 for a bad argument or config.`,
		examples: []string{"civicwatch explain 1234", "civicwatch explain https://cambojanews.com/some-story/ --json"},
		globals:  usesConfigDB,
	},
	"search": {
		usage: []string{"search QUERY... [--limit 20] [--json]"},
		about: `Finds the stored stories whose title or text contains every word of QUERY,
newest first, and shows where the words occur, marked »like this«.

Khmer is found however the word was typed, as the rules read it: zero-width
spaces (U+200B and kin), which many sites put inside words, are ignored on
both sides; spellings writers interchange (្ដ and ្ត, ឱ and ឲ, អោយ) count as
one; a syllable's parts match in whatever order they were typed (សិទិ្ធ and
សិទ្ធិ). Only ASCII letters match whatever their
case: Cyrillic, Greek and accented letters must be typed in the case they
are written in ("Лидер" does not find "лидер").
The marks in the snippet ignore case and read Khmer as the search does.
Words of one or two characters are slow on a large archive. A query has at most 32 words and
512 bytes. Reads only: a missing database is an error.
Exit status: 0, also when nothing is found; 1 when the database cannot be read;
2 for a bad flag or a query over the limits.`,
		examples: []string{"civicwatch search union leader arrested", "civicwatch search សហជីព --limit 5 --json"},
		globals:  usesConfigDB,
	},
	"labels": {
		usage: []string{"labels export [--out FILE]"},
		about: `Writes the stories labelled in the console as labelled JSON lines, ready for
civicwatch eval. Reads only: a missing database is an error.
Exit status: 0; 1 when the database cannot be read or FILE written; 2 for a bad config.`,
		examples: []string{"civicwatch labels export --out labels.jsonl", "civicwatch labels export | civicwatch eval -"},
		globals:  usesConfigDB,
	},
	"check": {
		usage: []string{"check"},
		about: `Validates the config file and lists every problem with its line and column.
A valid file gets a one-line summary, then a note for each list term that matches
exactly what another term of its list does (another case or punctuation, or a Khmer
spelling the matcher reads as the same word, such as ឱ្យ for ឲ្យ).
Exit status: 0 with the summary (notes do not change it); 2 with the list.`,
		examples: []string{"civicwatch check", "civicwatch check --config /data/feeds.yaml"},
		globals:  usesConfig,
	},
	"version": {
		usage:    []string{"version"},
		about:    "Prints the version (also civicwatch --version).\nExit status: 0.",
		examples: []string{"civicwatch version"},
	},
	"help": {
		usage:    []string{"help [COMMAND]"},
		about:    "Shows the list of commands, or a command's help (also civicwatch COMMAND --help).\nExit status: 0; 2 for an unknown command.",
		examples: []string{"civicwatch help", "civicwatch help poll"},
	},
}

// summaries are the commands' one-line summaries by name, for the pages.
// They are filled in init, as help itself is added there: the table and the
// functions that print it would otherwise refer to each other.
var summaries = map[string]string{}

func init() {
	commands = append(commands, command{"help", "show the commands, or a command's help: help COMMAND", cmdHelp})
	for _, c := range commands {
		summaries[c.name] = c.summary
	}
	summaries["feeds import"] = "add the feeds of an OPML file to the config"
	summaries["feeds export"] = "write the configured feeds as OPML 2.0"
}

// isHelpArg reports whether arg asks for help the way flag does.
func isHelpArg(arg string) bool {
	return arg == "-h" || arg == "--h" || arg == "-help" || arg == "--help"
}

// printHelp writes a command's page: its summary, usage, about, the flags
// of fs that it uses (fs may be nil), and examples.
func printHelp(w io.Writer, name string, fs *flag.FlagSet) {
	doc := helpDocs[name]
	fmt.Fprintf(w, "civicwatch %s: %s\n\nUsage:\n", name, summaries[name])
	for _, u := range doc.usage {
		fmt.Fprintf(w, "  civicwatch %s\n", u)
	}
	if doc.about != "" {
		fmt.Fprintf(w, "\n%s\n", doc.about)
	}
	fmt.Fprintf(w, "\nFlags:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if fs != nil {
		isGlobal := map[string]bool{"config": true, "db": true, "log-level": true}
		if name == "rules" {
			isGlobal["config"] = false // rules test --config is the config to compare with
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !isGlobal[f.Name] {
				printFlag(tw, name, f)
			}
		})
		fs.VisitAll(func(f *flag.Flag) {
			if isGlobal[f.Name] && slices.Contains(doc.globals, f.Name) {
				printFlag(tw, name, f)
			}
		})
	}
	fmt.Fprintf(tw, "  -h, --help\tshow this help\n")
	tw.Flush()
	if len(doc.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, ex := range doc.examples {
			fmt.Fprintf(w, "  %s\n", ex)
		}
	}
}

// valueNames name a flag's value on the help pages; other flags take their
// own name in capitals.
var valueNames = map[string]string{"config": "PATH", "db": "PATH", "log-level": "LEVEL", "listen": "ADDR", "allowed-host": "NAME",
	"log-format": "FORMAT", "since": "DURATION", "limit": "N", "feed": "ID", "topic": "ID", "out": "FILE",
	"digest out": "DIR", "rules config": "OTHER.yaml", "teaser": "CHARS"}

// printFlag writes one flag as "--name VALUE  usage (default x)".
func printFlag(w io.Writer, cmdName string, f *flag.Flag) {
	value, usage := flag.UnquoteUsage(f)
	if value != "" {
		value = cmp.Or(valueNames[cmdName+" "+f.Name], valueNames[f.Name], strings.ToUpper(f.Name))
	}
	left := "--" + f.Name
	if value != "" {
		left += " " + value
	}
	if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(usage, "(default") {
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	fmt.Fprintf(w, "  %s\t%s\n", left, usage)
}

// usage is the top-level page: every command with its summary.
func usage(w io.Writer) {
	fmt.Fprintf(w, `civicwatch watches news feeds for threats to civic space in Cambodia.

Usage:
  civicwatch [--config PATH] [--db PATH] COMMAND [flags] [arguments]
  civicwatch help COMMAND      (or civicwatch COMMAND --help)

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, `
Global flags (before or after the command name):
  --config PATH      config file (default ./feeds.yaml; env CIVICWATCH_CONFIG)
  --db PATH          SQLite database file (default ./civicwatch.db; env CIVICWATCH_DB)
  --log-level LEVEL  debug, info, warn or error (default warn; info for run and serve)
  --version          print the version
  -h, --help         show this help

Examples:
  civicwatch run                    # the daemon, console on http://127.0.0.1:8080/
  civicwatch check                  # validate ./feeds.yaml
  civicwatch help search
`)
}

// cmdHelp shows the list of commands or one command's page, by asking the
// command itself for --help so its flags are the ones it defines.
func cmdHelp(e *env, args []string) error {
	switch {
	case len(args) == 0:
		usage(e.stdout)
		return nil
	case isHelpArg(args[0]):
		printHelp(e.stdout, "help", nil)
		return nil
	case len(args) > 1:
		return fmt.Errorf("%w: help takes at most one command name", errUsage)
	}
	for _, c := range commands {
		if c.name == args[0] {
			if c.name == "help" {
				printHelp(e.stdout, "help", nil)
				return nil
			}
			e.cmd = c.name
			return c.run(e, []string{"--help"})
		}
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}
