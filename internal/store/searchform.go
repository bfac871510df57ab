package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/civicwatch/civicwatch/internal/match"
)

// refreshSearchForms puts every stored story's search form
// (search_title, search_text: migrations/0014_search_form.sql) in the
// matcher's current reading of Khmer, when the forms were written by
// another (search_form.revision differs from match.TextRevision): after
// migration 0014, and after an upgrade that reads Khmer differently. Only
// stories with non-ASCII text can change. Every Open asks, so the question
// is a plain read: a write transaction would wait for the write lock of a
// daemon mid-poll on every CLI command. The work itself runs in one write
// transaction that asks again, so a second process opening the database
// meanwhile waits and then finds it done; the update trigger keeps the
// full-text index in step.
func refreshSearchForms(ctx context.Context, db *sql.DB) error {
	current := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (bool, error) {
		var rev string
		if err := q.QueryRowContext(ctx, `SELECT revision FROM search_form`).Scan(&rev); err != nil {
			return false, fmt.Errorf("search forms: read revision: %w", err)
		}
		return rev == match.TextRevision(), nil
	}
	if ok, err := current(db); ok || err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("search forms: %w", err)
	}
	defer tx.Rollback()
	if ok, err := current(tx); ok || err != nil {
		return err
	}
	update, err := tx.PrepareContext(ctx, `UPDATE stories SET search_title = ?, search_text = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("search forms: %w", err)
	}
	defer update.Close()
	type row struct {
		id           int64
		sTitle, sTxt any
	}
	const batch = 500
	var last int64
	read, changed := 0, 0
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, title, text, search_title, search_text FROM stories
            WHERE id > ? AND (length(title) != length(CAST(title AS BLOB)) OR length(text) != length(CAST(text AS BLOB)))
            ORDER BY id LIMIT ?`, last, batch)
		if err != nil {
			return fmt.Errorf("search forms: %w", err)
		}
		var todo []row
		n := 0
		for rows.Next() {
			var (
				id          int64
				title, text string
				oldT, oldX  sql.NullString
			)
			if err := rows.Scan(&id, &title, &text, &oldT, &oldX); err != nil {
				rows.Close()
				return fmt.Errorf("search forms: %w", err)
			}
			n++
			last = id
			t, x := searchForm(title), searchForm(text)
			if !sameForm(t, oldT) || !sameForm(x, oldX) {
				todo = append(todo, row{id: id, sTitle: t, sTxt: x})
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("search forms: %w", err)
		}
		// The updates run once the batch's rows are read: SQLite would
		// otherwise see them while still reading the table.
		for _, r := range todo {
			if _, err := update.ExecContext(ctx, r.sTitle, r.sTxt, r.id); err != nil {
				return fmt.Errorf("search forms: story %d: %w", r.id, err)
			}
		}
		read += n
		changed += len(todo)
		if n < batch {
			break
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE search_form SET revision = ?`, match.TextRevision()); err != nil {
		return fmt.Errorf("search forms: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("search forms: %w", err)
	}
	if changed > 0 {
		slog.Info("search forms brought up to the matcher's reading of Khmer", "stories_read", read, "changed", changed, "revision", match.TextRevision())
	}
	return nil
}

// sameForm tells whether a search form as searchForm gives it (a string, or
// nil for none) is the one stored.
func sameForm(f any, stored sql.NullString) bool {
	s, ok := f.(string)
	return ok == stored.Valid && (!ok || s == stored.String)
}
