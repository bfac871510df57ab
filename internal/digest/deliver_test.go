package digest

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicwatch/civicwatch/internal/mailtest"
)

func testMessage(t *testing.T) *Message {
	t.Helper()
	r, err := Render(Build(fixtureInput(Recipient{Email: "staff@example.org"})), "")
	if err != nil {
		t.Fatal(err)
	}
	return &Message{From: "civicwatch <digest@example.org>", To: "staff@example.org", ToName: "Campaign Staff",
		Subject: r.Subject, Text: r.Text, HTML: r.HTML, MessageID: MessageID("staff@example.org", "2026-11-26", "digest@example.org"),
		Date: periodEnd}
}

func noSleep(context.Context, time.Duration) error { return nil }

// parts parses a captured message as a mail client would and returns its
// headers and the content types and bodies of its alternatives, in order.
func parts(t *testing.T, data []byte) (mail.Header, []string, []string) {
	t.Helper()
	p := mailtest.Parse(t, data)
	return p.Header, p.Types, p.Bodies
}

func TestSMTPDeliversMultipartAlternative(t *testing.T) {
	srv := mailtest.Start(t, nil)
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage(t)
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "staff@example.org" {
		t.Fatalf("server received %+v", got)
	}
	h, types, bodies := parts(t, got[0].Data)
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text/plain then text/html", types)
	}
	if h.Get("Message-Id") != "<"+m.MessageID+">" {
		t.Errorf("Message-ID %q, want <%s>", h.Get("Message-Id"), m.MessageID)
	}
	dec := new(mime.WordDecoder)
	if subj, _ := dec.DecodeHeader(h.Get("Subject")); subj != m.Subject {
		t.Errorf("Subject %q, want %q", subj, m.Subject)
	}
	if len(bodies) == 2 && (!strings.Contains(bodies[0], "ក្រសួង\u200bមហាផ្ទៃ") || !strings.Contains(bodies[1], "ក្រសួង\u200bមហាផ្ទៃ")) {
		t.Error("Khmer did not survive the trip")
	}
	// Feed text cannot add a recipient or a header.
	if len(got[0].To) != 1 || len(h["Subject"]) != 1 || h.Get("Bcc") != "" {
		t.Errorf("headers %v", h)
	}
	// The same message, built again, is byte for byte the same.
	a, _ := m.EML()
	b, _ := m.EML()
	if !bytes.Equal(a, b) {
		t.Error("building the same message twice gave different bytes")
	}
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	cert, pool := mailtest.Cert(t)
	srv := mailtest.Start(t, cert)
	srv.RequireAuth("digest", "s3cret")
	cfg := SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "starttls", Username: "digest", Password: "s3cret",
		Timeout: 5 * time.Second, TLSConfig: mailtest.ClientTLS(pool)}
	s, _ := NewSMTP(cfg)
	if err := s.Send(t.Context(), testMessage(t)); err != nil {
		t.Fatal(err)
	}
	if !srv.SawTLS() || len(srv.Messages()) != 1 {
		t.Fatalf("TLS %v, %d messages", srv.SawTLS(), len(srv.Messages()))
	}
	cfg.Password = "wrong"
	s, _ = NewSMTP(cfg)
	err := s.Send(t.Context(), testMessage(t))
	if err == nil || IsTemporary(err) {
		t.Errorf("wrong password: %v, want a permanent failure", err)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	cert, pool := mailtest.Cert(t)
	srv := mailtest.StartImplicitTLS(t, cert)
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "tls", Timeout: 5 * time.Second, TLSConfig: mailtest.ClientTLS(pool)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), testMessage(t)); err != nil {
		t.Fatal(err)
	}
	if !srv.SawTLS() || len(srv.Messages()) != 1 {
		t.Fatalf("TLS %v, %d messages; want one message over TLS", srv.SawTLS(), len(srv.Messages()))
	}
	// The same server refuses a client that does not start with TLS.
	plain, _ := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "none", Timeout: 2 * time.Second})
	if err := plain.Send(t.Context(), testMessage(t)); err == nil {
		t.Error("a plain client got through to an implicit-TLS server: the test server is not speaking TLS")
	}
}

func TestRetriesTemporaryFailures(t *testing.T) {
	cases := []struct {
		name     string
		faults   []string
		attempts int
		ok       bool
		copies   int // messages the server accepted
	}{
		{"451 at RCPT", []string{"rcpt:451"}, 2, true, 1},
		{"421 at DATA", []string{"data:421"}, 2, true, 1},
		{"dropped after the final dot", []string{"data:drop"}, 2, true, 2},
		{"twice, then through", []string{"rcpt:451", "data:421"}, 3, true, 1},
		{"550 is final", []string{"rcpt:550"}, 1, false, 0},
		{"temporary until the last try", []string{"rcpt:451", "rcpt:451", "rcpt:451"}, 3, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := mailtest.Start(t, nil)
			srv.Fault(c.faults...)
			s, _ := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "none", Timeout: 5 * time.Second})
			m := testMessage(t)
			attempts, err := SendWithRetry(t.Context(), s, m, Retry{Attempts: 3, Backoff: time.Millisecond, Sleep: noSleep})
			if attempts != c.attempts || (err == nil) != c.ok {
				t.Fatalf("attempts %d, err %v; want %d attempts, ok=%v", attempts, err, c.attempts, c.ok)
			}
			got := srv.Messages()
			if len(got) != c.copies {
				t.Fatalf("server accepted %d messages, want %d", len(got), c.copies)
			}
			// Every copy a reader may get is the same digest.
			for _, r := range got {
				if !bytes.Equal(r.Data, got[0].Data) {
					t.Error("a retry sent a different message")
				}
				h, _, _ := parts(t, r.Data)
				if h.Get("Message-Id") != "<"+m.MessageID+">" {
					t.Errorf("retry changed the Message-ID to %s", h.Get("Message-Id"))
				}
			}
		})
	}
}

func TestFilesDelivery(t *testing.T) {
	dir := t.TempDir()
	m := testMessage(t)
	if err := (&Files{Dir: dir}).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".eml", ".html"} {
		data, err := readFile(dir, "2026-11-26-staff@example.org"+ext)
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v", ext, err)
		}
	}
}

func readFile(dir, name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
