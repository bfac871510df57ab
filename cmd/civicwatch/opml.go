package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/opml"
)

// feedsSubcommand runs feeds import and feeds export; ok is false when args
// name neither, for cmdFeeds to show the feeds' state.
func feedsSubcommand(e *env, args []string) (ok bool, err error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "import":
		e.cmd = "feeds import"
		return true, feedsImport(e, args[1:])
	case "export":
		e.cmd = "feeds export"
		return true, feedsExport(e, args[1:])
	}
	return false, nil
}

// tagsFlag collects repeated --tag values.
type tagsFlag []string

func (t *tagsFlag) String() string { return fmt.Sprint([]string(*t)) }
func (t *tagsFlag) Set(s string) error {
	*t = append(*t, s)
	return nil
}

// feedsImport adds the feeds of an OPML file to the config file, through
// the same checked, comment-keeping write the rules lab saves rules with.
func feedsImport(e *env, args []string) error {
	fs := flag.NewFlagSet("feeds import", flag.ContinueOnError)
	var extra tagsFlag
	fs.Var(&extra, "tag", "add this tag to every imported feed (repeatable)")
	files, err := e.parseFlagsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: feeds import takes one OPML file, got %d", errUsage, len(files))
	}
	for _, t := range extra {
		if !validTag(t) {
			return fmt.Errorf("%w: --tag %q: tags are lower-case letters, digits and hyphens", errUsage, t)
		}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	f, err := os.Open(files[0])
	if err != nil {
		return &inputError{err}
	}
	defer f.Close()
	in, err := opml.Parse(f)
	if err != nil {
		return &inputError{fmt.Errorf("%s: %w", files[0], err)}
	}
	add, skipped := opml.Plan(cfg.Feeds, in, extra)
	for _, s := range skipped {
		fmt.Fprintf(e.stdout, "skipped  %s (%s): %s\n", s.Feed.Title, s.Feed.URL, s.Reason)
	}
	if len(add) == 0 {
		fmt.Fprintf(e.stdout, "%s: %d feeds read, none added; %s is unchanged\n", files[0], len(in), cfg.Path)
		return nil
	}
	backup, err := config.AddFeeds(cfg.Path, add, files[0], e.lookupEnv)
	var problems *config.Errors
	if errors.As(err, &problems) {
		return &configError{fmt.Errorf("the feeds would make %s invalid; nothing was written:\n%w", cfg.Path, err)}
	}
	if err != nil {
		return err
	}
	for _, a := range add {
		fmt.Fprintf(e.stdout, "added    %s: %s (%s)\n", a.ID, a.Name, a.URL)
	}
	fmt.Fprintf(e.stdout, "%s: %d feeds read, %d added, %d skipped; the old %s is kept as %s\n",
		files[0], len(in), len(add), len(skipped), cfg.Path, backup)
	return nil
}

func validTag(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// feedsExport writes the configured feeds as OPML 2.0.
func feedsExport(e *env, args []string) error {
	fs := flag.NewFlagSet("feeds export", flag.ContinueOnError)
	out := fs.String("out", "", "write to this file instead of stdout (replaced whole, or left as it was on error)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return opml.Export(w, cfg.Feeds, time.Now()) }
	if *out == "" {
		return write(e.stdout)
	}
	if err := writeFileAtomic(*out, write); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d feeds written to %s\n", len(cfg.Feeds), *out)
	return nil
}
