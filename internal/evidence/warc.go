package evidence

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/nlnwa/gowarc/v3"

	"github.com/civicwatch/civicwatch/internal/fetch"
)

// Location is where a capture's response record sits.
type Location struct {
	File     string // base name inside the archive directory
	Offset   int64  // byte offset of the record's gzip member
	RecordID string // WARC-Record-ID of the response record
}

// Archive keeps HTTP exchanges as WARC records. It is the only place that
// knows the WARC library, so the library can be swapped without touching the
// capture logic or the database.
type Archive interface {
	// Append writes the response record and then the request record of ex,
	// and returns where the response record starts.
	Append(ex *fetch.Exchange) (Location, error)
	// Payload reads back the HTTP body of the response record at loc.
	Payload(loc Location) ([]byte, error)
}

// DefaultMaxFileSize is the size past which a WARC file is closed and the
// next one started. A gigabyte is the size the WARC community settled on:
// big enough to keep file counts low, small enough to copy and check.
const DefaultMaxFileSize = 1 << 30

// warcDir writes gzip-per-record WARC 1.1 files, civicwatch-NNNNN.warc.gz,
// into one directory, using github.com/nlnwa/gowarc/v3. Each record is its
// own gzip member, so any record can be read from its offset alone.
type warcDir struct {
	dir     string
	maxSize int64
	mu      sync.Mutex // one writer at a time keeps offsets true
}

// NewWARCDir returns an Archive writing into dir, creating it if needed.
// maxSize <= 0 means DefaultMaxFileSize.
func NewWARCDir(dir string, maxSize int64) (Archive, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("evidence directory: %w", err)
	}
	return &warcDir{dir: dir, maxSize: maxSize}, nil
}

const filePattern = "civicwatch-%05d.warc.gz"

// currentFile names the file to append to: the newest one, or the next
// number once the newest has reached the size limit.
func (w *warcDir) currentFile() (string, error) {
	names, err := filepath.Glob(filepath.Join(w.dir, "civicwatch-*.warc.gz"))
	if err != nil {
		return "", err
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Sprintf(filePattern, 1), nil
	}
	last := names[len(names)-1]
	fi, err := os.Stat(last)
	if err != nil {
		return "", err
	}
	if fi.Size() < w.maxSize {
		return filepath.Base(last), nil
	}
	var n int
	if _, err := fmt.Sscanf(filepath.Base(last), filePattern, &n); err != nil {
		return "", fmt.Errorf("unexpected WARC file name %s: %w", last, err)
	}
	return fmt.Sprintf(filePattern, n+1), nil
}

func (w *warcDir) Append(ex *fetch.Exchange) (Location, error) {
	resp, err := buildRecord(gowarc.Response, ex, responseBytes(ex), "")
	if err != nil {
		return Location{}, fmt.Errorf("build WARC response record: %w", err)
	}
	defer resp.Close()
	req, err := buildRecord(gowarc.Request, ex, requestBytes(ex), resp.RecordId())
	if err != nil {
		return Location{}, fmt.Errorf("build WARC request record: %w", err)
	}
	defer req.Close()

	// Both records are marshalled before the file is touched, so a failure
	// never leaves half a capture behind.
	var buf bytes.Buffer
	for _, r := range []gowarc.WarcRecord{resp, req} {
		gz := gzip.NewWriter(&buf)
		if _, _, err := gowarc.NewMarshaler().Marshal(gz, r, 0); err != nil {
			return Location{}, fmt.Errorf("write WARC record: %w", err)
		}
		if err := gz.Close(); err != nil {
			return Location{}, fmt.Errorf("write WARC record: %w", err)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	name, err := w.currentFile()
	if err != nil {
		return Location{}, fmt.Errorf("choose WARC file: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(w.dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return Location{}, fmt.Errorf("open WARC file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return Location{}, fmt.Errorf("open WARC file: %w", err)
	}
	_, werr := f.Write(buf.Bytes())
	// Evidence that is not on disk is not evidence: sync before the
	// database is told the capture exists.
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return Location{}, fmt.Errorf("write WARC file %s: %w", name, err)
	}
	return Location{File: name, Offset: fi.Size(), RecordID: resp.RecordId()}, nil
}

func buildRecord(t gowarc.RecordType, ex *fetch.Exchange, block []byte, concurrentTo string) (gowarc.WarcRecord, error) {
	b := gowarc.NewRecordBuilder(t,
		gowarc.WithAddMissingDigest(true),
		gowarc.WithAddMissingContentLength(true),
		gowarc.WithAddMissingRecordId(true),
		gowarc.WithDefaultDigestAlgorithm("sha256"))
	if _, err := b.Write(block); err != nil {
		b.Close()
		return nil, err
	}
	b.AddWarcHeaderTime(gowarc.WarcDate, ex.At)
	b.AddWarcHeader(gowarc.WarcTargetURI, ex.FinalURL)
	if t == gowarc.Response {
		b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	} else {
		b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
		b.AddWarcHeader(gowarc.WarcConcurrentTo, concurrentTo)
	}
	rec, _, err := b.Build()
	return rec, err
}

// responseBytes renders the response as received: status line, headers and
// the body. The transport has already undone any gzip and dropped the
// Content-Encoding and Content-Length that described the compressed form,
// so the headers kept describe the body kept.
func responseBytes(ex *fetch.Exchange) []byte {
	var b bytes.Buffer
	b.WriteString(ex.StatusLine + "\r\n")
	ex.ResponseHeader.Write(&b)
	b.WriteString("\r\n")
	b.Write(ex.Body)
	return b.Bytes()
}

func requestBytes(ex *fetch.Exchange) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\nHost: %s\r\n", ex.Method, ex.RequestURI, ex.RequestProto, ex.RequestHost)
	ex.RequestHeader.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

func (w *warcDir) Payload(loc Location) ([]byte, error) {
	return ReadPayload(filepath.Join(w.dir, loc.File), loc.Offset)
}

// ReadPayload reads the HTTP body of the response record at offset in a
// WARC file, checking the record's digests on the way.
func ReadPayload(path string, offset int64) ([]byte, error) {
	r, err := gowarc.NewWarcFileReader(path, offset, gowarc.WithBlockErrorPolicy(gowarc.ErrFail))
	if err != nil {
		return nil, fmt.Errorf("open WARC file: %w", err)
	}
	defer r.Close()
	rec, err := r.Next()
	if err != nil {
		return nil, fmt.Errorf("read WARC record at %d: %w", offset, err)
	}
	defer rec.Close()
	if rec.WarcRecord.Type() != gowarc.Response {
		return nil, fmt.Errorf("record at %d is a %s, not a response", offset, rec.WarcRecord.Type())
	}
	pb, ok := rec.WarcRecord.Block().(gowarc.PayloadBlock)
	if !ok {
		return nil, fmt.Errorf("record at %d has no HTTP payload", offset)
	}
	pr, err := pb.PayloadBytes()
	if err != nil {
		return nil, fmt.Errorf("read payload at %d: %w", offset, err)
	}
	body, err := io.ReadAll(pr)
	if err != nil {
		return nil, fmt.Errorf("read payload at %d: %w", offset, err)
	}
	if v, err := rec.WarcRecord.ValidateDigest(); err != nil || len(v) > 0 {
		return nil, fmt.Errorf("record at %d: digest check: %w", offset, errors.Join(append(v, err)...))
	}
	return body, nil
}

// CopyCapture copies the capture at loc, its response record and the request
// record written after it, byte for byte into w: the gzip members as stored,
// so the copy is itself a valid WARC file holding only that capture.
func CopyCapture(path string, offset int64, w io.Writer) (int64, error) {
	r, err := gowarc.NewWarcFileReader(path, offset)
	if err != nil {
		return 0, fmt.Errorf("open WARC file: %w", err)
	}
	var size int64
	for i := range 2 {
		rec, err := r.Next()
		if err != nil {
			r.Close()
			return 0, fmt.Errorf("read WARC record %d at %d: %w", i+1, offset, err)
		}
		size += rec.Size
		rec.Close()
	}
	r.Close()
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open WARC file: %w", err)
	}
	defer f.Close()
	n, err := io.Copy(w, io.NewSectionReader(f, offset, size))
	if err == nil && n != size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, fmt.Errorf("copy WARC records at %d: %w", offset, err)
	}
	return n, nil
}
