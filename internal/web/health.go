package web

import (
	"net/http"
)

// health serves the daemon's /healthz outside the token: a container's
// health check (civicwatch healthcheck) has no token to send, and a health
// check that needs a secret tends to end up disabled. Without the token the
// caller learns the status code and ok/unhealthy, nothing else: the full
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
		status := "ok"
		if code != http.StatusOK {
			status = "unhealthy"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"status":"` + status + `","detail":"send the console token for the full report"}` + "\n"))
	})
}

// codeOnly is a ResponseWriter that keeps the status and drops the body.
type codeOnly struct {
	header http.Header
	code   int
}

func (c *codeOnly) Header() http.Header { return c.header }

func (c *codeOnly) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return len(b), nil
}

func (c *codeOnly) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
