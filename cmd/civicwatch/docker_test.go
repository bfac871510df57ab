package main

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerignore is a .dockerignore as Docker reads it: patterns anchored at
// the context's root, * and ? within a path segment, ** across segments, a
// pattern that matches a directory excluding everything in it, and a later
// !pattern taking a path back.
type dockerignore []struct {
	re     *regexp.Regexp
	negate bool
}

func readDockerignore(t *testing.T, path string) dockerignore {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerignore
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		p = filepath.ToSlash(filepath.Clean(p))
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		re.WriteString("$")
		d = append(d, struct {
			re     *regexp.Regexp
			negate bool
		}{regexp.MustCompile(re.String()), negate})
	}
	return d
}

// excluded reports whether Docker leaves path (slash-separated, relative
// to the context) out of the build context.
func (d dockerignore) excluded(path string) bool {
	out := false
	for _, p := range d {
		for dir := path; dir != "."; dir = filepath.Dir(dir) {
			if p.re.MatchString(dir) {
				out = !p.negate
				break
			}
		}
	}
	return out
}

// TestDockerignore lists what `COPY . .` takes from this checkout and from
// the files a local run leaves behind: the sources and feeds.yaml go in;
// the git history, databases, backups, digests and binaries stay out.
func TestDockerignore(t *testing.T) {
	d := readDockerignore(t, "../../.dockerignore")
	root := "../.."
	var taken []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.excluded(rel) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.IsDir() {
			taken = append(taken, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("COPY . . takes %d files", len(taken))
	allowed := regexp.MustCompile(`^(go\.mod|go\.sum|feeds\.yaml|(cmd|internal|migrations)/.+)$`)
	for _, f := range taken {
		if !allowed.MatchString(f) {
			t.Errorf("COPY . . would take %s", f)
		}
	}
	for _, want := range []string{"go.mod", "go.sum", "feeds.yaml", "cmd/civicwatch/main.go", "migrations/migrations.go",
		"internal/web/templates/layout.html", "internal/digest/templates/digest.txt"} {
		if d.excluded(want) {
			t.Errorf("%s is left out of the build", want)
		}
	}
	for _, leftOut := range []string{".git", ".git/HEAD", "civicwatch", "civicwatch.db", "civicwatch.db-wal", "civicwatch.db-shm",
		"civicwatch.db.lock", "data/civicwatch.db", "feeds.yaml.bak-20261126T070000", "digests/2026-11-26-staff.eml",
		"civicwatch.test", "internal/feed/testdata/fuzz/FuzzCanonicalURL/abc", ".ci/run", "artefacts/x"} {
		if !d.excluded(leftOut) {
			t.Errorf("%s would be sent into the build", leftOut)
		}
	}
}

// TestDockerHealthcheckMatchesTheCommand: the image's HEALTHCHECK runs
// civicwatch healthcheck without --url, and its default address is where
// the image's command, run without --listen, serves /healthz.
func TestDockerHealthcheckMatchesTheCommand(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	if !regexp.MustCompile(`(?m)^CMD \["run"\]$`).MatchString(df) ||
		!regexp.MustCompile(`(?m)^\s+CMD \["/usr/local/bin/civicwatch", "healthcheck"\]$`).MatchString(df) {
		t.Fatalf("the Dockerfile's CMD or HEALTHCHECK changed; check this test:\n%s", df)
	}
	_, runHelp, _ := cli(t, nil, "run", "--help")
	_, checkHelp, _ := cli(t, nil, "healthcheck", "--help")
	listen := regexp.MustCompile(`--listen ADDR .*\(default (\S+)\)`).FindStringSubmatch(runHelp)
	url := regexp.MustCompile(`--url URL .*\(default (\S+)\)`).FindStringSubmatch(checkHelp)
	if listen == nil || url == nil || url[1] != "http://"+listen[1]+"/healthz" {
		t.Errorf("run listens on %v by default, healthcheck asks %v", listen, url)
	}
}
