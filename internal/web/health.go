package web

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// health serves the daemon's /healthz outside the token: a container's
// health check (civicwatch healthcheck) has no token to send, and a health
// check that needs a secret tends to end up disabled. Without the token the
// caller learns the status code, ok/degraded/unhealthy and a degraded
// watch's reason, nothing else: the full
// document names feeds, recipients and errors.
func (s *Server) health(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.auth.ok(r) {
			h.ServeHTTP(w, r)
			return
		}
		rec := &codeOnly{header: http.Header{}}
		h.ServeHTTP(rec, r)
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		out := publicHealth{Status: "ok", Detail: "send the console token for the full report"}
		if code != http.StatusOK {
			out.Status = "unhealthy"
		}
		// A degraded watch says why: the reason names no feed or recipient,
		// and a newcomer whose check fails needs it most.
		var doc publicHealth
		if json.Unmarshal(rec.body.Bytes(), &doc) == nil && doc.Status == "degraded" && code != http.StatusOK {
			out.Status, out.Reason = doc.Status, doc.Reason
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(out)
	})
}

// publicHealth is what /healthz tells a caller without the token.
type publicHealth struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// codeOnly is a ResponseWriter that keeps the status and the start of the
// body, enough to read the status and reason from.
type codeOnly struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (c *codeOnly) Header() http.Header { return c.header }

func (c *codeOnly) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	if room := 64<<10 - c.body.Len(); room > 0 {
		c.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

func (c *codeOnly) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
