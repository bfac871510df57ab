package config

import (
	"fmt"
	"os"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Config is a loaded, defaulted and validated configuration file.
type Config struct {
	Path   string // file it was loaded from
	Fetch  Fetch
	Feeds  []Feed
	Lists  match.Lists  // named term lists, used in rules as @name
	Topics []Topic      // in file order
	Rules  *match.Rules // Topics compiled over Lists; never nil in a loaded Config
	Digest *Digest      // nil when the file has no digest: section
	SMTP   *SMTP        // nil when the file has no smtp: section
	// Display is the zone times are shown in; always set.
	Display Display
	// Console holds the names the console answers to and its public
	// address; zero when the file has no console: section.
	Console Console
	Alerts  []Alert // urgent pushes; empty without an alerts: section
	// Retention says how long unmatched stories are kept; the zero value
	// keeps everything.
	Retention Retention
	// Evidence says which stories' articles are captured; always set.
	Evidence Evidence
}

// rawFile mirrors the YAML document while decoding. Its yaml tags are the
// whole key schema: the walker rejects any key not listed here.
type rawFile struct {
	Fetch   rawFetch            `yaml:"fetch"`
	Feeds   []rawFeed           `yaml:"feeds"`
	Lists   map[string][]string `yaml:"lists"`
	Topics  []rawTopic          `yaml:"topics"`
	Digest  *rawDigest          `yaml:"digest"`
	SMTP    *rawSMTP            `yaml:"smtp"`
	Display *rawDisplay         `yaml:"display"`
	Console *rawConsole         `yaml:"console"`
	Alerts  []rawAlert          `yaml:"alerts"`
	// Retention is optional: without it every story is kept.
	Retention rawRetention `yaml:"retention"`
	Evidence  *rawEvidence `yaml:"evidence"`
}

// resolve applies defaults and validates each section in turn. Sections are
// resolved in dependency order: feeds inherit fetch.interval, topics are
// compiled over the lists, recipients name topics, and the smtp section
// decides the digest's default delivery. src is the file's text, for placing
// problems inside rules.
func (r *rawFile) resolve(path string, src []byte, p *problems) *Config {
	cfg := &Config{Path: path}
	cfg.Fetch = r.Fetch.resolve(p)
	cfg.Feeds = resolveFeeds(r.Feeds, cfg.Fetch, p)
	cfg.Lists = resolveLists(r.Lists, p)
	cfg.Topics = resolveTopics(r.Topics, p)
	if !p.anyIn("lists", "topics") {
		cfg.Rules = compileRules(r.Topics, cfg.Topics, cfg.Lists, sourceLines(src), p)
	}
	cfg.SMTP = resolveSMTP(r.SMTP, p)
	cfg.Digest = resolveDigest(r.Digest, r.SMTP != nil, cfg.Topics, p)
	cfg.Display = resolveDisplay(r.Display, cfg.Digest, p)
	cfg.Console = resolveConsole(r.Console, p)
	cfg.Alerts = resolveAlerts(r.Alerts, cfg.Topics, cfg.Lists, cfg.Digest, sourceLines(src), p)
	cfg.Retention = r.Retention.resolve(p)
	cfg.Evidence = resolveEvidence(r.Evidence, p)
	return cfg
}

// Load reads the config file at path, expanding ${VAR} from the process
// environment. See Parse for what is checked.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err) // the *PathError names the file
	}
	return Parse(data, path, os.LookupEnv)
}

// Parse decodes and validates a config file's contents; path is used in
// messages and recorded in Config.Path. lookupEnv resolves ${VAR} in values;
// nil means no variable is set, which keeps tests independent of the
// environment they run in.
//
// On any mistake Parse returns a nil Config and an *Errors listing every
// problem found, each with its position in the file.
func Parse(data []byte, path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	p := newProblems()
	var raw rawFile
	if !decodeFile(data, &raw, lookupEnv, p) {
		return nil, p.err(path)
	}
	cfg := raw.resolve(path, data, p)
	if err := p.err(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// setting returns the decoded value of an optional key, or def when the key
// is absent or its value could not be read. Falling back on a bad value keeps
// one mistake from echoing: a feed inheriting an unreadable fetch.interval
// would otherwise be reported as having a zero interval.
func setting[T any](p *problems, field string, v *T, def T) T {
	if v == nil || p.isBroken(field) {
		return def
	}
	return *v
}
