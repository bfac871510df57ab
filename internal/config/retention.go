package config

import "time"

// minRetention is the shortest story retention accepted. The digest, the
// console's default views and `rematch` after a rule change all read the
// last month; keeping less than that would delete stories before anyone
// could have found them with a fixed rule.
const minRetention = 30 * 24 * time.Hour

// Retention says how long stored stories are kept.
type Retention struct {
	// Stories is how long an unmatched story is kept after it was first
	// seen; 0 keeps every story. Matched and labelled stories are kept
	// whatever its value.
	Stories Duration
}

// rawRetention is the retention section as decoded.
type rawRetention struct {
	Stories *Duration `yaml:"stories"`
}

func (r rawRetention) resolve(p *problems) Retention {
	ret := Retention{Stories: setting(p, "retention.stories", r.Stories, 0)}
	switch {
	case ret.Stories < 0:
		p.add("retention.stories", "must be 0 (keep every story) or a duration such as 365d, got %s", ret.Stories)
	case ret.Stories > 0 && ret.Stories.D() < minRetention:
		p.add("retention.stories", "must be 0 (keep every story) or at least %d days, got %s", int(minRetention/(24*time.Hour)), ret.Stories)
	}
	return ret
}
