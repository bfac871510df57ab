package poll

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"
)

// feedServer serves fixture bodies with validators, like a well-behaved
// feed host, and counts what it was asked.
type feedServer struct {
	mu          sync.Mutex
	files       map[string]servedFile
	requests    map[string]int
	conditional map[string]int // requests that carried If-None-Match or If-Modified-Since
	notModified map[string]int // 304 answers
	userAgents  map[string]bool
}

type servedFile struct {
	body       []byte
	ctype      string
	validators bool // send ETag and Last-Modified
}

func newFeedServer() *feedServer {
	return &feedServer{files: map[string]servedFile{}, requests: map[string]int{},
		conditional: map[string]int{}, notModified: map[string]int{}, userAgents: map[string]bool{}}
}

func (s *feedServer) set(path string, f servedFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = f
}

func (s *feedServer) count(m map[string]int, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return m[path]
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.URL.Path]
	s.requests[r.URL.Path]++
	s.userAgents[r.UserAgent()] = true
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if inm != "" || ims != "" {
		s.conditional[r.URL.Path]++
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if f.validators {
		sum := sha256.Sum256(f.body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT")
		if inm == etag {
			s.mu.Lock()
			s.notModified[r.URL.Path]++
			s.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if f.ctype != "" {
		w.Header().Set("Content-Type", f.ctype)
	}
	w.Write(f.body)
}

func (s *feedServer) mustSet(t *testing.T, path, ctype string, body []byte) {
	t.Helper()
	s.set(path, servedFile{body: body, ctype: ctype, validators: true})
}
