package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Usage is what the evidence directory takes on disk.
type Usage struct {
	WARCFiles int   // civicwatch-*.warc.gz files
	Bytes     int64 // every regular file under the directory, WARC or not
}

// DiskUsage measures dir. A directory not yet created takes nothing.
func DiskUsage(dir string) (Usage, error) {
	var u Usage
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		u.Bytes += fi.Size()
		if strings.HasPrefix(d.Name(), "civicwatch-") && strings.HasSuffix(d.Name(), ".warc.gz") {
			u.WARCFiles++
		}
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("measure evidence directory: %w", err)
	}
	return u, nil
}
