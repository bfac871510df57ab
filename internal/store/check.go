package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrDamaged is returned (wrapped) when the database file is damaged: it
// fails PRAGMA quick_check, or SQLite reports it corrupt or not a database.
// The message names the file and how to recover.
var ErrDamaged = errors.New("the database is damaged")

// QuickCheck runs PRAGMA quick_check, which reads every page and checks
// the b-trees without the costlier index cross-checks of integrity_check:
// the daemon and `poll` run it at start, so that they refuse to go on
// writing into a damaged file (every write could spread the damage) rather
// than discover it halfway through a poll round.
func (s *Store) QuickCheck(ctx context.Context) error {
	rows, err := s.read.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		return s.damaged(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return s.damaged(err)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return s.damaged(err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return damagedError(s.path, "PRAGMA quick_check found: "+strings.Join(problems, "; "))
}

// damaged turns an error that is SQLite reporting corruption into
// ErrDamaged with the way out; other errors pass through with context.
func (s *Store) damaged(err error) error {
	if isCorrupt(err) {
		return damagedError(s.path, err.Error())
	}
	return fmt.Errorf("check database %s: %w", s.path, err)
}

// isCorrupt reports whether err is SQLite saying the file is corrupt or is
// no database at all.
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

func damagedError(path, detail string) error {
	return fmt.Errorf("%w: %s: %s. Stop every civicwatch using it, then restore the latest backup "+
		"(see Backups in the README), or save what it still holds with "+
		"`sqlite3 %s .recover | sqlite3 recovered.db` and start again with --db recovered.db "+
		"(keep the damaged file until the recovered one is checked)", ErrDamaged, path, detail, path)
}
