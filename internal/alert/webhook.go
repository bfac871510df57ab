package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/civicwatch/civicwatch/internal/config"
)

// Headers of a webhook POST.
const (
	HeaderSignature = "X-Civicwatch-Signature" // "sha256=" + hex HMAC-SHA256 of the body, keyed with secret_env's value
	HeaderEventID   = "X-Civicwatch-Event-Id"  // the same on every retry: receivers drop repeats by it
)

// webhook POSTs the event as JSON, signed when secret_env is set.
type webhook struct {
	cfg config.Channel
	d   Deps
}

func (w *webhook) Send(ctx context.Context, m *Message) error {
	req, err := http.NewRequest(http.MethodPost, w.cfg.URL, bytes.NewReader(m.Payload))
	if err != nil {
		return &SendError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEventID, m.Event.EventID)
	var secrets []string
	if w.cfg.SecretEnv != "" {
		key, err := w.d.secret(w.cfg.SecretEnv, "the webhook signing secret")
		if err != nil {
			return err
		}
		req.Header.Set(HeaderSignature, Sign([]byte(key), m.Payload))
		secrets = append(secrets, key)
	}
	_, _, err = post(ctx, w.d, req, secrets...)
	return err
}

// Sign is the signature header's value for body under key; receivers
// compute the same and compare with hmac.Equal.
func Sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
