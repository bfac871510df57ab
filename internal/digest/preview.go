package digest

import (
	"fmt"
	"os"
	"path/filepath"
)

// WritePreview writes a dry run's digest under dir as PERIOD-RECIPIENT.eml
// (the message as it would be sent), .html and .txt (its two parts, to open
// in a browser or read as they are), and returns the paths written.
func WritePreview(dir string, r Result) ([]string, error) {
	if r.Message == nil {
		return nil, nil
	}
	eml, err := r.Message.EML()
	if err != nil {
		return nil, fmt.Errorf("preview for %s: %w", r.Recipient, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	base := filepath.Join(dir, r.Period.ID+"-"+safeName(r.Recipient))
	var paths []string
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".eml", eml}, {".html", []byte(r.Message.HTML)}, {".txt", []byte(r.Message.Text)}} {
		if err := os.WriteFile(base+f.ext, f.data, 0o644); err != nil {
			return paths, fmt.Errorf("preview: %w", err)
		}
		paths = append(paths, base+f.ext)
	}
	return paths, nil
}
