package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
)

// matrixLimit keeps an event well inside Matrix's 64 KiB.
const matrixLimit = 16000

// matrix sends an m.room.message with PUT and the event id as the
// transaction id: the homeserver treats a retry as the same event.
type matrix struct {
	cfg config.Channel
	d   Deps
}

func (x *matrix) Send(ctx context.Context, m *Message) error {
	token, err := x.d.secret(x.cfg.TokenEnv, "the Matrix access token")
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]string{
		"msgtype":        "m.text",
		"body":           m.Event.Title() + "\n\n" + m.Event.Text(x.d.Location, matrixLimit),
		"format":         "org.matrix.custom.html",
		"formatted_body": "<p><b>" + escapeHTML(m.Event.Title()) + "</b></p>\n" + m.Event.HTML(x.d.Location, matrixLimit),
	})
	if err != nil {
		return &SendError{Err: err}
	}
	u := x.cfg.URL + "/_matrix/client/v3/rooms/" + url.PathEscape(x.cfg.Room) + "/send/m.room.message/" + url.PathEscape(m.Event.EventID)
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return &SendError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	_, answer, err := post(ctx, x.d, req, token)
	var se *SendError
	if errors.As(err, &se) && se.Status == http.StatusTooManyRequests && se.RetryAfter == 0 {
		var r struct {
			RetryAfterMS int64 `json:"retry_after_ms"`
		}
		if json.Unmarshal(answer, &r) == nil && r.RetryAfterMS > 0 {
			se.RetryAfter = min(time.Duration(r.RetryAfterMS)*time.Millisecond, 24*time.Hour)
		}
	}
	return err
}
