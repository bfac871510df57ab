package config

import (
	"cmp"
	"fmt"
	"math/bits"
	"net/mail"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
)

// Defaults for the digest section, used when a key is absent.
const (
	DefaultSchedule = "0 7 * * *"
	DefaultTimezone = "UTC"
	DefaultDir      = "./digests"
	DefaultMaxAge   = Duration(7 * day)
)

// Delivery methods.
const (
	DeliveryFile = "file" // .eml and .html files under Digest.Dir
	DeliverySMTP = "smtp" // over the smtp: section's server
)

// Digest is the daily email: when it goes out, to whom, and how.
type Digest struct {
	Schedule   string         // 5-field cron expression, as written
	Cron       cron.Schedule  // Schedule parsed; fires at most once per local day
	Timezone   string         // IANA zone name
	Location   *time.Location // Timezone loaded
	SendEmpty  bool           // send a "nothing matched" digest rather than none
	Delivery   string         // DeliveryFile or DeliverySMTP
	Dir        string         // where delivery "file" writes
	From       string         // "civicwatch <digest@example.org>"
	Subject    string         // text/template over the digest; "" means the built-in subject
	MaxAge     Duration       // stories published this long before they were first seen stay out
	Recipients []Recipient
	Line       int // line of the section, for messages
}

// Recipient is one reader of the digest.
type Recipient struct {
	Email  string   // a bare address, as written
	Name   string   // for the To: header; may be empty
	Topics []string // topic ids in the order written; empty means every topic
	Line   int
}

// rawDigest is the digest section as decoded; nil pointers are absent keys.
type rawDigest struct {
	Schedule   *string        `yaml:"schedule"`
	Timezone   *string        `yaml:"timezone"`
	SendEmpty  *bool          `yaml:"send_empty"`
	Delivery   *string        `yaml:"delivery"`
	Dir        *string        `yaml:"dir"`
	From       *string        `yaml:"from"`
	Subject    *string        `yaml:"subject"`
	MaxAge     *Duration      `yaml:"max_age"`
	Recipients []rawRecipient `yaml:"recipients"`
}

type rawRecipient struct {
	Email  string   `yaml:"email"`
	Name   string   `yaml:"name"`
	Topics []string `yaml:"topics"`
}

// resolveDigest applies defaults and checks the digest section. It runs
// after the topics, which recipients name, and needs to know whether an
// smtp: section exists, which decides the default delivery. A file without
// a digest: section gets no digests (nil).
func resolveDigest(r *rawDigest, haveSMTP bool, topics []Topic, p *problems) *Digest {
	if r == nil {
		return nil
	}
	const f = "digest"
	d := &Digest{
		Schedule:  setting(p, f+".schedule", r.Schedule, DefaultSchedule),
		Timezone:  setting(p, f+".timezone", r.Timezone, DefaultTimezone),
		SendEmpty: setting(p, f+".send_empty", r.SendEmpty, true),
		Dir:       setting(p, f+".dir", r.Dir, DefaultDir),
		From:      setting(p, f+".from", r.From, ""),
		Subject:   setting(p, f+".subject", r.Subject, ""),
		MaxAge:    setting(p, f+".max_age", r.MaxAge, DefaultMaxAge),
		Line:      p.where(f).line,
	}
	d.Cron = checkSchedule(p, f+".schedule", d.Schedule)
	d.Location = checkTimezone(p, f+".timezone", d.Timezone)
	d.Delivery = resolveDelivery(p, f+".delivery", r.Delivery, haveSMTP)
	if strings.TrimSpace(d.Dir) == "" {
		p.add(f+".dir", "must name a directory")
	}
	checkSubject(p, f+".subject", d.Subject)
	checkDuration(p, f+".max_age", d.MaxAge, time.Hour)
	d.Recipients = resolveRecipients(r.Recipients, topics, p)
	if len(d.Recipients) > 0 || d.From != "" {
		checkFrom(p, f+".from", d.From)
	}
	return d
}

// checkSchedule parses a standard 5-field cron expression. The zone comes
// from digest.timezone, not from a TZ= prefix, so there is one place to
// look; and the schedule must fire once a day at most, because a digest
// covers the stories since the previous one and a period is a local date.
func checkSchedule(p *problems, field, spec string) cron.Schedule {
	if p.isBroken(field) {
		return nil
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		p.add(field, "set the time zone with digest.timezone, not in the schedule")
		return nil
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		p.add(field, "invalid schedule %q: %v (want 5 fields: minute hour day-of-month month day-of-week, e.g. %q)", spec, err, DefaultSchedule)
		return nil
	}
	spec5, ok := sched.(*cron.SpecSchedule)
	if !ok {
		p.add(field, "schedule %q is not a time of day: write 5 fields, e.g. %q", spec, DefaultSchedule)
		return nil
	}
	if bits.OnesCount64(spec5.Minute&^starBit) != 1 || bits.OnesCount64(spec5.Hour&^starBit) != 1 {
		p.add(field, "schedule %q fires more than once a day: a digest goes out at most daily, so give one minute and one hour, e.g. %q", spec, DefaultSchedule)
		return nil
	}
	if spec5.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		p.add(field, "schedule %q never fires", spec)
		return nil
	}
	return spec5
}

// starBit is how robfig/cron marks a field written as "*" in its bit set.
const starBit = 1 << 63

// checkTimezone loads an IANA zone. "Local" is refused: it would make the
// send time depend on the machine the daemon happens to run on.
func checkTimezone(p *problems, field, name string) *time.Location {
	if p.isBroken(field) {
		return time.UTC
	}
	if name == "" || name == "Local" {
		p.add(field, "name an IANA time zone such as Asia/Phnom_Penh or UTC")
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		p.add(field, "unknown time zone %q: use an IANA name such as Asia/Phnom_Penh or Europe/Amsterdam", name)
		return time.UTC
	}
	return loc
}

// resolveDelivery defaults to smtp when the file has an smtp: section and to
// files otherwise, so a fresh install can try digests without a mail server.
func resolveDelivery(p *problems, field string, v *string, haveSMTP bool) string {
	def := DeliveryFile
	if haveSMTP {
		def = DeliverySMTP
	}
	d := setting(p, field, v, def)
	switch {
	case d != DeliveryFile && d != DeliverySMTP:
		p.add(field, "unknown delivery %q: want file or smtp", d)
	case d == DeliverySMTP && !haveSMTP:
		p.add(field, "delivery smtp needs an smtp: section with the server's host")
	}
	return d
}

// checkSubject parses a subject template. Running it needs a digest, which
// happens at send time; parsing catches the typos that matter here.
func checkSubject(p *problems, field, subject string) {
	if subject == "" {
		return
	}
	if _, err := template.New("subject").Parse(subject); err != nil {
		p.add(field, "invalid subject template: %v", strings.TrimPrefix(err.Error(), "template: subject:"))
	}
}

// checkFrom requires one valid address, with or without a display name.
func checkFrom(p *problems, field, from string) {
	if strings.TrimSpace(from) == "" {
		p.add(field, "missing: digests need a sender address, e.g. \"civicwatch <digest@example.org>\"")
		return
	}
	if _, err := mail.ParseAddress(from); err != nil {
		p.add(field, "invalid sender address %q: %v", from, err)
	}
}

// resolveRecipients checks each recipient and that no address is listed
// twice (one reader would get two copies of every digest).
func resolveRecipients(raws []rawRecipient, topics []Topic, p *problems) []Recipient {
	known := make([]string, len(topics))
	for i, t := range topics {
		known[i] = t.ID
	}
	firstLine := map[string]int{} // lower-cased address → line of its first use
	var out []Recipient
	for i, r := range raws {
		field := fmt.Sprintf("digest.recipients[%d]", i)
		rc := Recipient{Email: strings.TrimSpace(r.Email), Name: r.Name, Line: p.where(field).line}
		if err := checkRecipientEmail(rc.Email); err != nil {
			p.add(field+".email", "%v", err)
		} else if line, dup := firstLine[strings.ToLower(rc.Email)]; dup {
			p.add(field+".email", "duplicate recipient %q (first listed at line %d)", rc.Email, line)
		} else {
			firstLine[strings.ToLower(rc.Email)] = p.where(field + ".email").line
		}
		if strings.ContainsFunc(rc.Name, unicode.IsControl) {
			p.add(field+".name", "name must be one line of text")
		}
		rc.Topics = resolveRecipientTopics(r.Topics, known, field+".topics", p)
		out = append(out, rc)
	}
	return out
}

// checkRecipientEmail wants a bare address: the display name has a key of
// its own, and "Name <a@b>" here is usually a paste from a mail client.
func checkRecipientEmail(email string) error {
	if email == "" {
		return fmt.Errorf("missing: every recipient needs an email address")
	}
	a, err := mail.ParseAddress(email)
	if err != nil {
		return fmt.Errorf("invalid address %q: %v", email, err)
	}
	if a.Address != email {
		return fmt.Errorf("write the bare address %q here and the name under name:", a.Address)
	}
	return nil
}

// resolveRecipientTopics checks that each topic is configured; repeats are
// dropped. None listed means every topic.
func resolveRecipientTopics(raw, known []string, field string, p *problems) []string {
	var out []string
	for i, id := range raw {
		if !slices.Contains(known, id) {
			p.add(fmt.Sprintf("%s[%d]", field, i), "unknown topic %q (configured topics: %s)", id, cmp.Or(strings.Join(known, ", "), "none"))
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
