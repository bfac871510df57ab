package config

import "time"

// Display is how times are shown. One zone serves the CLI, the console and
// the digest, so that a story listed under a day in one is listed under the
// same day in the others.
type Display struct {
	Timezone string         // IANA zone name
	Location *time.Location // Timezone loaded
}

type rawDisplay struct {
	Timezone *string `yaml:"timezone"`
}

// resolveDisplay defaults the zone to the digest's, the zone its readers
// live in, and to UTC without a digest.
func resolveDisplay(r *rawDisplay, digest *Digest, p *problems) Display {
	d := Display{Timezone: DefaultTimezone, Location: time.UTC}
	if digest != nil && digest.Location != nil {
		d.Timezone, d.Location = digest.Timezone, digest.Location
	}
	if r == nil || r.Timezone == nil {
		return d
	}
	d.Timezone = *r.Timezone
	d.Location = checkTimezone(p, "display.timezone", d.Timezone)
	return d
}
