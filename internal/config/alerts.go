package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/match"
)

// Defaults of an alert.
const (
	DefaultCooldown    = Duration(15 * time.Minute)
	DefaultAlertMaxAge = Duration(day)
	DefaultNtfyPri     = "high"
	DefaultTelegramAPI = "https://api.telegram.org"
)

// Channel kinds: the key that names each channel in the file.
const (
	ChannelWebhook  = "webhook"
	ChannelNtfy     = "ntfy"
	ChannelEmail    = "email"
	ChannelSlack    = "slack"
	ChannelTelegram = "telegram"
	ChannelMatrix   = "matrix"
)

// Alert pushes the stories of some topics within minutes, over channels.
type Alert struct {
	ID     string
	Topics []string // topic ids, as written, without repeats
	Rule   string   // a stricter rule the stories must also match; "" for none
	// Rules is Rule compiled over the lists as a topic named after the
	// alert; nil without a rule.
	Rules     *match.Rules
	Channels  []Channel
	Cooldown  Duration // at most one message per channel within it; later stories wait and go together
	MaxPerDay int      // messages per channel in any 24 hours; 0: no limit
	// MaxAge keeps old news out: a story published longer than this
	// before it matched (a new feed's backlog, a rematch of the archive)
	// is left to the digest.
	MaxAge Duration
	Line   int
}

// Channel is one place an alert's messages go. Kind says which fields
// count. Secrets are never here: only the names of the environment
// variables that hold them, read when a message is sent.
type Channel struct {
	Kind      string
	URL       string // webhook and ntfy: where to post; telegram: the Bot API base; matrix: the homeserver
	SecretEnv string // webhook: the HMAC key's variable, optional
	TokenEnv  string // ntfy (optional), telegram and matrix: the access token's variable
	Priority  string // ntfy
	Email     string // email: one address (a list in the file becomes one channel per address)
	SlackEnv  string // slack: the variable holding the incoming-webhook URL, itself a secret
	Chat      string // telegram: chat id or @channel
	Room      string // matrix: room id (!abc:example.org)
	Line      int
}

// Key names the channel in the ledger, logs and the console. It is stable
// across restarts and never holds a secret: URLs lose their user info,
// query and fragment, where tokens tend to hide.
func (c Channel) Key() string {
	switch c.Kind {
	case ChannelWebhook, ChannelNtfy:
		return c.Kind + " " + RedactURL(c.URL)
	case ChannelEmail:
		return c.Kind + " " + strings.ToLower(c.Email)
	case ChannelSlack:
		return c.Kind + " $" + c.SlackEnv
	case ChannelTelegram:
		return c.Kind + " " + c.Chat
	case ChannelMatrix:
		return c.Kind + " " + c.Room + " on " + RedactURL(c.URL)
	}
	return c.Kind
}

// RedactURL drops the parts of a URL that may carry credentials.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return u.String()
}

// Secret reads the environment variable name (with lookup; nil means
// os.LookupEnv). A missing or empty variable is an error naming it, never
// showing a value.
func Secret(name, what string, lookup func(string) (string, bool)) (string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(name)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s is not set: it must hold %s", name, what)
	}
	return v, nil
}

// rawAlert is one alerts[] item as decoded.
type rawAlert struct {
	ID        string       `yaml:"id"`
	Topics    []string     `yaml:"topics"`
	Rule      ruleValue    `yaml:"rule"`
	Channels  []rawChannel `yaml:"channels"`
	Cooldown  *Duration    `yaml:"cooldown"`
	MaxPerDay *int         `yaml:"max_per_day"`
	MaxAge    *Duration    `yaml:"max_age"`
}

// rawChannel is one channels[] item: exactly one of the kind keys, with the
// options of that kind beside it.
type rawChannel struct {
	Webhook   *string      `yaml:"webhook"`
	SecretEnv *string      `yaml:"secret_env"`
	Ntfy      *string      `yaml:"ntfy"`
	Priority  *string      `yaml:"priority"`
	TokenEnv  *string      `yaml:"token_env"`
	Email     []string     `yaml:"email"`
	SlackEnv  *string      `yaml:"slack_env"`
	Telegram  *rawTelegram `yaml:"telegram"`
	Matrix    *rawMatrix   `yaml:"matrix"`
}

type rawTelegram struct {
	TokenEnv string `yaml:"token_env"`
	Chat     string `yaml:"chat"`
	API      string `yaml:"api"`
}

type rawMatrix struct {
	Homeserver string `yaml:"homeserver"`
	Room       string `yaml:"room"`
	TokenEnv   string `yaml:"token_env"`
}

// resolveAlerts checks the alerts section. It runs after the topics and
// digest, which alerts name and whose sender email channels share.
func resolveAlerts(raws []rawAlert, topics []Topic, lists match.Lists, dg *Digest, src [][]rune, p *problems) []Alert {
	known := make([]string, len(topics))
	for i, t := range topics {
		known[i] = t.ID
	}
	firstLine := map[string]int{}
	var out []Alert
	for i, r := range raws {
		field := fmt.Sprintf("alerts[%d]", i)
		a := Alert{
			ID:        r.ID,
			Rule:      r.Rule.Text,
			Cooldown:  setting(p, field+".cooldown", r.Cooldown, DefaultCooldown),
			MaxPerDay: setting(p, field+".max_per_day", r.MaxPerDay, 0),
			MaxAge:    setting(p, field+".max_age", r.MaxAge, DefaultAlertMaxAge),
			Line:      p.where(field).line,
		}
		if err := checkTopicID(a.ID); err != nil {
			p.add(field+".id", "%s", strings.Replace(err.Error(), "every topic", "every alert", 1))
		} else if line, dup := firstLine[a.ID]; dup {
			p.add(field+".id", "duplicate id %q (first used at line %d)", a.ID, line)
		} else {
			firstLine[a.ID] = p.where(field + ".id").line
		}
		if len(r.Topics) == 0 {
			p.add(field+".topics", "missing: name the topics the alert watches, e.g. [unions, moi]")
		}
		a.Topics = resolveRecipientTopics(r.Topics, known, field+".topics", p)
		if strings.TrimSpace(a.Rule) != "" {
			a.Rules = compileAlertRule(a.ID, r.Rule, lists, field+".rule", src, p)
		}
		if r.Cooldown != nil && a.Cooldown < 0 {
			p.add(field+".cooldown", "must not be negative, got %s", a.Cooldown)
		}
		if r.MaxPerDay != nil {
			checkRange(p, field+".max_per_day", a.MaxPerDay, 1, 10000)
		}
		checkDuration(p, field+".max_age", a.MaxAge, time.Minute)
		if len(r.Channels) == 0 {
			p.add(field+".channels", "missing: give at least one channel (webhook, ntfy, email, slack_env, telegram, matrix)")
		}
		for j, rc := range r.Channels {
			a.Channels = append(a.Channels, resolveChannel(rc, fmt.Sprintf("%s.channels[%d]", field, j), dg, p)...)
		}
		checkDistinctChannels(a.Channels, field+".channels", p)
		out = append(out, a)
	}
	return out
}

// compileAlertRule compiles an alert's rule as a topic of its own, placing
// any error at its column in the file.
func compileAlertRule(id string, rule ruleValue, lists match.Lists, field string, src [][]rune, p *problems) *match.Rules {
	rules, err := match.Compile([]match.Topic{{ID: id, Name: id, Rule: rule.Text}}, lists)
	if err == nil {
		return rules
	}
	var errs match.Errors
	if !errors.As(err, &errs) {
		p.add(field, "%v", err)
		return nil
	}
	for _, e := range errs {
		if e.Topic < 0 {
			continue // a list's problem, reported under lists already
		}
		at, _, msg := ruleProblem(e, rule, src)
		p.addAt(at, field, msg)
	}
	return nil
}

// kinds lists the kind keys a channel item carries.
func (rc rawChannel) kinds() []string {
	var k []string
	if rc.Webhook != nil {
		k = append(k, "webhook")
	}
	if rc.Ntfy != nil {
		k = append(k, "ntfy")
	}
	if rc.Email != nil {
		k = append(k, "email")
	}
	if rc.SlackEnv != nil {
		k = append(k, "slack_env")
	}
	if rc.Telegram != nil {
		k = append(k, "telegram")
	}
	if rc.Matrix != nil {
		k = append(k, "matrix")
	}
	return k
}

// resolveChannel checks one channels[] item. An email item listing several
// addresses becomes one channel per address, so that each address has its
// own ledger rows and one refusal does not resend to the others.
func resolveChannel(rc rawChannel, field string, dg *Digest, p *problems) []Channel {
	kinds := rc.kinds()
	if len(kinds) != 1 {
		if len(kinds) == 0 {
			p.add(field, "name the channel with one of webhook, ntfy, email, slack_env, telegram, matrix")
		} else {
			p.add(field, "one channel per list item: found %s together", strings.Join(kinds, " and "))
		}
		return nil
	}
	line := p.where(field).line
	onlyWith := func(key string, v *string, kind string) {
		if v != nil && kinds[0] != kind {
			p.add(field+"."+key, "%s belongs to a %s channel, not to %s", key, kind, kinds[0])
		}
	}
	onlyWith("secret_env", rc.SecretEnv, "webhook")
	onlyWith("priority", rc.Priority, "ntfy")
	onlyWith("token_env", rc.TokenEnv, "ntfy")
	switch kinds[0] {
	case "webhook":
		c := Channel{Kind: ChannelWebhook, URL: strings.TrimSpace(*rc.Webhook), SecretEnv: deref(rc.SecretEnv), Line: line}
		checkChannelURL(p, field+".webhook", c.URL)
		if rc.SecretEnv != nil {
			checkEnvName(p, field+".secret_env", c.SecretEnv, "the signing secret")
		}
		return []Channel{c}
	case "ntfy":
		c := Channel{Kind: ChannelNtfy, URL: strings.TrimSpace(*rc.Ntfy), Priority: cmp.Or(deref(rc.Priority), DefaultNtfyPri),
			TokenEnv: deref(rc.TokenEnv), Line: line}
		checkChannelURL(p, field+".ntfy", c.URL)
		if u, err := url.Parse(c.URL); err == nil && strings.Trim(u.Path, "/") == "" {
			p.add(field+".ntfy", "name the topic in the URL, e.g. https://ntfy.sh/cambodia-unions")
		}
		if !slices.Contains([]string{"min", "low", "default", "high", "urgent", "max", "1", "2", "3", "4", "5"}, c.Priority) {
			p.add(field+".priority", "unknown ntfy priority %q: want min, low, default, high or urgent (1 to 5)", c.Priority)
		}
		if rc.TokenEnv != nil {
			checkEnvName(p, field+".token_env", c.TokenEnv, "the access token")
		}
		return []Channel{c}
	case "email":
		return resolveEmailChannel(rc.Email, field+".email", line, dg, p)
	case "slack_env":
		c := Channel{Kind: ChannelSlack, SlackEnv: *rc.SlackEnv, Line: line}
		checkEnvName(p, field+".slack_env", c.SlackEnv, "the incoming-webhook URL")
		return []Channel{c}
	case "telegram":
		t := rc.Telegram
		c := Channel{Kind: ChannelTelegram, TokenEnv: t.TokenEnv, Chat: strings.TrimSpace(t.Chat),
			URL: strings.TrimRight(cmp.Or(strings.TrimSpace(t.API), DefaultTelegramAPI), "/"), Line: line}
		checkEnvName(p, field+".telegram.token_env", c.TokenEnv, "the bot token")
		if c.Chat == "" {
			p.add(field+".telegram.chat", "missing: the chat id (e.g. \"-1001234567890\") or @channel name")
		}
		checkChannelURL(p, field+".telegram.api", c.URL)
		return []Channel{c}
	case "matrix":
		m := rc.Matrix
		c := Channel{Kind: ChannelMatrix, URL: strings.TrimRight(strings.TrimSpace(m.Homeserver), "/"), Room: strings.TrimSpace(m.Room),
			TokenEnv: m.TokenEnv, Line: line}
		checkChannelURL(p, field+".matrix.homeserver", c.URL)
		if !strings.HasPrefix(c.Room, "!") || !strings.Contains(c.Room, ":") {
			p.add(field+".matrix.room", "want a room id such as \"!abc:example.org\" (Room settings, Advanced), got %q", c.Room)
		}
		checkEnvName(p, field+".matrix.token_env", c.TokenEnv, "the access token")
		return []Channel{c}
	}
	return nil
}

func resolveEmailChannel(addrs []string, field string, line int, dg *Digest, p *problems) []Channel {
	if len(addrs) == 0 {
		p.add(field, "missing: list the addresses, e.g. [staff@example.org]")
	}
	if dg == nil || dg.From == "" {
		p.add(field, "email alerts go out like the digest: add a digest: section with from: (and smtp: to send by mail)")
	}
	var out []Channel
	for i, a := range addrs {
		a = strings.TrimSpace(a)
		if err := checkRecipientEmail(a); err != nil {
			p.add(fmt.Sprintf("%s[%d]", field, i), "%v", err)
			continue
		}
		out = append(out, Channel{Kind: ChannelEmail, Email: a, Line: line})
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

func checkChannelURL(p *problems, field, raw string) {
	if raw == "" {
		p.add(field, "missing: give the http:// or https:// URL")
		return
	}
	if err := checkURL(raw); err != nil {
		p.add(field, "%v", strings.TrimPrefix(err.Error(), "missing: every feed needs a url"))
	}
}

// checkEnvName wants the name of a variable. The value is not echoed: it
// may well be the secret itself, pasted in or expanded from ${...}.
func checkEnvName(p *problems, field, name, what string) {
	switch {
	case name == "":
		p.add(field, "missing: name the environment variable that holds %s, e.g. CIVICWATCH_HOOK_SECRET", what)
	case !validEnvName(name):
		p.add(field, "must be the name of an environment variable (letters, digits and underscores), not %s itself", what)
	}
}

// checkDistinctChannels refuses the same channel twice in one alert: its
// stories would be pushed twice.
func checkDistinctChannels(chs []Channel, field string, p *problems) {
	first := map[string]int{}
	for _, c := range chs {
		k := c.Key()
		if line, dup := first[k]; dup {
			p.add(field, "%s is listed twice (first at line %d)", k, line)
			continue
		}
		first[k] = c.Line
	}
}
