package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that it always
// returns either a usable Config or an *Errors with at least one Problem.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, path := range append(append(paths, bad...), "../../feeds.yaml") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"feeds: [{id: a, url: 'http://a', tags: [${X}]}]",
		"feeds:\n  - &f {id: a, url: 'http://a'}\n  - *f\n",
		"feeds:\n  - &f {id: a, url: 'http://a'}\n  - <<: *f\n    id: b\n",
		"fetch: {interval: 1d, max_body: 1.5GiB}\nfeeds: [{id: a, url: 'https://a/${SET_URL}'}]",
		"? [a]\n: b\n",
		"!!binary fetch: x",
	} {
		f.Add([]byte(s))
	}
	lookup := func(name string) (string, bool) {
		if strings.HasPrefix(name, "SET") {
			return "1", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml", lookup)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(errs.Problems) == 0 || cfg != nil {
				t.Fatalf("Parse = %v, %v (%T)", cfg, err, err)
			}
			return
		}
		if cfg == nil || len(cfg.Feeds) == 0 {
			t.Fatalf("Parse = %+v with no error", cfg)
		}
	})
}
