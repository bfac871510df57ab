package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// Manifest describes an exported bundle; manifest.json is this, indented.
// Its field names are an interface: lawyers' tools may read them.
type Manifest struct {
	StoryID    int64             `json:"story_id"`
	Title      string            `json:"title"`
	URL        string            `json:"url"`
	ExportedAt time.Time         `json:"exported_at"`
	Generator  string            `json:"generator"`
	Captures   []ManifestCapture `json:"captures"`
	Files      []string          `json:"files"` // every file of the bundle but SHA256SUMS
}

// ManifestCapture is one capture in the manifest.
type ManifestCapture struct {
	CapturedAt   time.Time `json:"captured_at"`
	URL          string    `json:"url"`
	FinalURL     string    `json:"final_url"`
	Status       int       `json:"status"`
	BodySHA256   string    `json:"body_sha256"`
	BodyBytes    int64     `json:"body_bytes"`
	WARCFile     string    `json:"warc_file"` // inside the bundle
	WARCRecordID string    `json:"warc_record_id"`
	TextFile     string    `json:"text_file,omitempty"` // the extracted main text, UTF-8
	TextSHA256   string    `json:"text_sha256,omitempty"`
	ExtractError string    `json:"extract_error,omitempty"`
}

// Export writes a story's evidence into outDir, which must be empty or
// absent: one WARC file per capture holding its records exactly as stored,
// manifest.json, and SHA256SUMS over every other file in the format
// `sha256sum -c` checks.
func Export(e store.EvidenceEntry, caps []store.Capture, archiveDir, outDir, generator string, now time.Time) (*Manifest, error) {
	if len(caps) == 0 {
		return nil, fmt.Errorf("story %d has no capture to export (state %s)", e.StoryID, e.State)
	}
	if entries, err := os.ReadDir(outDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: export writes into a new or empty directory", outDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("export directory: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o750); err != nil {
		return nil, fmt.Errorf("export directory: %w", err)
	}
	m := &Manifest{StoryID: e.StoryID, Title: e.Title, URL: e.URL, ExportedAt: now.UTC(), Generator: generator}
	for i, c := range caps {
		name := fmt.Sprintf("capture-%d-%s.warc.gz", i+1, c.CapturedAt.UTC().Format("20060102T150405Z"))
		if err := writeFile(filepath.Join(outDir, name), func(w io.Writer) error {
			_, err := CopyCapture(filepath.Join(archiveDir, c.WARCFile), c.WARCOffset, w)
			return err
		}); err != nil {
			return nil, fmt.Errorf("capture %d: %w", c.ID, err)
		}
		mc := ManifestCapture{CapturedAt: c.CapturedAt.UTC(), URL: c.URL, FinalURL: c.FinalURL,
			Status: c.Status, BodySHA256: c.BodySHA256, BodyBytes: c.BodyBytes, WARCFile: name, WARCRecordID: c.WARCRecordID,
			TextSHA256: c.TextSHA256, ExtractError: c.ExtractError}
		m.Files = append(m.Files, name)
		if c.TextSHA256 != "" {
			mc.TextFile = strings.TrimSuffix(name, ".warc.gz") + ".txt"
			if err := writeFile(filepath.Join(outDir, mc.TextFile), func(w io.Writer) error {
				_, err := io.WriteString(w, c.Text)
				return err
			}); err != nil {
				return nil, fmt.Errorf("capture %d: %w", c.ID, err)
			}
			m.Files = append(m.Files, mc.TextFile)
		}
		m.Captures = append(m.Captures, mc)
	}
	m.Files = append(m.Files, "manifest.json")
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(outDir, "manifest.json"), func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	}); err != nil {
		return nil, err
	}
	var sums strings.Builder
	for _, name := range slices.Sorted(slices.Values(m.Files)) {
		sum, err := fileSHA256(filepath.Join(outDir, name))
		if err != nil {
			return nil, err
		}
		// Two spaces: sha256sum's text mode line.
		fmt.Fprintf(&sums, "%s  %s\n", sum, name)
	}
	if err := writeFile(filepath.Join(outDir, "SHA256SUMS"), func(w io.Writer) error {
		_, err := io.WriteString(w, sums.String())
		return err
	}); err != nil {
		return nil, err
	}
	return m, nil
}

func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
