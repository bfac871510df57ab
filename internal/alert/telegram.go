package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
)

// telegramLimit is the Bot API's limit on a message's text (4096
// characters); bytes are counted here, which is stricter.
const telegramLimit = 4096

// telegram sends with the Bot API's sendMessage.
type telegram struct {
	cfg config.Channel
	d   Deps
}

func (t *telegram) Send(ctx context.Context, m *Message) error {
	token, err := t.d.secret(t.cfg.TokenEnv, "the Telegram bot token")
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"chat_id":              t.cfg.Chat,
		"text":                 m.Event.Title() + "\n\n" + m.Event.Text(t.d.Location, telegramLimit-200),
		"link_preview_options": map[string]bool{"is_disabled": true},
	})
	if err != nil {
		return &SendError{Err: err}
	}
	req, err := http.NewRequest(http.MethodPost, t.cfg.URL+"/bot"+token+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return &SendError{Err: errorWithout(err, token)}
	}
	req.Header.Set("Content-Type", "application/json")
	_, answer, err := post(ctx, t.d, req, token)
	var se *SendError
	if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
		// The Bot API says how long to wait in the body, not in a header.
		var r struct {
			Parameters struct {
				RetryAfter int `json:"retry_after"`
			} `json:"parameters"`
		}
		if json.Unmarshal(answer, &r) == nil && r.Parameters.RetryAfter > 0 {
			se.RetryAfter = min(time.Duration(r.Parameters.RetryAfter)*time.Second, 24*time.Hour)
		}
	}
	return err
}
