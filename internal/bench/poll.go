package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/match"
	pollpkg "github.com/civicwatch/civicwatch/internal/poll"
	"github.com/civicwatch/civicwatch/internal/store"
	"go.yaml.in/yaml/v3"
)

// PollOptions describe a poll benchmark.
type PollOptions struct {
	Binary      string // the civicwatch executable to run
	Config      string // the config whose lists and topics the run uses (its feeds are replaced)
	Dir         string // where the run's config and database go
	Feeds       int    // loopback feeds
	Items       int    // items per feed
	Concurrency int    // fetch.concurrency and fetch.per_host
	// Env is added to the polls' environment (GOGC=200).
	Env []string
	// Profile is added to the first poll's (CIVICWATCH_CPUPROFILE=…).
	Profile string
}

// PollReport is what one run measured.
type PollReport struct {
	Feeds, Stories int
	Bytes          int64         // of every feed body once
	Parse          time.Duration // gofeed parsing every body in memory, one goroutine (the mean of a pass before and one after the polls)
	First          time.Duration // `civicwatch poll --all` on an empty database, the whole process
	Repoll         time.Duration // the same again: every feed answers 304
	FirstPeakRSS   int64         // bytes, the child's peak resident memory during the first poll
	// CPU time (user and system) of the same: on a shared machine the
	// processor time a run needs moves less than its wall time.
	ParseCPU, FirstCPU, RepollCPU time.Duration
	Matched                       int // stories the first poll matched to a topic
	// InProcess and InProcessCPU are BenchmarkPollFirstNoTopics' work on the same
	// feeds in this process: poll.Poller without topics into a new
	// database, the feed server's share of the processor included, as in
	// the Go benchmark.
	InProcess, InProcessCPU time.Duration
	// InProcessTopics and InProcessTopicsCPU are the same with the
	// config's topics, as the first poll matches them: BenchmarkPollFirst's
	// work, the same as First's without the process around it.
	InProcessTopics, InProcessTopicsCPU time.Duration
	// Bare and BareCPU are `poll --all` with a config of the same feeds
	// and no topics: the process without the matching.
	Bare, BareCPU time.Duration
}

// Rate is feeds and stories per second for a duration of one round.
func (r PollReport) Rate(d time.Duration) (feeds, stories float64) {
	return float64(r.Feeds) / d.Seconds(), float64(r.Stories) / d.Seconds()
}

// RunPoll serves the feeds on loopback, writes a config of them with the
// given config's lists and topics, and runs the binary's `poll --all`
// twice (first poll, then re-poll) in a child process, between two passes
// of in-memory parsing of the same bytes.
func RunPoll(ctx context.Context, o PollOptions) (PollReport, error) {
	rep := PollReport{Feeds: o.Feeds, Stories: o.Feeds * o.Items}
	bodies := make([][]byte, o.Feeds)
	for i := range bodies {
		bodies[i] = Feed(i, o.Items)
		rep.Bytes += int64(len(bodies[i]))
	}
	srv := httptest.NewServer(feedHandler(bodies))
	defer srv.Close()
	cfg, bareCfg := filepath.Join(o.Dir, "bench.yaml"), filepath.Join(o.Dir, "bench-no-topics.yaml")
	if err := writeConfig(o.Config, cfg, srv.URL, o, true); err != nil {
		return rep, err
	}
	if err := writeConfig(o.Config, bareCfg, srv.URL, o, false); err != nil {
		return rep, err
	}
	db, bareDB := filepath.Join(o.Dir, "bench.db"), filepath.Join(o.Dir, "bench-no-topics.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(db + suffix)
		os.Remove(bareDB + suffix)
	}

	before, cpuBefore, err := parseAll(bodies)
	if err != nil {
		return rep, err
	}
	if rep.InProcess, rep.InProcessCPU, err = pollInProcess(ctx, srv.URL, o, nil); err != nil {
		return rep, fmt.Errorf("in-process poll: %w", err)
	}
	withTopics, err := config.Load(cfg)
	if err != nil {
		return rep, err
	}
	if rep.InProcessTopics, rep.InProcessTopicsCPU, err = pollInProcess(ctx, srv.URL, o, withTopics.Rules); err != nil {
		return rep, fmt.Errorf("in-process poll with topics: %w", err)
	}
	bare, err := poll(ctx, PollOptions{Binary: o.Binary, Env: o.Env}, bareCfg, bareDB, rep.Stories)
	if err != nil {
		return rep, fmt.Errorf("first poll without topics: %w", err)
	}
	rep.Bare, rep.BareCPU = bare.wall, bare.cpu
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(bareDB + suffix)
	}
	profiled := o
	if o.Profile != "" {
		profiled.Env = append(slices.Clone(o.Env), o.Profile)
	}
	first, err := poll(ctx, profiled, cfg, db, rep.Stories)
	if err != nil {
		return rep, fmt.Errorf("first poll: %w", err)
	}
	rep.First, rep.FirstCPU, rep.Matched = first.wall, first.cpu, first.matched
	if ru, ok := first.state.SysUsage().(*syscall.Rusage); ok {
		rep.FirstPeakRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	again, err := poll(ctx, o, cfg, db, 0)
	if err != nil {
		return rep, fmt.Errorf("re-poll: %w", err)
	}
	rep.Repoll, rep.RepollCPU = again.wall, again.cpu
	after, cpuAfter, err := parseAll(bodies)
	if err != nil {
		return rep, err
	}
	rep.Parse, rep.ParseCPU = (before+after)/2, (cpuBefore+cpuAfter)/2
	return rep, nil
}

// pollInProcess polls the feeds as BenchmarkPollFirst does: a Poller in
// this process, a new database, and the given rules (nil: no topics, as
// in the Go benchmark).
func pollInProcess(ctx context.Context, base string, o PollOptions, rules *match.Rules) (wall, cpu time.Duration, err error) {
	path := filepath.Join(o.Dir, "inprocess.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}()
	st, err := store.Open(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	fc := config.Fetch{Interval: config.DefaultInterval, Timeout: config.Duration(2 * time.Minute), MaxBody: config.DefaultMaxBody,
		Concurrency: o.Concurrency, PerHost: o.Concurrency, AllowPrivateNetworks: true}
	feeds := make([]config.Feed, o.Feeds)
	for i := range feeds {
		feeds[i] = config.Feed{ID: fmt.Sprintf("bench-%04d", i), URL: fmt.Sprintf("%s/feed/%d", base, i), Interval: fc.Interval, Enabled: true}
	}
	p := pollpkg.New(st, fc, "civicwatch-bench", slog.New(slog.DiscardHandler))
	p.Rules = rules
	start, cpuStart := time.Now(), processCPU()
	rep, err := p.Poll(ctx, feeds, pollpkg.Selection{All: true})
	wall, cpu = time.Since(start), processCPU()-cpuStart
	if err != nil {
		return wall, cpu, err
	}
	if t, failed := rep.Totals(); failed > 0 || t.New != o.Feeds*o.Items {
		return wall, cpu, fmt.Errorf("stored %d new stories, %d feeds failed; want %d and none", t.New, failed, o.Feeds*o.Items)
	}
	return wall, cpu, nil
}

// feedHandler serves body i at /feed/i with an ETag, answering 304 to a
// conditional GET, as a real feed server does.
func feedHandler(bodies [][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		if err != nil || i < 0 || i >= len(bodies) {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"b%d"`, i)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(bodies[i])
	})
}

// parseAll parses every body in memory and returns the wall and CPU time
// it took (the process's, which serves no feed meanwhile).
func parseAll(bodies [][]byte) (wall, cpu time.Duration, err error) {
	start, cpuStart := time.Now(), processCPU()
	for _, b := range bodies {
		if _, err := gofeed.NewParser().Parse(bytes.NewReader(b)); err != nil {
			return 0, 0, fmt.Errorf("parse in memory: %w", err)
		}
	}
	return time.Since(start), processCPU() - cpuStart, nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type pollRun struct {
	wall, cpu time.Duration
	matched   int
	state     *os.ProcessState
}

var (
	totalNew     = regexp.MustCompile(`(\d+) new,`)
	totalMatched = regexp.MustCompile(`(\d+) matched a topic`)
)

// poll runs `civicwatch poll --all` and checks that it stored wantNew new
// stories.
func poll(ctx context.Context, o PollOptions, cfg, db string, wantNew int) (pollRun, error) {
	cmd := exec.CommandContext(ctx, o.Binary, "--config", cfg, "--db", db, "poll", "--all")
	cmd.Env = append(os.Environ(), o.Env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	run := pollRun{wall: time.Since(start), state: cmd.ProcessState}
	if err != nil {
		return run, fmt.Errorf("%s: %w: %s", cmd, err, errOut.String())
	}
	run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	text := out.String()
	last := text[strings.LastIndex(strings.TrimSpace(text), "\n")+1:]
	m := totalNew.FindStringSubmatch(last)
	if m == nil || m[1] != strconv.Itoa(wantNew) || !strings.Contains(last, " 0 failed") {
		return run, fmt.Errorf("poll stored other than %d new stories: %s", wantNew, last)
	}
	if m := totalMatched.FindStringSubmatch(last); m != nil {
		run.matched, _ = strconv.Atoi(m[1])
	}
	return run, nil
}

// writeConfig writes a config of the loopback feeds with the lists and
// topics of the config at from.
func writeConfig(from, to, base string, o PollOptions, topics bool) error {
	src, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var doc struct {
		Lists  yaml.Node `yaml:"lists"`
		Topics yaml.Node `yaml:"topics"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return fmt.Errorf("read config %s: %w", from, err)
	}
	out := configFile{
		Fetch: map[string]any{"interval": "30m", "timeout": "2m", "concurrency": o.Concurrency, "per_host": o.Concurrency,
			"allow_private_networks": true},
	}
	for i := range o.Feeds {
		out.Feeds = append(out.Feeds, feedEntry{ID: fmt.Sprintf("bench-%04d", i), URL: fmt.Sprintf("%s/feed/%d", base, i)})
	}
	if !topics {
		doc.Lists, doc.Topics = yaml.Node{}, yaml.Node{}
	}
	b, err := out.marshal(doc.Lists, doc.Topics)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

type feedEntry struct {
	ID   string   `yaml:"id"`
	Name string   `yaml:"name,omitempty"`
	URL  string   `yaml:"url"`
	Tags []string `yaml:"tags,omitempty"`
}

// configFile is a config written for a run: its own fetch and feeds, the
// lists and topics of another config.
type configFile struct {
	Fetch  map[string]any `yaml:"fetch"`
	Feeds  []feedEntry    `yaml:"feeds"`
	Lists  *yaml.Node     `yaml:"lists,omitempty"`
	Topics *yaml.Node     `yaml:"topics,omitempty"`
	Digest map[string]any `yaml:"digest,omitempty"`
}

func (c configFile) marshal(lists, topics yaml.Node) ([]byte, error) {
	if lists.Kind != 0 {
		c.Lists = &lists
	}
	if topics.Kind != 0 {
		c.Topics = &topics
	}
	return yaml.Marshal(c)
}

// ArchiveConfig is a config for a synthetic archive of n feeds: its feeds
// (ArchiveFeeds), the lists and topics of the config at shipped, and a
// digest at 07:00 UTC to one recipient, written to dir.
func ArchiveConfig(shipped string, n int, dir string) (*config.Config, error) {
	src, err := os.ReadFile(shipped)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var doc struct {
		Lists  yaml.Node `yaml:"lists"`
		Topics yaml.Node `yaml:"topics"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("read config %s: %w", shipped, err)
	}
	out := configFile{
		Fetch: map[string]any{"allow_private_networks": true},
		Digest: map[string]any{"schedule": "0 7 * * *", "timezone": "UTC", "delivery": "file", "dir": dir,
			"from": "civicwatch <digest@example.org>", "recipients": []map[string]any{{"email": "staff@example.org"}}},
	}
	for _, f := range ArchiveFeeds(n) {
		out.Feeds = append(out.Feeds, feedEntry{ID: f.ID, Name: f.Name, URL: f.URL, Tags: f.Tags})
	}
	b, err := out.marshal(doc.Lists, doc.Topics)
	if err != nil {
		return nil, err
	}
	return config.Parse(b, "archive.yaml", nil)
}
