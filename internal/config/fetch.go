package config

import "time"

// Defaults for the fetch section, used when a key is absent.
const (
	DefaultInterval    = Duration(30 * time.Minute)
	DefaultTimeout     = Duration(30 * time.Second)
	DefaultMaxBody     = Size(10 << 20)
	DefaultConcurrency = 8
	DefaultPerHost     = 2
)

// minInterval is the shortest poll interval accepted. Anything under a
// minute is already odd for a news feed, but only sub-second intervals are
// surely a typo ("30" meant as minutes, "1ms") that would hammer a server.
const minInterval = time.Second

// maxWorkers bounds concurrency and per_host: more is a typo, not a plan.
const maxWorkers = 256

// Fetch holds how feeds are fetched.
type Fetch struct {
	Interval             Duration // default per-feed poll interval
	Timeout              Duration // whole request, including reading the body
	MaxBody              Size     // body limit after decompression
	Concurrency          int      // feeds fetched at once
	PerHost              int      // fetches at once per host
	AllowPrivateNetworks bool     // allow feeds on loopback and private addresses
}

// rawFetch is the fetch section as decoded; nil means the key was absent,
// which is different from an explicit (and invalid) zero.
type rawFetch struct {
	Interval             *Duration `yaml:"interval"`
	Timeout              *Duration `yaml:"timeout"`
	MaxBody              *Size     `yaml:"max_body"`
	Concurrency          *int      `yaml:"concurrency"`
	PerHost              *int      `yaml:"per_host"`
	AllowPrivateNetworks *bool     `yaml:"allow_private_networks"`
}

func (r rawFetch) resolve(p *problems) Fetch {
	f := Fetch{
		Interval:             setting(p, "fetch.interval", r.Interval, DefaultInterval),
		Timeout:              setting(p, "fetch.timeout", r.Timeout, DefaultTimeout),
		MaxBody:              setting(p, "fetch.max_body", r.MaxBody, DefaultMaxBody),
		Concurrency:          setting(p, "fetch.concurrency", r.Concurrency, DefaultConcurrency),
		PerHost:              setting(p, "fetch.per_host", r.PerHost, DefaultPerHost),
		AllowPrivateNetworks: setting(p, "fetch.allow_private_networks", r.AllowPrivateNetworks, false),
	}
	checkDuration(p, "fetch.interval", f.Interval, minInterval)
	checkDuration(p, "fetch.timeout", f.Timeout, 0)
	checkSize(p, "fetch.max_body", f.MaxBody)
	checkRange(p, "fetch.concurrency", f.Concurrency, 1, maxWorkers)
	checkRange(p, "fetch.per_host", f.PerHost, 1, maxWorkers)
	return f
}

// checkDuration requires d to be positive and at least min.
func checkDuration(p *problems, field string, d Duration, min time.Duration) {
	switch {
	case d <= 0:
		p.add(field, "must be positive, got %s", d)
	case d.D() < min:
		p.add(field, "must be at least %s, got %s", Duration(min), d)
	}
}

func checkSize(p *problems, field string, s Size) {
	if s <= 0 {
		p.add(field, "must be positive, got %s", s)
	}
}

func checkRange(p *problems, field string, n, lo, hi int) {
	if n < lo || n > hi {
		p.add(field, "must be between %d and %d, got %d", lo, hi, n)
	}
}
