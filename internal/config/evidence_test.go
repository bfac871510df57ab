package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const evidenceBase = "feeds:\n  - id: a\n    url: https://a.example/feed\ntopics:\n  - id: unions\n    rule: union\n"

func TestEvidenceSection(t *testing.T) {
	day := Duration(24 * time.Hour)
	tests := []struct {
		name string
		body string
		want Evidence
	}{
		{"absent: defaults", "", Evidence{Capture: CaptureMatched, Rechecks: DefaultRechecks, DailyBudget: DefaultDailyBudget}},
		{"all keys", "evidence:\n  capture: all\n  rechecks: [2d, 14d]\n  dir: /var/lib/cw/ev\n  daily_budget: 40\n",
			Evidence{Capture: CaptureAll, Rechecks: []Duration{2 * day, 14 * day}, Dir: "/var/lib/cw/ev", DailyBudget: 40}},
		{"off", "evidence:\n  capture: off\n", Evidence{Capture: CaptureOff, Rechecks: DefaultRechecks, DailyBudget: DefaultDailyBudget}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(evidenceBase+tt.body), "t.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Evidence, tt.want) {
				t.Errorf("Evidence = %+v, want %+v", cfg.Evidence, tt.want)
			}
		})
	}
}

func TestEvidenceMistakes(t *testing.T) {
	tests := []struct {
		name, body, field, msg string
	}{
		{"unknown mode", "evidence:\n  capture: matches\n", "evidence.capture", `not "matches"`},
		{"descending rechecks", "evidence:\n  rechecks: [7d, 1d]\n", "evidence.rechecks", "ascending"},
		{"tiny recheck", "evidence:\n  rechecks: [1m]\n", "evidence.rechecks", "at least"},
		{"empty dir", "evidence:\n  dir: \"\"\n", "evidence.dir", "beside the database"},
		{"zero budget", "evidence:\n  daily_budget: 0\n", "evidence.daily_budget", "between 1"},
		{"unknown key", "evidence:\n  budget: 3\n", "evidence.budget", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(evidenceBase+tt.body), "t.yaml", nil)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			probs := problemsOf(t, err)
			if len(probs) != 1 || probs[0].Field != tt.field || !strings.Contains(probs[0].Msg, tt.msg) {
				t.Errorf("problems %v, want one on %s containing %q", err, tt.field, tt.msg)
			}
		})
	}
}
