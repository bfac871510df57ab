package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	const feeds = "feeds:\n  - id: ppp\n    url: https://www.phnompenhpost.com/rss\n"
	tests := []struct {
		name string
		yaml string
		want time.Duration
		err  string // part of the error, "" when it loads
	}{
		{name: "absent keeps everything", yaml: feeds, want: 0},
		{name: "zero keeps everything", yaml: feeds + "retention:\n  stories: 0\n", want: 0},
		{name: "a year", yaml: feeds + "retention:\n  stories: 365d\n", want: 365 * 24 * time.Hour},
		{name: "empty section", yaml: feeds + "retention: {}\n", want: 0},
		{name: "too short", yaml: feeds + "retention:\n  stories: 7d\n", err: "retention.stories: must be 0 (keep every story) or at least 30 days"},
		{name: "negative", yaml: feeds + "retention:\n  stories: -1d\n", err: "retention.stories"},
		{name: "not a duration", yaml: feeds + "retention:\n  stories: forever\n", err: "retention.stories"},
		{name: "unknown key", yaml: feeds + "retention:\n  matches: 30d\n", err: "matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "feeds.yaml", nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Retention.Stories.D(); got != tt.want {
				t.Errorf("retention.stories = %s, want %s", got, tt.want)
			}
		})
	}
}
