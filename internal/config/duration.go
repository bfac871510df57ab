package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as "30s", "15m", "1h30m", or
// with whole days in front: "1d", "7d", "1d12h".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d the way a person would write it in the file: "30m", not
// time's "30m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// UnmarshalYAML parses a duration scalar. A bad value is returned as a
// *yaml.TypeError carrying its position, so decoding goes on and the rest of
// the file is still checked.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a duration such as 30m")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

const day = 24 * time.Hour

// ParseDuration extends time.ParseDuration with a leading whole number of
// days ("7d", "1d12h"), the natural unit for slow feeds and digests.
func ParseDuration(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	rest, neg := strings.CutPrefix(text, "-")
	if !neg {
		rest = strings.TrimPrefix(rest, "+")
	}
	days, rest, err := cutDays(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: %w", s, err)
	}
	var d time.Duration
	if rest != "" || days == 0 {
		if d, err = time.ParseDuration(rest); err != nil || d < 0 {
			return 0, fmt.Errorf("invalid duration %q: use a number with a unit, e.g. 30s, 15m, 1h30m, 7d", s)
		}
	}
	if days > (math.MaxInt64-d)/day {
		return 0, fmt.Errorf("invalid duration %q: too long", s)
	}
	d += days * day
	if neg {
		d = -d
	}
	return d, nil
}

// cutDays splits "7d12h" into 7 days and "12h". Input without a "d" unit is
// returned unchanged.
func cutDays(s string) (time.Duration, string, error) {
	num, rest, found := strings.Cut(s, "d")
	if !found || strings.Trim(num, "0123456789") != "" {
		// Not a day count ("thirty seconds" has a d too): leave it to
		// time.ParseDuration, whose failure gets the general message.
		return 0, s, nil
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(num, "+") {
		return 0, "", errors.New("days must be a whole number, as in 7d")
	}
	if n > math.MaxInt64/int64(day) {
		return 0, "", errors.New("too long")
	}
	return time.Duration(n), rest, nil
}
