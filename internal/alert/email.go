package alert

import (
	"context"
	"fmt"
	"strings"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/digest"
)

// email sends through the digest's sender: the same SMTP server, timeouts
// and rule that the server's 2xx to DATA means sent.
type email struct {
	cfg config.Channel
	d   Deps
}

func (e *email) Send(ctx context.Context, m *Message) error {
	if e.d.Mail == nil {
		return &SendError{Err: fmt.Errorf("email alerts need the digest's mail settings")}
	}
	sender, err := e.d.Mail()
	if err != nil {
		return &SendError{Temporary: true, Err: err}
	}
	msg := &digest.Message{
		From: e.d.From, To: e.cfg.Email, Subject: m.Event.Title(),
		Text:      m.Event.Text(e.d.Location, 0),
		HTML:      "<!doctype html><html><body>" + m.Event.HTML(e.d.Location, 0) + "</body></html>",
		MessageID: messageID(m.Event.EventID, e.d.From), Date: m.Created, FileTag: "alert-" + m.Event.EventID,
	}
	return sender.Send(ctx, msg)
}

// messageID is fixed per event, so a resent alert is recognisably the same
// message to every mail system on the way.
func messageID(eventID, from string) string {
	domain := "civicwatch.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = strings.Trim(from[at+1:], "> ")
	}
	return "alert." + eventID + "@" + domain
}
