package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	Sender Sender
	Retry  Retry // zero value: DefaultRetry
	// Concurrency is how many digests are delivered at once; 0: 4.
	Concurrency int
	Now         func() time.Time            // nil: time.Now
	LookupEnv   func(string) (string, bool) // reads smtp.password_env; nil: os.LookupEnv
	Log         *slog.Logger                // nil: discard
}

// ErrNoRecipients is returned when the config names nobody to send to.
var ErrNoRecipients = errors.New("no recipients configured")

// Send builds and sends every digest due now: Prepare, then Deliver. A
// recipient's failed delivery is in their Result and the others are still
// served; the error is for runs that could not go on (no usable ledger, no
// SMTP password), with the results so far, after what was built has been
// delivered.
func (s *Service) Send(ctx context.Context) ([]Result, error) {
	p, err := s.prepareRun(ctx, true)
	if err != nil {
		return nil, err
	}
	return p.Deliver(ctx)
}

// DryRun works out what Send would do now, rendering the digests it would
// send, and records nothing.
func (s *Service) DryRun(ctx context.Context) ([]Result, error) {
	p, err := s.prepareRun(ctx, false)
	if err != nil {
		return nil, err
	}
	return p.results, p.err
}

// Prepare builds and stores every digest due now, one after another (the
// store is read, not the network), and returns them ready to deliver. The
// daemon prepares between poll rounds and delivers while polls go on: a
// slow mail server must not hold up the watch.
func (s *Service) Prepare(ctx context.Context) (*Prepared, error) {
	return s.prepareRun(ctx, true)
}

// Prepared is a run's digests, built and stored, still to deliver.
type Prepared struct {
	s       *Service
	sender  Sender
	results []Result
	jobs    []delivery
	err     error // why preparing stopped early, if it did
}

// delivery is a stored digest still to send, and where its result goes.
type delivery struct {
	row *store.DigestRecord
	res *Result
}

// Deliver sends the prepared digests at most Concurrency at a time, so
// that one stuck recipient never delays the others, within Retry.Budget,
// and returns every recipient's result in config order.
func (p *Prepared) Deliver(ctx context.Context) ([]Result, error) {
	err := p.err
	if derr := p.s.deliverAll(ctx, p.sender, p.jobs); derr != nil && err == nil {
		err = derr
	}
	if err == nil {
		err = ctx.Err() // stopped: what was not sent is pending
	}
	return p.results, err
}

func (s *Service) prepareRun(ctx context.Context, send bool) (*Prepared, error) {
	d := s.Config.Digest
	if d == nil || len(d.Recipients) == 0 {
		return nil, ErrNoRecipients
	}
	now := s.now()
	period, due := CurrentPeriod(d.Cron, d.Location, now)
	p := &Prepared{s: s, results: make([]Result, 0, len(d.Recipients))}
	if send && due {
		var err error
		if p.sender, err = s.sender(); err != nil {
			return nil, err
		}
	}
	b := s.newBatch(period, now)
	var todo []int // indexes into results, which never grows past its capacity
	var rows []*store.DigestRecord
	for _, r := range d.Recipients {
		if p.err = ctx.Err(); p.err != nil {
			break
		}
		if !due {
			p.results = append(p.results, Result{Recipient: r.Email, Outcome: OutcomeNotDue})
			continue
		}
		res, row, err := s.prepare(ctx, b, r, p.sender)
		p.results = append(p.results, res)
		if err != nil {
			p.err = fmt.Errorf("digest for %s: %w", r.Email, err)
			break
		}
		if row != nil {
			todo, rows = append(todo, len(p.results)-1), append(rows, row)
		}
	}
	for i, at := range todo {
		p.jobs = append(p.jobs, delivery{row: rows[i], res: &p.results[at]})
	}
	return p, nil
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
	return SenderFor(s.Config, s.LookupEnv)
}

// SenderFor is the delivery the config asks for: files under digest.dir, or
// SMTP with the password from smtp.password_env (read with lookupEnv; nil:
// os.LookupEnv). Email alerts go out the same way.
func SenderFor(cfg *config.Config, lookupEnv func(string) (string, bool)) (Sender, error) {
	d := cfg.Digest
	if d == nil {
		return nil, errors.New("no digest: section to take the mail settings from")
	}
	if d.Delivery == config.DeliveryFile {
		return &Files{Dir: d.Dir}, nil
	}
	sc := cfg.SMTP
	if sc == nil {
		return nil, errors.New("delivery smtp without an smtp: section")
	}
	pw, err := sc.Password(lookupEnv)
	if err != nil {
		return nil, err
	}
	return NewSMTP(SMTPConfig{Host: sc.Host, Port: sc.Port, TLS: sc.TLS, Username: sc.Username, Password: pw, Timeout: sc.Timeout.D()})
}

// prepare does the ledger's part of one recipient's period: build and
// store the digest unless the ledger has it. It returns the row when it is
// still to be sent, and the result so far.
func (s *Service) prepare(ctx context.Context, b *batch, r config.Recipient, sender Sender) (Result, *store.DigestRecord, error) {
	res := Result{Recipient: r.Email, Period: b.period}
	row, err := s.Store.Digest(ctx, r.Email, b.period.ID)
	if err != nil {
		return res, nil, err
	}
	res.Resent = row != nil
	if row == nil {
		fresh, skip, err := b.build(ctx, r)
		if err != nil || skip != "" {
			res.Outcome = skip
			return res, nil, err
		}
		if sender == nil { // a dry run records nothing
			res.Outcome, res.Message, res.Stories = OutcomeWouldSend, messageOf(fresh), len(fresh.StoryIDs)
			return res, nil, nil
		}
		// Stored before it is sent: from here on a crash or an outage
		// leaves a pending digest that the next run sends as it is.
		var created bool
		if row, created, err = s.Store.CreateDigest(ctx, *fresh); err != nil {
			return res, nil, err
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
			return res, nil, nil
		}
		return res, row, nil
	}
	return res, nil, nil
}

// deliverAll sends the stored digests, at most s.Concurrency at a time,
// within the retry budget. A digest whose turn does not come before the
// budget runs out stays pending, and says why.
func (s *Service) deliverAll(ctx context.Context, sender Sender, jobs []delivery) error {
	if len(jobs) == 0 {
		return nil
	}
	retry := s.retry()
	dctx, cancel := ctx, context.CancelFunc(func() {})
	if retry.Budget > 0 {
		dctx, cancel = context.WithTimeout(ctx, retry.Budget)
	}
	defer cancel()
	slots := make(chan struct{}, s.concurrency())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	keep := func(err error) {
		if err != nil {
			mu.Lock()
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
		}
	}
	// Turns are given in config order; a digest waits for a free slot,
	// and one whose turn comes after the budget is not attempted.
	for _, j := range jobs {
		select {
		case slots <- struct{}{}:
			if dctx.Err() != nil {
				<-slots
				keep(s.notAttempted(ctx, j.row, j.res))
				continue
			}
		case <-dctx.Done():
			keep(s.notAttempted(ctx, j.row, j.res))
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			keep(s.deliver(dctx, sender, j.row, j.res, retry))
		})
	}
	wg.Wait()
	return firstErr
}

// concurrentDeliveries is how many digests are sent at once by default:
// enough that a stuck recipient holds nobody up, few enough not to look
// like a flood to the mail server.
const concurrentDeliveries = 4

func (s *Service) concurrency() int {
	if s.Concurrency > 0 {
		return s.Concurrency
	}
	return concurrentDeliveries
}

// notAttempted records that the run ended before this digest's turn.
func (s *Service) notAttempted(ctx context.Context, row *store.DigestRecord, res *Result) error {
	res.Outcome = OutcomePending
	res.Err = errors.New("not attempted: the run ended before its turn; the next run sends it")
	return s.Store.DigestFailed(context.WithoutCancel(ctx), row.Recipient, row.Period, 0, res.Err.Error(), false)
}

// deliver sends a stored digest and records the outcome in the ledger.
func (s *Service) deliver(ctx context.Context, sender Sender, row *store.DigestRecord, res *Result, retry Retry) error {
	attempts, err := SendWithRetry(ctx, sender, res.Message, retry)
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
	// A run stopped mid-send, or out of time, is no verdict on the address.
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
