package web

import (
	"net/http"
	"time"

	"github.com/civicwatch/civicwatch/internal/store"
)

// alertsShown is how many ledger rows the alerts page lists.
const alertsShown = 200

// alertFailingFor is how long a channel fails before the page (and
// /healthz) calls it out.
const alertFailingFor = time.Hour

type alertsData struct {
	Alerts  []store.AlertMessage
	Failing []store.FailingChannel
}

// handleAlerts lists the alert ledger, newest first, under the channels
// that have been failing for over an hour. Channel names never hold a
// secret (see config.Channel.Key), so the page shows them as they are.
func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	list, err := s.opts.Store.AlertMessages(ctx, alertsShown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	failing, err := s.opts.Store.FailingAlertChannels(ctx, time.Now().Add(-alertFailingFor))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "alerts", view{Title: "Alerts", Nav: "alerts", Data: alertsData{Alerts: list, Failing: failing}})
}
