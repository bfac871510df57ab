package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/civicwatch/civicwatch/internal/config"
)

// slackLimit keeps a message well inside Slack's 40,000 characters.
const slackLimit = 12000

// slack posts to an incoming webhook, whose URL is itself the secret.
type slack struct {
	cfg config.Channel
	d   Deps
}

func (s *slack) Send(ctx context.Context, m *Message) error {
	hook, err := s.d.secret(s.cfg.SlackEnv, "the Slack incoming-webhook URL")
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"text":         "*" + slackEscape(m.Event.Title()) + "*\n" + m.Event.Markdown(s.d.Location, slackLimit),
		"unfurl_links": false,
	})
	if err != nil {
		return &SendError{Err: err}
	}
	req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return &SendError{Err: errorWithout(err, hook)}
	}
	req.Header.Set("Content-Type", "application/json")
	_, _, err = post(ctx, s.d, req, hook)
	return err
}
