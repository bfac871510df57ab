package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

func TestExportVerifiesWithSha256sum(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, article+r.URL.Path) }))
	defer srv.Close()
	st := openStore(t)
	ids := seed(t, st, srv.URL, story{"/a", true}, story{"/b", true})
	archiveDir := filepath.Join(t.TempDir(), "evidence")
	a, err := NewWARCDir(archiveDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(st, testFetcher(nil), a, Options{Now: func() time.Time { return t0 }, Log: slog.New(slog.DiscardHandler)})
	if rep, err := r.Run(t.Context()); err != nil || rep.Captured != 2 {
		t.Fatalf("run %+v, %v", rep, err)
	}
	e, err := st.EvidenceOf(t.Context(), ids["/b"])
	if err != nil {
		t.Fatal(err)
	}
	caps, err := st.Captures(t.Context(), ids["/b"])
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bundle")
	m, err := Export(e, caps, archiveDir, out, "civicwatch test", t0)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("sha256sum", "-c", "SHA256SUMS")
	cmd.Dir = out
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, b)
	}

	// The bundle's WARC holds only this story's capture: a response whose
	// payload hashes to the stored value, then its request.
	var types []string
	rd, err := gowarc.NewWarcFileReader(filepath.Join(out, m.Captures[0].WARCFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	for rec, err := range rd.Records() {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, rec.WarcRecord.Type().String())
		if uri := rec.WarcRecord.WarcHeader().Get(gowarc.WarcTargetURI); uri != srv.URL+"/b" {
			t.Errorf("record for %s in story /b's bundle", uri)
		}
		rec.Close()
	}
	rd.Close()
	if len(types) != 2 || types[0] != "response" || types[1] != "request" {
		t.Errorf("bundle WARC records %v, want response then request", types)
	}
	body, err := ReadPayload(filepath.Join(out, m.Captures[0].WARCFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != caps[0].BodySHA256 {
		t.Errorf("exported payload hash %x, stored %s", sum, caps[0].BodySHA256)
	}
	var got Manifest
	data, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err := json.Unmarshal(data, &got); err != nil || got.StoryID != ids["/b"] || len(got.Captures) != 1 ||
		got.Captures[0].BodySHA256 != caps[0].BodySHA256 || got.Captures[0].FinalURL != srv.URL+"/b" {
		t.Errorf("manifest %+v (%v)", got, err)
	}

	// The extracted text travels too, hashed as stored.
	text, err := os.ReadFile(filepath.Join(out, got.Captures[0].TextFile))
	if sum := sha256.Sum256(text); err != nil || got.Captures[0].TextFile == "" || hex.EncodeToString(sum[:]) != caps[0].TextSHA256 ||
		caps[0].TextSHA256 == "" || got.Captures[0].TextSHA256 != caps[0].TextSHA256 {
		t.Errorf("text file %q (%v): hash %x, stored %q", got.Captures[0].TextFile, err, sum, caps[0].TextSHA256)
	}
	sums, _ := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if !strings.Contains(string(sums), "  "+got.Captures[0].TextFile+"\n") {
		t.Errorf("SHA256SUMS does not cover the text:\n%s", sums)
	}

	// A tampered file fails the check, so the check above means something.
	if err := os.WriteFile(filepath.Join(out, "manifest.json"), append(data, ' '), 0o640); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("sha256sum", "-c", "--quiet", "SHA256SUMS")
	cmd.Dir = out
	if err := cmd.Run(); err == nil {
		t.Error("sha256sum -c passed a tampered manifest")
	}

	// Export refuses to write into a bundle that exists.
	if _, err := Export(e, caps, archiveDir, out, "t", t0); err == nil {
		t.Error("export into a non-empty directory succeeded")
	}
}
