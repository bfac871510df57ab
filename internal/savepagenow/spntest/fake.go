// Package spntest is a loopback fake of the Save Page Now 2 API for tests.
package spntest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method, Path, Auth, Accept, URL string
	At                              time.Time
}

// Fake answers POST /save as the API does: with a job id for the right
// keys, 401 for others, and the answers the test scripts with Then.
type Fake struct {
	Server *httptest.Server
	Access string
	Secret string

	mu       sync.Mutex
	script   []string // answers to give next: "ok", "429", "429-after-N", "500", "no-job"
	requests []Request
	jobs     map[string]string // job id → its status: "pending", "success" (the default) or "error"
}

// Job sets what /save/status/ID answers for a job: "pending", "success" or
// "error".
func (f *Fake) Job(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.jobs == nil {
		f.jobs = map[string]string{}
	}
	f.jobs[id] = status
}

// New starts a fake on loopback expecting the keys access and secret.
func New(t testing.TB, access, secret string) *Fake {
	t.Helper()
	f := &Fake{Access: access, Secret: secret}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	return f
}

// Endpoint is the fake's /save URL.
func (f *Fake) Endpoint() string { return f.Server.URL + "/save" }

// Then scripts the next answers.
func (f *Fake) Then(answers ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, answers...)
}

// Requests returns what the fake received.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	n := len(f.requests) + 1
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"),
		Accept: r.Header.Get("Accept"), URL: r.PostForm.Get("url"), At: time.Now()})
	answer := "ok"
	if len(f.script) > 0 {
		answer, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if id, ok := strings.CutPrefix(r.URL.Path, "/save/status/"); ok && r.Method == http.MethodGet {
		f.status(w, r, id)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/save" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "LOW "+f.Access+":"+f.Secret {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"You need to be logged in to use Save Page Now."}`)
		return
	}
	switch {
	case answer == "429":
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"You have already reached the limit of active sessions."}`)
	case strings.HasPrefix(answer, "429-after-"):
		w.Header().Set("Retry-After", strings.TrimPrefix(answer, "429-after-"))
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"Too many requests."}`)
	case answer == "500":
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, `<html>bad gateway</html>`)
	case answer == "no-job":
		fmt.Fprint(w, `{"status":"error","status_ext":"error:invalid-url-syntax","message":"Invalid URL."}`)
	default:
		_ = json.NewEncoder(w).Encode(map[string]string{"url": r.PostForm.Get("url"), "job_id": fmt.Sprintf("spn2-%04d", n)})
	}
}

// status answers GET /save/status/ID as the API does.
func (f *Fake) status(w http.ResponseWriter, r *http.Request, id string) {
	if r.Header.Get("Authorization") != "LOW "+f.Access+":"+f.Secret {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	st, url := f.jobs[id], ""
	var n int // job ids are spn2-N, N the request that made the job
	if _, err := fmt.Sscanf(id, "spn2-%d", &n); err == nil && n >= 1 && n <= len(f.requests) {
		url = f.requests[n-1].URL
	}
	f.mu.Unlock()
	switch st {
	case "pending":
		fmt.Fprintf(w, `{"status":"pending","job_id":%q}`, id)
	case "error":
		fmt.Fprintf(w, `{"status":"error","job_id":%q,"status_ext":"error:not-found","message":"The server cannot find the requested resource."}`, id)
	default:
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "success", "job_id": id,
			"timestamp": "20261203101500", "original_url": url})
	}
}
