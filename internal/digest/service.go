package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/civicwatch/civicwatch/internal/config"
	"github.com/civicwatch/civicwatch/internal/store"
)

// Outcome is what a run did for one recipient.
type Outcome string

const (
	OutcomeSent        Outcome = "sent"
	OutcomeWouldSend   Outcome = "would send"   // a dry run: this is what a send would deliver now
	OutcomeAlreadySent Outcome = "already sent" // the period's digest went out before: never twice
	OutcomePending     Outcome = "pending"      // a temporary failure: the next run sends the same message
	OutcomeFailed      Outcome = "failed"       // refused for good (now or in an earlier run): not retried
	OutcomeSkipped     Outcome = "skipped"      // nothing matched and send_empty is false
	OutcomeNotDue      Outcome = "not due"      // the schedule has not fired yet, or a later digest was sent
)

// Result is what a run did for one recipient.
type Result struct {
	Recipient string
	Period    Period
	Outcome   Outcome
	Stories   int      // stories in the digest
	Resent    bool     // the message was built and stored by an earlier run
	Attempts  int      // delivery attempts in this run
	Message   *Message // the digest, when there is one
	Err       error    // why it failed or is still pending
}

// Service builds, records and sends the digests that are due. The CLI runs
// it once; the daemon will run it on the schedule. Both send only what the
// ledger says is still to send, so running it often is harmless.
type Service struct {
	Store  *store.Store
	Config *config.Config
	// Sender delivers; nil builds one from the config: files under
	// digest.dir, or SMTP with the password from smtp.password_env.
	Sender    Sender
	Retry     Retry                       // zero value: DefaultRetry
	Now       func() time.Time            // nil: time.Now
	LookupEnv func(string) (string, bool) // reads smtp.password_env; nil: os.LookupEnv
	Log       *slog.Logger                // nil: discard
}

// ErrNoRecipients is returned when the config names nobody to send to.
var ErrNoRecipients = errors.New("no recipients configured")

// Send builds and sends every digest due now, recipient by recipient in
// config order. A recipient's failed delivery is in their Result and the
// others are still served; the error is for runs that could not go on (no
// usable ledger, no SMTP password), with the results so far.
func (s *Service) Send(ctx context.Context) ([]Result, error) {
	return s.run(ctx, true)
}

// DryRun works out what Send would do now, rendering the digests it would
// send, and records nothing.
func (s *Service) DryRun(ctx context.Context) ([]Result, error) {
	return s.run(ctx, false)
}

func (s *Service) run(ctx context.Context, send bool) ([]Result, error) {
	d := s.Config.Digest
	if d == nil || len(d.Recipients) == 0 {
		return nil, ErrNoRecipients
	}
	now := s.now()
	period, due := CurrentPeriod(d.Cron, d.Location, now)
	var sender Sender
	if send && due {
		var err error
		if sender, err = s.sender(); err != nil {
			return nil, err
		}
	}
	b := s.newBatch(period, now)
	var results []Result
	for _, r := range d.Recipients {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		if !due {
			results = append(results, Result{Recipient: r.Email, Outcome: OutcomeNotDue})
			continue
		}
		res, err := s.serve(ctx, b, r, sender)
		results = append(results, res)
		if err != nil {
			return results, fmt.Errorf("digest for %s: %w", r.Email, err)
		}
	}
	return results, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) retry() Retry {
	if s.Retry.Attempts == 0 {
		return DefaultRetry
	}
	return s.Retry
}

// sender is the configured delivery. A missing SMTP password is an error
// here, at send time, rather than when the config is loaded, so that
// `civicwatch check` works on a machine without secrets.
func (s *Service) sender() (Sender, error) {
	if s.Sender != nil {
		return s.Sender, nil
	}
	d := s.Config.Digest
	if d.Delivery == config.DeliveryFile {
		return &Files{Dir: d.Dir}, nil
	}
	sc := s.Config.SMTP
	if sc == nil {
		return nil, errors.New("delivery smtp without an smtp: section")
	}
	pw, err := sc.Password(s.LookupEnv)
	if err != nil {
		return nil, err
	}
	return NewSMTP(SMTPConfig{Host: sc.Host, Port: sc.Port, TLS: sc.TLS, Username: sc.Username, Password: pw})
}

// serve does one recipient's period: build and store the digest unless the
// ledger has it, then send it unless it was sent or refused already.
func (s *Service) serve(ctx context.Context, b *batch, r config.Recipient, sender Sender) (Result, error) {
	res := Result{Recipient: r.Email, Period: b.period}
	row, err := s.Store.Digest(ctx, r.Email, b.period.ID)
	if err != nil {
		return res, err
	}
	res.Resent = row != nil
	if row == nil {
		fresh, skip, err := b.build(ctx, r)
		if err != nil || skip != "" {
			res.Outcome = skip
			return res, err
		}
		if sender == nil { // a dry run records nothing
			res.Outcome, res.Message, res.Stories = OutcomeWouldSend, messageOf(fresh), len(fresh.StoryIDs)
			return res, nil
		}
		// Stored before it is sent: from here on a crash or an outage
		// leaves a pending digest that the next run sends as it is.
		var created bool
		if row, created, err = s.Store.CreateDigest(ctx, *fresh); err != nil {
			return res, err
		}
		res.Resent = !created // another process built it first
	}
	res.Message, res.Stories = messageOf(row), len(row.StoryIDs)
	switch row.Status {
	case store.DigestSent:
		res.Outcome = OutcomeAlreadySent
	case store.DigestFailed:
		res.Outcome, res.Err = OutcomeFailed, errors.New(row.LastError)
	default:
		if sender == nil {
			res.Outcome = OutcomeWouldSend
			return res, nil
		}
		return res, s.deliver(ctx, sender, row, &res)
	}
	return res, nil
}

// deliver sends a stored digest and records the outcome in the ledger.
func (s *Service) deliver(ctx context.Context, sender Sender, row *store.DigestRecord, res *Result) error {
	attempts, err := SendWithRetry(ctx, sender, res.Message, s.retry())
	res.Attempts = attempts
	// The ledger must hear how it went even when the run is being stopped.
	wctx := context.WithoutCancel(ctx)
	log := s.log().With("recipient", row.Recipient, "period", row.Period, "attempts", attempts)
	if err == nil {
		res.Outcome = OutcomeSent
		log.Info("digest sent", "stories", len(row.StoryIDs), "message_id", row.MessageID)
		return s.Store.DigestSent(wctx, row.Recipient, row.Period, attempts, s.now())
	}
	res.Err = err
	// A run stopped mid-send is no verdict on the address.
	permanent := !IsTemporary(err) && ctx.Err() == nil
	res.Outcome = OutcomePending
	if permanent {
		res.Outcome = OutcomeFailed
	}
	log.Warn("digest not delivered", "outcome", res.Outcome, "err", err)
	return s.Store.DigestFailed(wctx, row.Recipient, row.Period, attempts, err.Error(), permanent)
}

func messageOf(row *store.DigestRecord) *Message {
	return &Message{From: row.From, To: row.To, ToName: row.ToName, Subject: row.Subject, Text: row.Text,
		HTML: row.HTML, MessageID: row.MessageID, Date: row.Date}
}
