package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDigestAndSMTP(t *testing.T) {
	cfg := mustParseFile(t, "testdata/digest.yaml", nil)
	d, s := cfg.Digest, cfg.SMTP
	if d == nil || s == nil {
		t.Fatalf("digest %+v, smtp %+v", d, s)
	}
	if d.Cron == nil || d.Location == nil || d.Location.String() != "Asia/Phnom_Penh" {
		t.Fatalf("schedule %v, location %v", d.Cron, d.Location)
	}
	// 30 6 * * 1-5 in Phnom Penh: Friday 27 Nov 2026 06:30, then Monday.
	fri := time.Date(2026, 11, 27, 6, 30, 0, 0, d.Location)
	if next := d.Cron.Next(fri.Add(-time.Minute)); !next.Equal(fri) {
		t.Errorf("next send %v, want %v", next, fri)
	}
	if next := d.Cron.Next(fri); !next.Equal(fri.AddDate(0, 0, 3)) {
		t.Errorf("after Friday the schedule fires %v, want Monday", next)
	}
	d.Cron, d.Location = nil, nil
	want := &Digest{
		Schedule: "30 6 * * 1-5", Timezone: "Asia/Phnom_Penh", SendEmpty: false, Delivery: DeliverySMTP,
		Dir: "/var/lib/civicwatch/digests", From: "civicwatch <digest@example.org>", Subject: "civicwatch {{.Total}}",
		MaxAge: Duration(3 * day), Line: 12,
		Recipients: []Recipient{
			{Email: "staff@example.org", Name: "Campaign Staff", Topics: []string{"moi", "unions"}, Line: 21},
			{Email: "lawyer@example.org", Line: 24},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("digest\n got: %+v\nwant: %+v", d, want)
	}
	wantSMTP := &SMTP{Host: "smtp.example.org", Port: 465, TLS: TLSImplicit, Username: "digest",
		PasswordEnv: "CIVICWATCH_SMTP_PASSWORD", Timeout: DefaultSMTPTimeout, Line: 26}
	if !reflect.DeepEqual(s, wantSMTP) {
		t.Errorf("smtp\n got: %+v\nwant: %+v", s, wantSMTP)
	}
}

// base is a valid file up to the digest section: a digest body starts on line 8.
const base = "feeds:\n  - id: a\n    url: https://a.example/feed\ntopics:\n  - id: unions\n    rule: union\ndigest:\n"

func TestDigestDefaults(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		delivery string
		port     int
	}{
		{"file without an smtp section", base + "  recipients: [{email: a@example.org}]\n  from: d@example.org\n", DeliveryFile, 0},
		{"smtp when there is one", base + "  from: d@example.org\nsmtp:\n  host: localhost\n", DeliverySMTP, 587},
		{"implicit tls on 465", base + "  from: d@example.org\nsmtp:\n  host: mail.example.org\n  tls: tls\n", DeliverySMTP, 465},
		{"file even with smtp, when asked", base + "  delivery: file\nsmtp:\n  host: localhost\n  port: 2525\n  tls: none\n", DeliveryFile, 2525},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.doc), "t.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Digest
			if d.Schedule != DefaultSchedule || d.Timezone != "UTC" || d.Location != time.UTC || !d.SendEmpty ||
				d.Dir != DefaultDir || d.Subject != "" || d.MaxAge != DefaultMaxAge || d.Delivery != tt.delivery {
				t.Errorf("defaults: %+v", d)
			}
			if tt.port != 0 && (cfg.SMTP == nil || cfg.SMTP.Port != tt.port) {
				t.Errorf("smtp %+v, want port %d", cfg.SMTP, tt.port)
			}
			if next := d.Cron.Next(time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)); next != time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC) {
				t.Errorf("default schedule fires at %v", next)
			}
		})
	}
	t.Run("no digest section", func(t *testing.T) {
		cfg := mustParseFile(t, "testdata/minimal.yaml", nil)
		if cfg.Digest != nil || cfg.SMTP != nil {
			t.Errorf("digest %+v, smtp %+v; want none", cfg.Digest, cfg.SMTP)
		}
	})
}

func TestDigestMistakes(t *testing.T) {
	tests := []struct {
		name      string
		body      string // after base; line 8 is its first line
		line, col int
		field     string
		msg       string
	}{
		{"schedule with four fields", "  schedule: \"0 7 * *\"\n", 8, 13, "digest.schedule", "invalid schedule"},
		{"schedule every hour", "  schedule: \"@every 1h\"\n", 8, 13, "digest.schedule", "is not a time of day"},
		{"schedule twice a day", "  schedule: \"0 7,19 * * *\"\n", 8, 13, "digest.schedule", "more than once a day"},
		{"schedule every minute", "  schedule: \"* 7 * * *\"\n", 8, 13, "digest.schedule", "more than once a day"},
		{"schedule with its own zone", "  schedule: \"CRON_TZ=UTC 0 7 * * *\"\n", 8, 13, "digest.schedule", "digest.timezone"},
		{"schedule that never fires", "  schedule: \"0 7 30 2 *\"\n", 8, 13, "digest.schedule", "never fires"},
		{"unknown zone", "  timezone: Mars/Olympus\n", 8, 13, "digest.timezone", `unknown time zone "Mars/Olympus"`},
		{"machine's zone", "  timezone: Local\n", 8, 13, "digest.timezone", "IANA time zone"},
		{"send_empty not a bool", "  send_empty: sometimes\n", 8, 15, "digest.send_empty", "expected true or false"},
		{"unknown delivery", "  delivery: fax\n", 8, 13, "digest.delivery", `unknown delivery "fax"`},
		{"smtp delivery without smtp", "  delivery: smtp\n", 8, 13, "digest.delivery", "needs an smtp: section"},
		{"blank dir", "  dir: \"\"\n", 8, 8, "digest.dir", "must name a directory"},
		{"no sender", "  recipients:\n    - email: a@example.org\n", 8, 3, "digest.from", "missing: digests need a sender"},
		{"bad sender", "  from: civicwatch\n", 8, 9, "digest.from", "invalid sender address"},
		{"bad subject", "  subject: \"{{.Total\"\n", 8, 12, "digest.subject", "invalid subject template"},
		{"max_age too short", "  max_age: 30m\n", 8, 12, "digest.max_age", "must be at least 1h"},
		{"max_age unreadable", "  max_age: a week\n", 8, 12, "digest.max_age", `invalid duration "a week"`},
		{"unknown key", "  sendempty: true\n", 8, 3, "digest.sendempty", `unknown key "sendempty"`},
		{"recipient without email", "  from: d@example.org\n  recipients:\n    - name: Staff\n", 10, 7, "digest.recipients[0].email", "missing"},
		{"bad recipient", "  from: d@example.org\n  recipients:\n    - email: staff@\n", 10, 14, "digest.recipients[0].email", "invalid address"},
		{"recipient with a display name", "  from: d@example.org\n  recipients:\n    - email: Staff <staff@example.org>\n", 10, 14,
			"digest.recipients[0].email", `write the bare address "staff@example.org"`},
		{"recipient twice", "  from: d@example.org\n  recipients:\n    - email: staff@example.org\n    - email: Staff@Example.org\n", 11, 14,
			"digest.recipients[1].email", "duplicate recipient \"Staff@Example.org\" (first listed at line 10)"},
		{"unknown topic", "  from: d@example.org\n  recipients:\n    - email: staff@example.org\n      topics: [unions, strikes]\n", 11, 24,
			"digest.recipients[0].topics[1]", `unknown topic "strikes" (configured topics: unions)`},
		{"name on two lines", "  from: d@example.org\n  recipients:\n    - email: staff@example.org\n      name: \"Staff\\nBcc: x@example.org\"\n", 11, 13,
			"digest.recipients[0].name", "one line"},
		{"recipients not a list", "  recipients: staff@example.org\n", 8, 15, "digest.recipients", "expected a list"},
		{"smtp without host", "  from: d@example.org\nsmtp:\n  port: 25\n", 10, 3, "smtp.host", "missing"},
		{"smtp tls unknown", "  from: d@example.org\nsmtp:\n  host: localhost\n  tls: ssl\n", 11, 8, "smtp.tls", `unknown tls mode "ssl"`},
		{"smtp port out of range", "  from: d@example.org\nsmtp:\n  host: localhost\n  port: 70000\n", 11, 9, "smtp.port", "between 1 and 65535"},
		{"username without password", "  from: d@example.org\nsmtp:\n  host: localhost\n  username: digest\n", 10, 3, "smtp.password_env", "name the environment variable"},
		{"password without username", "  from: d@example.org\nsmtp:\n  host: localhost\n  password_env: PW\n", 10, 3, "smtp.username", "missing"},
		{"password in clear to another host", "  from: d@example.org\nsmtp:\n  host: mail.example.org\n  tls: none\n  username: u\n  password_env: PW\n",
			11, 8, "smtp.tls", "unencrypted"},
		{"unknown smtp key", "  from: d@example.org\nsmtp:\n  host: localhost\n  password: hunter2\n", 11, 3, "smtp.password", `unknown key "password"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(base+tt.body), "t.yaml", nil)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", cfg.Digest)
			}
			probs := problemsOf(t, err)
			if len(probs) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(probs), err)
			}
			p := probs[0]
			if p.Line != tt.line || p.Column != tt.col || p.Field != tt.field || !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("got  %d:%d %q %q\nwant %d:%d %q containing %q", p.Line, p.Column, p.Field, p.Msg, tt.line, tt.col, tt.field, tt.msg)
			}
		})
	}
}

func TestDigestMistakesAllReported(t *testing.T) {
	_, err := parseFile(t, "testdata/digest_mistakes.yaml", nil)
	probs := problemsOf(t, err)
	want := []struct {
		line  int
		field string
	}{
		{8, "digest.schedule"},
		{9, "digest.timezone"},
		{10, "digest.from"},
		{13, "digest.recipients[0].topics[1]"},
		{14, "digest.recipients[1].email"},
		{17, "smtp.tls"},
	}
	if len(probs) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(want), err)
	}
	for i, w := range want {
		if probs[i].Line != w.line || probs[i].Field != w.field {
			t.Errorf("problem %d = %+v, want line %d, field %s", i, probs[i], w.line, w.field)
		}
	}
}

// A password pasted (or expanded from ${...}) into password_env must not be
// echoed by check, which people paste into tickets.
func TestPasswordEnvDoesNotEchoThePassword(t *testing.T) {
	doc := base + "  from: d@example.org\nsmtp:\n  host: localhost\n  username: u\n  password_env: ${SECRET}\n"
	_, err := Parse([]byte(doc), "t.yaml", env(map[string]string{"SECRET": "hunter2 and more"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "not the password itself") {
		t.Errorf("Parse = %v", err)
	}
}

func TestSMTPPassword(t *testing.T) {
	s := &SMTP{Host: "mail.example.org", Username: "digest", PasswordEnv: "CW_PW"}
	if pw, err := s.Password(env(map[string]string{"CW_PW": "s3cret"})); err != nil || pw != "s3cret" {
		t.Errorf("Password = %q, %v", pw, err)
	}
	for _, vars := range []map[string]string{nil, {"CW_PW": ""}} {
		_, err := s.Password(env(vars))
		if err == nil || !strings.Contains(err.Error(), "CW_PW is not set") {
			t.Errorf("Password with %v = %v, want an error naming CW_PW", vars, err)
		}
	}
	if pw, err := (&SMTP{Host: "localhost"}).Password(env(nil)); err != nil || pw != "" {
		t.Errorf("no AUTH: Password = %q, %v", pw, err)
	}
}

// TestShippedDigestExample keeps the commented-out digest example at the end
// of the shipped feeds.yaml valid: uncommented, the file must load.
func TestShippedDigestExample(t *testing.T) {
	data, err := os.ReadFile("../../feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "\n# digest:\n")
	if i < 0 {
		t.Fatal("feeds.yaml has no commented-out digest example")
	}
	var b strings.Builder
	b.WriteString(text[:i+1])
	for _, line := range strings.Split(text[i+1:], "\n") {
		b.WriteString(strings.TrimPrefix(line, "# ") + "\n")
	}
	cfg, err := Parse([]byte(b.String()), "feeds.yaml (example uncommented)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Digest == nil || len(cfg.Digest.Recipients) == 0 || cfg.SMTP == nil || cfg.Digest.Delivery != DeliverySMTP {
		t.Errorf("example: digest %+v, smtp %+v", cfg.Digest, cfg.SMTP)
	}
	// The alerts example after it, every channel kind.
	if len(cfg.Alerts) != 1 || len(cfg.Alerts[0].Channels) != 6 || cfg.Alerts[0].Rules == nil {
		t.Errorf("example: alerts %+v", cfg.Alerts)
	}
}

// TestDisplayZone: display.timezone, else the digest's zone, else UTC.
func TestDisplayZone(t *testing.T) {
	for _, c := range []struct{ yaml, want, problem string }{
		{"", "UTC", ""},
		{"digest:\n  timezone: Asia/Phnom_Penh\n", "Asia/Phnom_Penh", ""},
		{"digest:\n  timezone: Asia/Phnom_Penh\ndisplay:\n  timezone: Europe/Amsterdam\n", "Europe/Amsterdam", ""},
		{"display:\n  timezone: Asia/Bangkok\n", "Asia/Bangkok", ""},
		{"display:\n  timezone: Mars/Olympus\n", "", "display.timezone: unknown time zone"},
	} {
		cfg, err := Parse([]byte("feeds:\n  - id: a\n    url: https://a.example/feed\n"+c.yaml), "f.yaml", nil)
		switch {
		case c.problem != "":
			if err == nil || !strings.Contains(err.Error(), c.problem) {
				t.Errorf("%q: err %v, want %q", c.yaml, err, c.problem)
			}
		case err != nil:
			t.Errorf("%q: %v", c.yaml, err)
		case cfg.Display.Location.String() != c.want || cfg.Display.Timezone != c.want:
			t.Errorf("%q: display zone %s (%s), want %s", c.yaml, cfg.Display.Location, cfg.Display.Timezone, c.want)
		}
	}
}
