package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Size is a byte count written in YAML as plain bytes ("1048576") or with a
// unit: binary KiB, MiB, GiB, TiB (powers of 1024) or decimal KB, MB, GB, TB
// (powers of 1000). Units are case-insensitive; "1.5MiB" is allowed.
type Size int64

// sizeUnits maps lower-cased units to their multiplier.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// String formats s with the largest unit that divides it exactly, so that
// "10MiB" prints as written and odd sizes stay exact.
func (s Size) String() string {
	names := []string{"KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"}
	best, bestName := int64(1), ""
	for _, name := range names {
		u := sizeUnits[strings.ToLower(name)]
		if s != 0 && int64(s)%u == 0 && u > best {
			best, bestName = u, name
		}
	}
	return strconv.FormatInt(int64(s)/best, 10) + bestName
}

// UnmarshalYAML parses a size scalar. Like Duration's, its errors let the
// decoder carry on with the rest of the file.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a size such as 10MiB")
	}
	v, err := parseSize(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*s = v
	return nil
}

// MarshalYAML writes s in the form UnmarshalYAML reads.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// parseSize reads a number followed by an optional unit. Negative numbers
// parse so that validation can say "must be positive" rather than a vaguer
// "invalid size".
func parseSize(s string) (Size, error) {
	text := strings.TrimSpace(s)
	split := strings.IndexFunc(text, func(r rune) bool {
		return !strings.ContainsRune("+-.0123456789", r)
	})
	if split < 0 {
		split = len(text)
	}
	num, unit := text[:split], strings.TrimSpace(text[split:])
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok || num == "" {
		return 0, fmt.Errorf("invalid size %q: use bytes or a unit, e.g. 512KiB, 10MiB, 2MB", s)
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/mult || n < math.MinInt64/mult {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return Size(n * mult), nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %q is not a number", s, num)
	}
	if mult == 1 {
		return 0, fmt.Errorf("invalid size %q: bytes must be a whole number", s)
	}
	v := math.Round(f * float64(mult))
	if math.Abs(v) >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return Size(v), nil
}
