package alert

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/civicwatch/civicwatch/internal/config"
)

// ntfyLimit is ntfy's default message size limit (4 KB); longer messages
// become attachments, which a phone notification does not show.
const ntfyLimit = 4000

// ntfy publishes to a topic URL: the text as the body, the title, priority
// and click-through link as headers.
type ntfy struct {
	cfg config.Channel
	d   Deps
}

func (n *ntfy) Send(ctx context.Context, m *Message) error {
	req, err := http.NewRequest(http.MethodPost, n.cfg.URL, strings.NewReader(m.Event.Text(n.d.Location, ntfyLimit)))
	if err != nil {
		return &SendError{Err: err}
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Title", headerText(m.Event.Title()))
	req.Header.Set("Priority", n.cfg.Priority)
	req.Header.Set("Tags", "rotating_light")
	if len(m.Event.Stories) > 0 {
		if u := safeURL(m.Event.Stories[0].URL); u != "" {
			req.Header.Set("Click", u)
		}
	}
	var secrets []string
	if n.cfg.TokenEnv != "" {
		tok, err := n.d.secret(n.cfg.TokenEnv, "the ntfy access token")
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		secrets = append(secrets, tok)
	}
	_, _, err = post(ctx, n.d, req, secrets...)
	return err
}

// headerText makes s safe for an HTTP header: ASCII as it is, anything else
// (Khmer titles) as an RFC 2047 encoded word, which ntfy decodes.
func headerText(s string) string {
	s = oneLine(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.BEncoding.Encode("UTF-8", s)
		}
	}
	return s
}
