package config

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		err  bool
	}{
		{in: "1048576", want: 1 << 20},
		{in: "0", want: 0},
		{in: "100B", want: 100},
		{in: "512KiB", want: 512 << 10},
		{in: "10MiB", want: 10 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "2TiB", want: 2 << 40},
		{in: "500KB", want: 500_000},
		{in: "2MB", want: 2_000_000},
		{in: "3GB", want: 3_000_000_000},
		{in: "10 MiB", want: 10 << 20},
		{in: "10mib", want: 10 << 20},
		{in: " 1kb ", want: 1000},
		{in: "1.5MiB", want: 3 << 19},
		{in: "-1MiB", want: -1 << 20},
		{in: "", err: true},
		{in: "MiB", err: true},
		{in: "10 parsecs", err: true},
		{in: "10M", err: true},
		{in: "1.5", err: true},
		{in: "1e3", err: true},
		{in: "1.2.3MiB", err: true},
		{in: "abc", err: true},
		{in: "9999999TiB", err: true},
		{in: "99999999999999999999", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0"},
		{1023, "1023"},
		{10 << 20, "10MiB"},
		{512 << 10, "512KiB"},
		{500_000, "500KB"},
		{1_000_000_000_000, "1TB"},
		{-1 << 20, "-1MiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if back, err := parseSize(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in.String(), back, err, int64(tt.in))
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "15m", want: 15 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "0s", want: 0},
		{in: "-5s", want: -5 * time.Second},
		{in: " 10m ", want: 10 * time.Minute},
		{in: "1d", want: 24 * time.Hour},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "-1d", want: -24 * time.Hour},
		{in: "", err: true},
		{in: "30", err: true},
		{in: "10 minutes", err: true},
		{in: "soon", err: true},
		{in: "d", err: true},
		{in: "1.5d", err: true},
		{in: "1h2d", err: true},
		{in: "1d-5m", err: true},
		{in: "+-5m", err: true},
		{in: "--5m", err: true},
		{in: "99999999d", err: true},
		{in: "106751d24h", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Minute, "30m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Second, "45s"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{500 * time.Millisecond, "500ms"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseDuration(tt.want); err != nil || back != tt.in {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.want, back, err, tt.in)
		}
	}
	if got := Duration(time.Minute).D(); got != time.Minute {
		t.Errorf("D() = %v", got)
	}
}

// TestUnitsYAML checks that the types work with plain yaml.v3 too, in both
// directions, and that a bad value is a *yaml.TypeError that lets decoding
// continue to the next field.
func TestUnitsYAML(t *testing.T) {
	type doc struct {
		D Duration `yaml:"d"`
		S Size     `yaml:"s"`
		N int      `yaml:"count"`
	}
	in := doc{D: Duration(90 * time.Minute), S: 10 << 20, N: 1}
	out, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := "d: 1h30m\ns: 10MiB\ncount: 1\n"; string(out) != want {
		t.Errorf("Marshal = %q, want %q", out, want)
	}
	var back doc
	if err := yaml.Unmarshal(out, &back); err != nil || back != in {
		t.Errorf("Unmarshal(%q) = %+v, %v", out, back, err)
	}

	var bad doc
	err = yaml.Unmarshal([]byte("d: soon\ns: huge\ncount: 7\n"), &bad)
	if _, ok := err.(*yaml.TypeError); !ok || bad.N != 7 {
		t.Fatalf("Unmarshal = %+v, %v (%T); want a *yaml.TypeError and count decoded", bad, err, err)
	}
	for _, want := range []string{"line 1: column 4: invalid duration", "line 2: column 4: invalid size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
