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
		{"absent: defaults", "", Evidence{Capture: CaptureMatched, Rechecks: DefaultRechecks, DailyBudget: DefaultDailyBudget, SavePageNow: DefaultSavePageNow}},
		{"all keys", "evidence:\n  capture: all\n  rechecks: [2d, 14d]\n  dir: /var/lib/cw/ev\n  daily_budget: 40\n",
			Evidence{Capture: CaptureAll, Rechecks: []Duration{2 * day, 14 * day}, Dir: "/var/lib/cw/ev", DailyBudget: 40, SavePageNow: DefaultSavePageNow}},
		{"off", "evidence:\n  capture: off\n", Evidence{Capture: CaptureOff, Rechecks: DefaultRechecks, DailyBudget: DefaultDailyBudget, SavePageNow: DefaultSavePageNow}},
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

func TestSavePageNowSection(t *testing.T) {
	cfg, err := Parse([]byte(evidenceBase+"evidence:\n  save_page_now:\n    enabled: true\n    per_minute: 4\n    access_key_env: CW_IA_KEY\n"), "t.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := SavePageNow{Enabled: true, Endpoint: DefaultSPNEndpoint, AccessKeyEnv: "CW_IA_KEY", SecretKeyEnv: "IA_SECRET_KEY", PerMinute: 4}
	if cfg.Evidence.SavePageNow != want {
		t.Errorf("SavePageNow = %+v, want %+v", cfg.Evidence.SavePageNow, want)
	}
	cfg, err = Parse([]byte(evidenceBase), "t.yaml", nil)
	if err != nil || cfg.Evidence.SavePageNow.Enabled || cfg.Evidence.SavePageNow.PerMinute != DefaultSPNPerMinute {
		t.Errorf("default SavePageNow = %+v, %v: want off, %d a minute", cfg.Evidence.SavePageNow, err, DefaultSPNPerMinute)
	}
	for _, tt := range []struct{ name, body, key, msg string }{
		{"endpoint", "endpoint: ftp://web.archive.org/save", "evidence.save_page_now.endpoint", "http(s) URL"},
		{"relative endpoint", "endpoint: /save", "evidence.save_page_now.endpoint", "http(s) URL"},
		{"over the published limit", "per_minute: 60", "evidence.save_page_now.per_minute", "between 1"},
		{"zero rate", "per_minute: 0", "evidence.save_page_now.per_minute", "between 1"},
		{"key value instead of name", "access_key_env: 'abc:def'", "evidence.save_page_now.access_key_env", "name of an environment variable"},
		{"empty secret name", "secret_key_env: ''", "evidence.save_page_now.secret_key_env", "missing"},
		{"unknown key", "secret: x", "evidence.save_page_now.secret", "unknown key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(evidenceBase+"evidence:\n  save_page_now:\n    "+tt.body+"\n"), "t.yaml", nil)
			if err == nil || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v: want it to name %s and say %q", err, tt.key, tt.msg)
			}
		})
	}
}
