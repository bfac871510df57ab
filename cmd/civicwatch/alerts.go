package main

import (
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/civicwatch/civicwatch/internal/alert"
	"github.com/civicwatch/civicwatch/internal/store"
)

// cmdAlerts lists the alert ledger, or with "test ALERT_ID" sends a marked
// test message to each of an alert's channels.
func cmdAlerts(e *env, args []string) error {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	limit := fs.Int("limit", 20, "show this many of the latest alert messages")
	rest, err := e.parseFlagsArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0:
	case rest[0] == "test" && len(rest) == 2:
		return alertsTest(e, rest[1])
	case rest[0] == "test":
		return fmt.Errorf("%w: alerts test takes one ALERT_ID", errUsage)
	default:
		return fmt.Errorf("%w: unexpected argument %q (want nothing, or test ALERT_ID)", errUsage, rest[0])
	}
	if *limit <= 0 {
		return fmt.Errorf("%w: --limit must be positive", errUsage)
	}
	loc, err := e.displayLocation()
	if err != nil {
		return err
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.AlertMessages(e.ctx, *limit)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no alerts yet")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tALERT\tCHANNEL\tSTATUS\tATTEMPTS\tSTORIES\tSENT AT\tEVENT ID\tLAST ERROR")
	for _, m := range rows {
		status := string(m.Status)
		if m.Test {
			status += " (test)"
		}
		if m.Status == store.AlertPending && m.Attempts > 0 {
			status += ", next " + m.NextAttemptAt.In(loc).Format("15:04:05")
		}
		stories := fmt.Sprint(m.Stories)
		if m.Overflow > 0 {
			stories += fmt.Sprintf(" (+%d held back)", m.Overflow)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", minute(m.CreatedAt, loc), m.Alert, m.Channel, status, m.Attempts,
			stories, orDash(minute(m.SentAt, loc)), m.EventID, orDash(oneLine(m.LastError, 100)))
	}
	return tw.Flush()
}

func minute(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// alertsTest sends the test messages and prints each channel's outcome. It
// fails (exit 1) when any channel did not accept its message.
func alertsTest(e *env, id string) error {
	// Unlike the listing, a test may run before the daemon ever did: it
	// records its messages in a database it creates if need be.
	e.cmd = "alerts test"
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &alert.Service{Store: st, Config: cfg, LookupEnv: e.lookupEnv, Log: e.log, UserAgent: userAgent()}
	res, err := svc.Test(e.ctx, id)
	if errors.Is(err, alert.ErrUnknownAlert) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tOUTCOME\tEVENT ID\tERROR")
	failed := 0
	for _, r := range res {
		if r.Outcome != store.AlertSent {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Channel, r.Outcome, r.EventID, orDash(errText(r.Err)))
	}
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d channels did not accept the test message", failed, len(res))
	}
	fmt.Fprintf(e.stdout, "alert %s: all %d channels accepted the test message\n", id, len(res))
	return nil
}
