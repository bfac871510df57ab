package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
)

// env returns a lookup function backed by vars, so tests never depend on
// the real environment.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func parseFile(t *testing.T, path string, lookup func(string) (string, bool)) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data, path, lookup)
}

func mustParseFile(t *testing.T, path string, lookup func(string) (string, bool)) *Config {
	t.Helper()
	cfg, err := parseFile(t, path, lookup)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return cfg
}

// problemsOf extracts the Problems from an error Parse returned.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T) is not *Errors", err, err)
	}
	return errs.Problems
}

const (
	minute = Duration(time.Minute)
	hour   = Duration(time.Hour)
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		file string
		want *Config
	}{
		{
			file: "testdata/full.yaml",
			want: &Config{
				Path: "testdata/full.yaml",
				// Without display: or digest:, times are shown in UTC.
				Display: Display{Timezone: "UTC", Location: time.UTC},
				// Without evidence:, matched stories are captured.
				Evidence: Evidence{Capture: CaptureMatched, Rechecks: DefaultRechecks, DailyBudget: DefaultDailyBudget, SavePageNow: DefaultSavePageNow},
				Fetch: Fetch{
					Interval:             hour,
					Timeout:              Duration(45 * time.Second),
					MaxBody:              512 << 10,
					Concurrency:          4,
					PerHost:              1,
					AllowPrivateNetworks: true,
				},
				Feeds: []Feed{
					{
						ID:       "cambojanews",
						Name:     "CamboJA News",
						URL:      "https://cambojanews.com/feed/",
						Tags:     []string{"cambodia", "en"}, // lower-cased, repeat dropped
						Interval: 15 * minute,
						Enabled:  true,
						Line:     11,
					},
					{
						ID:       "hrw",
						Name:     "hrw", // defaults to the id
						URL:      "https://www.hrw.org/rss/news",
						Tags:     []string{"global", "ngo"},
						Interval: hour, // inherited from fetch.interval
						Enabled:  true,
						Line:     18,
					},
					{
						ID:       "rfa-khmer",
						Name:     "RFA Khmer",
						URL:      "http://www.rfa.org/khmer/rss2.xml",
						Interval: 24 * hour,
						Enabled:  false,
						Line:     24,
					},
				},
				Lists: match.Lists{
					"cambodia":    {"Cambodia", "Cambodian*", "កម្ពុជា"},
					"union_words": {"union", "trade union*"},
				},
				Topics: []Topic{
					{ID: "unions", Name: "Cambodian unions", Rule: "@union_words AND (tag:cambodia OR @cambodia)", Line: 37},
					{ID: "strikes", Name: "strikes", Rule: "strike* AND (tag:cambodia OR @cambodia)", Line: 40},
				},
			},
		},
		{
			file: "testdata/minimal.yaml",
			want: &Config{
				Path: "testdata/minimal.yaml",
				// Without display: or digest:, times are shown in UTC.
				Display: Display{Timezone: "UTC", Location: time.UTC},
				// Without evidence:, matched stories are captured.
				Evidence: Evidence{Capture: CaptureMatched, Rechecks: DefaultRechecks, DailyBudget: DefaultDailyBudget, SavePageNow: DefaultSavePageNow},
				Fetch: Fetch{
					Interval:    30 * minute,
					Timeout:     Duration(30 * time.Second),
					MaxBody:     10 << 20,
					Concurrency: 8,
					PerHost:     2,
				},
				Feeds: []Feed{{
					ID:       "ppp",
					Name:     "ppp",
					URL:      "https://www.phnompenhpost.com/rss",
					Interval: 30 * minute,
					Enabled:  true,
					Line:     2,
				}},
				Lists:  match.Lists{},
				Topics: []Topic{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got := mustParseFile(t, tt.file, nil)
			// Compiled rules are checked by their topics, not field by field.
			if got.Rules == nil {
				t.Fatal("Rules is nil")
			}
			if ids, want := got.Rules.TopicIDs(), topicIDs(tt.want.Topics); !slices.Equal(ids, want) {
				t.Errorf("Rules.TopicIDs() = %v, want %v", ids, want)
			}
			got.Rules = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s)\n got: %+v\nwant: %+v", tt.file, got, tt.want)
			}
		})
	}
}

func TestParseSingleMistake(t *testing.T) {
	tests := []struct {
		file      string
		line, col int
		field     string
		msg       string
	}{
		{"unknown_top_key", 1, 1, "fetchh", `unknown key "fetchh"`},
		{"unknown_feed_key", 6, 5, "feeds[1].intervall", `unknown key "intervall"`},
		{"duplicate_id", 6, 9, "feeds[2].id", `duplicate id "a" (first used at line 2)`},
		{"bad_id", 2, 9, "feeds[0].id", `invalid id "Bad_ID"`},
		{"id_leading_hyphen", 2, 9, "feeds[0].id", `invalid id "-a"`},
		{"missing_id", 2, 5, "feeds[0].id", "missing"},
		{"missing_url", 2, 5, "feeds[0].url", "missing"},
		{"url_scheme", 3, 10, "feeds[0].url", "http:// or https://"},
		{"url_relative", 3, 10, "feeds[0].url", "must be absolute"},
		{"url_no_host", 3, 10, "feeds[0].url", "has no host"},
		{"url_unparseable", 3, 10, "feeds[0].url", "invalid URL"},
		{"duration_unparseable", 2, 13, "fetch.interval", `invalid duration "10 minutes"`},
		{"duration_zero", 4, 15, "feeds[0].interval", "must be positive, got 0s"},
		{"duration_negative", 2, 12, "fetch.timeout", "must be positive, got -5s"},
		{"duration_subsecond", 4, 15, "feeds[0].interval", "must be at least 1s"},
		{"duration_list", 2, 12, "fetch.timeout", "expected a single value, got a list"},
		{"size_unparseable", 2, 13, "fetch.max_body", `invalid size "10 parsecs"`},
		{"size_zero", 2, 13, "fetch.max_body", "must be positive"},
		{"size_negative", 2, 13, "fetch.max_body", "must be positive, got -1MiB"},
		{"concurrency_zero", 2, 16, "fetch.concurrency", "between 1 and 256, got 0"},
		{"concurrency_not_number", 2, 16, "fetch.concurrency", "expected a whole number"},
		{"per_host_too_big", 2, 13, "fetch.per_host", "between 1 and 256, got 1000"},
		{"enabled_not_bool", 4, 14, "feeds[0].enabled", "expected true or false"},
		{"feeds_empty", 3, 8, "feeds", "no feeds configured"},
		{"feeds_absent", 1, 1, "feeds", "no feeds configured"},
		{"feeds_mapping", 2, 3, "feeds", "expected a list, got a mapping"},
		{"fetch_list", 2, 3, "fetch", "expected a mapping"},
		{"bad_tag", 4, 22, "feeds[0].tags[1]", `invalid tag "civic space"`},
		{"tags_not_list", 4, 11, "feeds[0].tags", "expected a list"},
		{"repeated_key", 4, 5, "feeds[0].url", `key "url" repeated (first at line 3)`},
		{"unset_env", 3, 10, "feeds[0].url", "CIVICWATCH_TEST_UNSET_URL is not set"},
		// Syntax errors at the line and column where the parser failed
		// (issue 14: yaml reports the enclosing block's line, no column).
		{"syntax", 4, 21, "", "YAML syntax: mapping values are not allowed"},
		{"indentation", 4, 4, "", "YAML syntax: did not find expected '-' indicator"},
		{"tab", 5, 1, "", "YAML syntax: found a tab character that violates indentation"},
		{"second_document", 4, 1, "", "more than one YAML document"},
		{"top_level_list", 1, 1, "", "expected a mapping"},
		{"empty", 0, 0, "", "file is empty"},
		{"comments_only", 0, 0, "", "file is empty"},
		{"list_bad_name", 5, 3, "lists.Union-Words", `invalid list name "Union-Words"`},
		{"list_empty", 5, 11, "lists.unions", "list unions is empty"},
		{"list_null", 5, 10, "lists.unions", "list unions is empty"},
		{"list_bad_term", 5, 19, "lists.unions[1]", "* is allowed only at the end of a term"},
		{"list_not_list", 5, 11, "lists.unions", "expected a list"},
		{"lists_list", 5, 3, "lists", "expected a mapping"},
		{"topic_unknown_key", 7, 5, "topics[0].rulee", `unknown key "rulee" (known keys: id, name, rule)`},
		{"topic_missing_rule", 5, 5, "topics[0].rule", "missing: every topic needs a rule"},
		{"topic_blank_rule", 6, 11, "topics[0].rule", "missing: every topic needs a rule"},
		{"topic_bad_id", 5, 9, "topics[0].id", `invalid id "Unions"`},
		{"topic_missing_id", 5, 5, "topics[0].id", "missing: every topic needs an id"},
		{"topic_duplicate_id", 7, 9, "topics[1].id", `duplicate id "unions" (first used at line 5)`},
		{"topic_rule_mapping", 6, 11, "topics[0].rule", "expected a single value, got a mapping"},
		{"topics_mapping", 5, 3, "topics", "expected a list, got a mapping"},
		{"topic_unknown_list", 8, 29, "topics[0].rule", "unknown list @cambodia"},
		{"topic_rule_syntax", 6, 26, "topics[0].rule", `unexpected ")" (no "(" to close)`},
		{"topic_near_zero", 8, 7, "topics[0].rule", `NEAR needs a distance in words from 1 to 1000, as in NEAR/5 (at "NEAR/0")`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file+".yaml")
			cfg, err := parseFile(t, path, nil)
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error", path, cfg)
			}
			if cfg != nil {
				t.Errorf("Parse(%s) returned a Config along with its error", path)
			}
			probs := problemsOf(t, err)
			if len(probs) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(probs), err)
			}
			p := probs[0]
			if p.Line != tt.line || p.Column != tt.col || p.Field != tt.field || !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("got  %d:%d %q %q\nwant %d:%d %q containing %q",
					p.Line, p.Column, p.Field, p.Msg, tt.line, tt.col, tt.field, tt.msg)
			}
		})
	}
}

func TestParseReportsEveryMistake(t *testing.T) {
	_, err := parseFile(t, "testdata/multiple.yaml", nil)
	probs := problemsOf(t, err)
	want := []struct {
		line  int
		field string
		msg   string
	}{
		{3, "fetch.retries", "unknown key"},
		{9, "feeds[1].interval", `invalid duration "soon"`},
		{10, "feeds[2].id", "duplicate id \"cambojanews\" (first used at line 5)"},
	}
	if len(probs) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(want), err)
	}
	for i, w := range want {
		p := probs[i]
		if p.Line != w.line || p.Field != w.field || !strings.Contains(p.Msg, w.msg) {
			t.Errorf("problem %d = %+v, want line %d, field %q, msg containing %q", i, p, w.line, w.field, w.msg)
		}
	}
	// Error() puts each problem on its own line, in file order.
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "testdata/multiple.yaml:3:3: fetch.retries: unknown key") {
		t.Errorf("Error() =\n%s", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	all := map[string]string{
		"CONCURRENCY": "3",
		"FEED_ID":     "private",
		"FEED_URL":    "https://example.org/feed",
		"CURRENCY":    "USD",
	}
	without := func(names ...string) map[string]string {
		vars := map[string]string{}
		for k, v := range all {
			vars[k] = v
		}
		for _, n := range names {
			delete(vars, n)
		}
		return vars
	}
	with := func(name, value string) map[string]string {
		vars := without()
		vars[name] = value
		return vars
	}

	t.Run("set", func(t *testing.T) {
		cfg := mustParseFile(t, "testdata/env.yaml", env(all))
		f := cfg.Feeds[0]
		if cfg.Fetch.Concurrency != 3 || f.ID != "private" || f.URL != "https://example.org/feed" {
			t.Errorf("got concurrency %d, feed %+v", cfg.Fetch.Concurrency, f)
		}
		// "$5" keeps its lone dollar, "$$" is a literal dollar, "$${HOME}" is not expanded.
		if want := "Costs $5, $USD or ${HOME}"; f.Name != want {
			t.Errorf("name = %q, want %q", f.Name, want)
		}
	})

	t.Run("values cannot inject YAML", func(t *testing.T) {
		evil := "USD\"\n  - id: evil\n    url: https://evil.example/"
		cfg := mustParseFile(t, "testdata/env.yaml", env(with("CURRENCY", evil)))
		if len(cfg.Feeds) != 1 || !strings.Contains(cfg.Feeds[0].Name, "id: evil") {
			t.Errorf("feeds = %+v, want the value kept inside the name", cfg.Feeds)
		}
	})

	problemTests := []struct {
		name  string
		vars  map[string]string
		lines []int
		msgs  []string
	}{
		{"unset url", without("FEED_URL"), []int{6}, []string{"FEED_URL is not set"}},
		{"two unset", without("FEED_URL", "CONCURRENCY"), []int{2, 6},
			[]string{"CONCURRENCY is not set", "FEED_URL is not set"}},
		{"unset inside text", without("CURRENCY"), []int{5}, []string{"CURRENCY is not set"}},
		{"value of the wrong type", with("CONCURRENCY", "lots"), []int{2}, []string{"expected a whole number"}},
		{"value fails validation", with("FEED_ID", "Private"), []int{4}, []string{`invalid id "Private"`}},
	}
	for _, tt := range problemTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFile(t, "testdata/env.yaml", env(tt.vars))
			probs := problemsOf(t, err)
			if len(probs) != len(tt.lines) {
				t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(tt.lines), err)
			}
			for i, p := range probs {
				if p.Line != tt.lines[i] || !strings.Contains(p.Msg, tt.msgs[i]) {
					t.Errorf("problem %d = %+v, want line %d, msg containing %q", i, p, tt.lines[i], tt.msgs[i])
				}
			}
		})
	}
}

func TestExpandEnv(t *testing.T) {
	lookup := env(map[string]string{"A": "1", "B_2": "two", "EMPTY": ""})
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "1"},
		{in: "x${A}y${B_2}z", want: "x1ytwoz"},
		{in: "${EMPTY}", want: ""},
		{in: "$$", want: "$"},
		{in: "$${A}", want: "${A}"},
		{in: "$$$${A}", want: "$${A}"},
		{in: "$", want: "$"},
		{in: "a$b $ c$", want: "a$b $ c$"},
		{in: "${NOPE}", err: "NOPE is not set"},
		{in: "${NOPE}${A}${ALSO}", err: "NOPE, ALSO are not set"},
		{in: "${A", err: "unterminated"},
		{in: "${}", err: "invalid variable name"},
		{in: "${1A}", err: "invalid variable name"},
		{in: "${A B}", err: "invalid variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expandEnv(tt.in, lookup)
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("expandEnv(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
				}
			case err != nil || got != tt.want:
				t.Errorf("expandEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDisabledFeeds(t *testing.T) {
	cfg := mustParseFile(t, "testdata/disabled.yaml", nil)
	want := map[string]bool{"on-by-default": true, "on": true, "off": false}
	if len(cfg.Feeds) != len(want) {
		t.Fatalf("got %d feeds, want %d", len(cfg.Feeds), len(want))
	}
	for _, f := range cfg.Feeds {
		if f.Enabled != want[f.ID] {
			t.Errorf("feed %s: Enabled = %v, want %v", f.ID, f.Enabled, want[f.ID])
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()

	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(dir, "nope.yaml")
		_, err := Load(path)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("Load(missing) = %v, want a not-exist error naming %s", err, path)
		}
	})

	t.Run("empty file", func(t *testing.T) {
		path := filepath.Join(dir, "empty.yaml")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Load(empty) = %v, want an error naming %s", err, path)
		}
	})

	t.Run("environment", func(t *testing.T) {
		path := filepath.Join(dir, "env.yaml")
		data := "feeds:\n  - id: a\n    url: ${CIVICWATCH_TEST_URL}\n"
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("CIVICWATCH_TEST_URL", "https://example.org/feed")
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Path != path || cfg.Feeds[0].URL != "https://example.org/feed" {
			t.Errorf("Load = %+v", cfg)
		}
	})
}

func TestErrorsFormat(t *testing.T) {
	err := &Errors{Path: "feeds.yaml", Problems: []Problem{
		{Msg: "file is empty"},
		{Line: 3, Msg: "did not find expected key"},
		{Line: 7, Column: 10, Field: "feeds[1].url", Msg: "has no host"},
	}}
	want := "feeds.yaml: file is empty\n" +
		"feeds.yaml:3: did not find expected key\n" +
		"feeds.yaml:7:10: feeds[1].url: has no host"
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

// TestShippedFeeds keeps the repository's feeds.yaml loadable and its
// cambodia tags deliberate: rules treat every item of a cambodia-tagged feed
// as Cambodian, so adding a feed means deciding here which it is.
func TestShippedFeeds(t *testing.T) {
	cfg, err := Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cambodia := map[string]bool{
		"cambojanews": true, "khmertimes": true, "ppp": true, "kiripost": true,
		"freshnews-en": true, "rfa-cambodia": true, "cambojanews-km": true,
		"rasmei": true, "kohsantepheap": true, "rfa-khmer": true,
		"licadho": true, "adhoc": true, "central": true,
		"hrw": false, "bhrrc": false, "equaltimes": false, "ituc": false, "peoplesdispatch": false,
		"gnews-unions-en": false, "gnews-molvt-en": false, "gnews-moi-en": false, "gnews-civic-en": false,
		"gnews-unions-km": false, "gnews-molvt-km": false, "gnews-moi-km": false, "gnews-civic-km": false,
	}
	enabled := 0
	for _, f := range cfg.Feeds {
		if f.Enabled {
			enabled++
		}
		want, known := cambodia[f.ID]
		if !known {
			t.Errorf("feed %s (line %d) is not in this test: decide whether it is tagged cambodia", f.ID, f.Line)
			continue
		}
		if got := hasTag(f, "cambodia"); got != want {
			t.Errorf("feed %s: tagged cambodia = %v, want %v", f.ID, got, want)
		}
		if hasTag(f, "google-news") && hasTag(f, "cambodia") {
			t.Errorf("feed %s: Google News aggregates global outlets, must not be tagged cambodia", f.ID)
		}
	}
	if enabled <= 10 {
		t.Errorf("%d enabled feeds, want more than 10", enabled)
	}
	if len(cfg.Feeds) != len(cambodia) {
		t.Errorf("%d feeds in the file, %d in this test", len(cfg.Feeds), len(cambodia))
	}
}

// TestShippedTopics keeps the shipped topics in place: the digest, the
// stored matches and the labelled corpora all refer to these ids.
func TestShippedTopics(t *testing.T) {
	cfg, err := Load("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"unions", "molvt", "moi", "civic"}
	if got := topicIDs(cfg.Topics); !slices.Equal(got, want) {
		t.Fatalf("topics = %v, want %v", got, want)
	}
	if got := cfg.Rules.TopicIDs(); !slices.Equal(got, want) {
		t.Errorf("compiled topics = %v, want %v", got, want)
	}
	// Each rule compiles on its own too, so no rule leans on another.
	for _, tp := range cfg.Topics {
		if _, err := match.Compile([]match.Topic{{ID: tp.ID, Name: tp.Name, Rule: tp.Rule}}, cfg.Lists); err != nil {
			t.Errorf("topic %s (line %d): %v", tp.ID, tp.Line, err)
		}
	}
}

func hasTag(f Feed, tag string) bool {
	for _, t := range f.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func topicIDs(topics []Topic) []string {
	ids := make([]string, len(topics))
	for i, t := range topics {
		ids[i] = t.ID
	}
	return ids
}

func TestConsoleSection(t *testing.T) {
	const feeds = "feeds: [{id: a, url: 'https://a.example/'}]\n"
	cfg, err := Parse([]byte(feeds+"console:\n  hosts: [Watch.Example.Org, '192.168.1.5:8080', '[fd00::5]:8080']\n  base_url: https://watch.example.org/cw/\n"), "feeds.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"watch.example.org", "192.168.1.5:8080", "[fd00::5]:8080"}; !slices.Equal(cfg.Console.Hosts, want) || cfg.Console.BaseURL != "https://watch.example.org/cw" {
		t.Errorf("console = %+v; want hosts %v and base_url without its trailing slash", cfg.Console, want)
	}
	if cfg, err := Parse([]byte(feeds), "feeds.yaml", nil); err != nil || len(cfg.Console.Hosts) != 0 || cfg.Console.BaseURL != "" {
		t.Errorf("no console section: %+v, %v", cfg, err)
	}
	_, err = Parse([]byte(feeds+"console:\n  hosts: ['http://x.example/', '*.example', 'x.example:port', '']\n  base_url: 'ftp://x.example'\n"), "feeds.yaml", nil)
	var fields []string
	for _, p := range problemsOf(t, err) {
		fields = append(fields, p.Field)
	}
	if want := []string{"console.hosts[0]", "console.hosts[1]", "console.hosts[2]", "console.hosts[3]", "console.base_url"}; !slices.Equal(fields, want) {
		t.Errorf("problems on %v, want %v: %v", fields, want, err)
	}
}

func TestTagBounds(t *testing.T) {
	feedWith := func(tags string) []byte {
		return []byte("feeds:\n  - id: a\n    url: https://a.example/\n    tags: [" + tags + "]\n")
	}
	if _, err := Parse(feedWith(strings.TrimSuffix(strings.Repeat("t, ", maxTags), ", ")), "feeds.yaml", nil); err != nil {
		t.Errorf("%d tags: %v", maxTags, err)
	}
	if _, err := Parse(feedWith(strings.Repeat("t, ", maxTags)+"u"), "feeds.yaml", nil); err == nil || !strings.Contains(err.Error(), "at most 32") {
		t.Errorf("%d tags: %v, want refused", maxTags+1, err)
	}
	if _, err := Parse(feedWith(strings.Repeat("x", maxTagLen)), "feeds.yaml", nil); err != nil {
		t.Errorf("a tag of %d characters: %v", maxTagLen, err)
	}
	if _, err := Parse(feedWith(strings.Repeat("x", maxTagLen+1)), "feeds.yaml", nil); err == nil || !strings.Contains(err.Error(), "at most 64") {
		t.Errorf("a tag of %d characters: %v, want refused", maxTagLen+1, err)
	}
}

// TestShippedConsoleExample keeps the commented-out console example of the
// shipped feeds.yaml valid: uncommented, the file loads with it.
func TestShippedConsoleExample(t *testing.T) {
	data, err := os.ReadFile("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "\n# console:\n")
	if i < 0 {
		t.Fatal("feeds.yaml has no commented-out console example")
	}
	end := i + 1 + strings.Index(text[i+1:], "\n\n")
	var b strings.Builder
	b.WriteString(text[:i+1])
	for _, line := range strings.Split(text[i+1:end], "\n") {
		b.WriteString(strings.TrimPrefix(line, "# ") + "\n")
	}
	b.WriteString(text[end:])
	cfg, err := Parse([]byte(b.String()), "feeds.yaml (console uncommented)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Console.Hosts) == 0 || cfg.Console.BaseURL == "" {
		t.Errorf("console example: %+v", cfg.Console)
	}
}
