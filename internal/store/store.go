// Package store owns the SQLite database: opening it, migrating it and every
// SQL statement civicwatch runs. No other package writes SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/civicwatch/civicwatch/migrations"
)

// ErrTooNew is returned by Open for a database migrated by a newer civicwatch.
var ErrTooNew = errors.New("database was written by a newer civicwatch")

// Store is an open civicwatch database. Writes go through a single connection,
// because SQLite has one writer at a time anyway and queueing in Go is cheaper
// and fairer than spinning on SQLITE_BUSY; reads use a pool of their own so a
// long write never blocks the console or the CLI.
type Store struct {
	path   string
	write  *sql.DB
	read   *sql.DB
	ingest *ingestStmts
	now    func() time.Time // the clock that stamps first_seen_at; tests replace it
	// pruneHook, when set by a test, runs inside each prune batch's
	// transaction (numbered from 1) before it commits.
	pruneHook func(batch int, tx *sql.Tx)
}

// Open opens (creating if needed) the database at path and applies pending
// migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	err = migrate(ctx, write)
	if err == nil {
		err = refreshSearchForms(ctx, write)
	}
	if err != nil {
		write.Close()
		if isCorrupt(err) {
			return nil, damagedError(path, err.Error())
		}
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	s := &Store{path: path, write: write, read: read, now: time.Now}
	if s.ingest, err = prepareIngest(ctx, write); err != nil {
		s.Close()
		if isCorrupt(err) {
			return nil, damagedError(path, err.Error())
		}
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return s, nil
}

// dsn builds the connection string. Each pragma earns its place:
//   - journal_mode=WAL: readers never block the writer, and a crash mid-write
//     leaves the last committed state intact.
//   - synchronous=NORMAL: in WAL mode this is still crash-safe (a power cut
//     may lose the last commits, never corrupt), and it spares an fsync per
//     commit, which matters when every polled feed is one transaction.
//   - busy_timeout: a second process (the CLI beside the daemon) waits for
//     the lock instead of failing at once.
//   - foreign_keys: SQLite leaves them off unless asked, per connection.
//   - temp_store=MEMORY: statement journals (SQLite's undo log for one
//     statement inside a transaction, which every ingest batch's full-text
//     INSERT … SELECT needs) stay in memory instead of spilling to a
//     temporary file; a profile of a first poll showed 6 % of the writer's
//     time in those writes (docs/performance.md).
//   - _txlock=immediate: a write transaction takes the write lock at BEGIN,
//     so it cannot fail halfway with SQLITE_BUSY when upgrading a read lock.
//   - query_only on the read pool: a bug cannot write through it.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// migrate applies pending migrations, each once and in its own transaction
// (goose records the applied versions in goose_db_version), after refusing a
// database that a newer binary has already migrated past what we know.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	var known int64
	for _, src := range p.ListSources() {
		known = max(known, src.Version)
	}
	if current > known {
		return fmt.Errorf("%w: schema version %d, this binary knows up to %d; upgrade civicwatch or use another --db", ErrTooNew, current, known)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SetClock replaces the clock that stamps when stories are first seen; tests
// and simulations use it to write history at chosen times.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// SchemaVersion reports the applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// IntegrityCheck runs PRAGMA integrity_check, then FTS5's own check that the
// full-text index matches the stories (as the view stories_search folds
// them: see migrations/0014_search_form.sql), and returns the verdict: "ok"
// when both pass.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if err := s.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		return res, err
	}
	// The FTS5 check is a write to the virtual table, hence the writer.
	if _, err := s.write.ExecContext(ctx, `INSERT INTO stories_fts(stories_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		return "full-text index: " + err.Error(), nil
	}
	return "ok", nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	if s.ingest != nil {
		s.ingest.close()
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// Times are stored as UTC text of fixed width so that string order is time
// order; see migrations/0001_init.sql.
const timeFormat = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeFormat)
}

func parseTime(ns sql.NullString) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	t, err := time.Parse(timeFormat, ns.String)
	if err != nil {
		return time.Time{}
	}
	return t
}
