package main

import (
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

func cmdFeeds(e *env, args []string) error {
	if ok, err := feedsSubcommand(e, args); ok {
		return err
	}
	if err := e.parseFlags(flag.NewFlagSet("feeds", flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()
	health, err := st.FeedHealth(e.ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]store.FeedState, len(health))
	for _, h := range health {
		byID[h.ID] = h
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tSTATE\tLAST SUCCESS\tFAILURES\tSTORIES\tNEXT DUE\tLAST ERROR")
	var failing int
	for _, f := range cfg.Feeds {
		h, known := byID[f.ID]
		if known && h.URL != f.URL {
			h = store.FeedState{} // its history belongs to the old address
		}
		state := feedState(f.Enabled, h)
		if state == "failing" || state == "gone" {
			failing++
		}
		next := "now"
		switch {
		case !f.Enabled:
			next = "-"
		case h.Gone():
			next = "never (410 Gone: fix or remove its url)"
		case h.NextDue.After(now):
			next = ago(now, h.NextDue)
		}
		lastErr := ""
		if h.LastError != "" {
			lastErr = ago(now, h.LastErrorAt) + ": " + oneLine(h.LastError, 100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", f.ID, state, ago(now, h.LastSuccess), h.Failures,
			h.Stories, next, lastErr)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d feeds, %d failing or gone\n", len(cfg.Feeds), failing)
	return nil
}

func feedState(enabled bool, h store.FeedState) string {
	switch {
	case !enabled:
		return "disabled"
	case h.Gone():
		return "gone"
	case h.Failures > 0:
		return "failing"
	case h.LastSuccess.IsZero():
		return "new"
	default:
		return "ok"
	}
}

// ago renders t relative to now: "3h ago", "in 25m", "never".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + roughly(-d)
	}
	return roughly(d) + " ago"
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
