package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/bench"
	"github.com/civicwatch/civicwatch/internal/store"
)

// cmdBench runs this binary's `poll --all` as an operator would, over
// synthetic feeds served on loopback with the config's lists and topics,
// and prints its rates beside gofeed parsing the same bytes in memory in
// the same run.
func cmdBench(e *env, args []string) error {
	if len(args) > 0 && args[0] == "archive" {
		return cmdBenchArchive(e, args[1:])
	}
	if len(args) > 0 && args[0] == "poll" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	feeds := fs.Int("feeds", 1000, "loopback feeds")
	items := fs.Int("items", 30, "items per feed (about 1.7 KB each)")
	conc := fs.Int("concurrency", 16, "fetch.concurrency and fetch.per_host of the run")
	profile := fs.String("cpuprofile", "", "write the first poll's CPU profile to this file")
	var childEnv []string
	fs.Func("env", "set KEY=VALUE in the polls' environment (GOGC=200, GOMEMLIMIT=256MiB); repeatable", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		childEnv = append(childEnv, v)
		return nil
	})
	keep := fs.String("dir", "", "work in this directory and keep its config and database (default: a temporary one)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *feeds < 1 || *items < 1 || *conc < 1 {
		return fmt.Errorf("%w: --feeds, --items and --concurrency must be positive", errUsage)
	}
	if _, err := e.loadConfig(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this binary: %w", err)
	}
	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "civicwatch-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	o := bench.PollOptions{Binary: self, Config: e.global.config, Dir: dir, Feeds: *feeds, Items: *items, Concurrency: *conc, Env: childEnv}
	if *profile != "" {
		o.Profile = cpuProfileEnv + "=" + *profile
	}
	fmt.Fprintf(e.stdout, "%d loopback feeds of %d items, %d at a time, topics of %s\n", *feeds, *items, *conc, e.global.config)
	rep, err := bench.RunPoll(e.ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d feeds, %d stories, %.1f MB; the first poll matched %d stories to a topic\n",
		rep.Feeds, rep.Stories, float64(rep.Bytes)/1e6, rep.Matched)
	fmt.Fprintf(e.stdout, "%-31s %9s %10s %11s %9s %9s %12s\n", "", "wall", "feeds/s", "stories/s", "vs parse", "CPU", "CPU vs parse")
	row := func(name string, wall, cpu time.Duration, stories bool) {
		f, s := rep.Rate(wall)
		st := fmt.Sprintf("%.0f", s)
		if !stories {
			st = "-"
		}
		fmt.Fprintf(e.stdout, "%-31s %9s %10.0f %11s %8.2fx %9s %11.2fx\n", name, wall.Round(time.Millisecond), f, st,
			rep.Parse.Seconds()/wall.Seconds(), cpu.Round(time.Millisecond), rep.ParseCPU.Seconds()/cpu.Seconds())
	}
	row("parse in memory (baseline)", rep.Parse, rep.ParseCPU, true)
	row("in-process, no topics", rep.InProcess, rep.InProcessCPU, true)
	row("poll --all, no topics", rep.Bare, rep.BareCPU, true)
	row("in-process (BenchmarkPollFirst)", rep.InProcessTopics, rep.InProcessTopicsCPU, true)
	row("first poll (poll --all)", rep.First, rep.FirstCPU, true)
	row("re-poll (every feed 304)", rep.Repoll, rep.RepollCPU, false)
	fmt.Fprintf(e.stdout, "first poll peak RSS: %.0f MiB\n", float64(rep.FirstPeakRSS)/(1<<20))
	fmt.Fprintf(e.stdout, "first poll vs BenchmarkPollFirst's work in-process: %.2fx the wall time, %.2fx the CPU time (goal: at most 1.5x)\n",
		rep.First.Seconds()/rep.InProcessTopics.Seconds(), rep.FirstCPU.Seconds()/rep.InProcessTopicsCPU.Seconds())
	fmt.Fprintf(e.stdout, "without topics: poll --all vs in-process %.2fx the wall time, %.2fx the CPU time\n",
		rep.Bare.Seconds()/rep.InProcess.Seconds(), rep.BareCPU.Seconds()/rep.InProcessCPU.Seconds())
	return nil
}

// cmdBenchArchive writes a synthetic archive of a year (by default a
// million stories from 500 feeds) for the store's and the console's
// benchmarks, matched with the config's topics as polling would.
func cmdBenchArchive(e *env, args []string) error {
	fs := flag.NewFlagSet("bench archive", flag.ContinueOnError)
	out := fs.String("out", "", "the database file to write (must not exist)")
	stories := fs.Int("stories", 1_000_000, "stories in all")
	days := fs.Int("days", 365, "days they are spread over, ending now")
	feeds := fs.Int("feeds", 500, "feeds carrying them")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || *stories < 1 || *days < 1 || *feeds < 2 {
		return fmt.Errorf("%w: --out is needed; --stories, --days positive, --feeds at least 2", errUsage)
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%w: %s exists; the archive is written into a new file", errUsage, *out)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	st, err := store.Open(e.ctx, *out)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	err = bench.BuildArchive(e.ctx, st, bench.ArchiveOptions{
		Stories: *stories, Days: *days, Feeds: *feeds, End: start.UTC().Truncate(24 * time.Hour),
		Topical: bench.DefaultTopical, Khmer: bench.DefaultKhmer, Resighted: bench.DefaultResighted, Rules: cfg.Rules,
		Progress: func(day, n int) {
			if day%30 == 29 {
				fmt.Fprintf(e.stderr, "day %d: %d stories, %s\n", day+1, n, time.Since(start).Round(time.Second))
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d stories over %d days from %d feeds to %s in %s\n", *stories, *days, *feeds, *out, time.Since(start).Round(time.Second))
	return nil
}
