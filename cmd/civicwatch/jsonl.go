package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/civicwatch/civicwatch/internal/evaluate"
	"github.com/civicwatch/civicwatch/internal/feed"
	"github.com/civicwatch/civicwatch/internal/match"
)

// maxLine bounds one JSON line: a story with its full text is well under a
// megabyte, and a bound keeps a file without newlines from filling memory.
const maxLine = 16 << 20

// inputError marks input that cannot be read, such as a labelled file with
// a broken line (exit 2: the caller's to fix, like a bad flag).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// eachLine calls fn for every line of r that is not blank, numbered from 1,
// without its line ending. A line longer than max bytes is skipped and
// passed to fn as lineErr instead; the lines after it are still read. An
// error returned by fn stops the reading and is returned.
func eachLine(r io.Reader, max int, fn func(n int, line []byte, lineErr error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		buf = buf[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !tooLong {
				if len(bytes.TrimRight(chunk, "\r\n"))+len(buf) > max {
					tooLong, buf = true, buf[:0]
				} else {
					buf = append(buf, chunk...)
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("line %d: %w", n, err)
		}
		switch {
		case tooLong:
			limit := fmt.Sprintf("%d bytes", max)
			if max >= 1<<20 && max%(1<<20) == 0 {
				limit = fmt.Sprintf("%d MiB", max>>20)
			}
			if ferr := fn(n, nil, fmt.Errorf("line longer than %s", limit)); ferr != nil {
				return ferr
			}
		default:
			line := bytes.TrimRight(buf, "\r\n")
			if n == 1 {
				line = bytes.TrimPrefix(line, []byte("\uFEFF")) // a BOM some editors write
			}
			if len(bytes.TrimSpace(line)) > 0 {
				if ferr := fn(n, line, nil); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// inputStory is one line of classify's or eval's input: a story as a feed
// would deliver it, its feed's tags, and for eval its labels. Other fields
// (url, source, published, lang) are not needed and are ignored.
type inputStory struct {
	ID      json.RawMessage `json:"id"` // echoed as given: a string or a number
	Title   string          `json:"title"`
	Summary string          `json:"summary"`
	Content string          `json:"content"`
	Article string          `json:"article"` // the captured article's text, matched as the field article
	Tags    []string        `json:"tags"`
	Expect  string          `json:"expect"`
	Topics  []string        `json:"topics"`
	Lang    string          `json:"lang"` // "km" rows are also scored on their own by eval
}

func parseStory(line []byte) (*inputStory, error) {
	var s inputStory
	if err := json.Unmarshal(line, &s); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		return nil, fmt.Errorf("not a story: %v", err)
	}
	// The text is read once, as the poller reads a feed item's
	// (feed.HTMLToText and feed.BodyText: markup removed, entities decoded,
	// spacing folded, a site's footer line dropped), so that a line holding
	// a feed's raw description scores as the daemon would match it. Reading
	// it again would decode an escaped entity a second time.
	s.Title, s.Summary, s.Content = feed.HTMLToText(s.Title), feed.BodyText(s.Summary), feed.BodyText(s.Content)
	return &s, nil
}

// story is what the rules see: the text as parseStory read it, and the
// feed's tags standing in the line's "tags".
func (s *inputStory) story() *match.Story {
	return &match.Story{Title: s.Title, Summary: s.Summary, Content: s.Content, Article: s.Article, Tags: s.Tags}
}

// toTeaser cuts the story down to what a teaser-only feed gives: the
// headline and the summary's first chars characters (evaluate.Teaser),
// with no content and no article.
func (s *inputStory) toTeaser(chars int) {
	s.Summary = evaluate.Teaser(s.Summary, chars)
	s.Content, s.Article = "", ""
}

// idText is the id for people: a string without its quotes.
func (s *inputStory) idText() string {
	var str string
	if json.Unmarshal(s.ID, &str) == nil {
		return str
	}
	if len(s.ID) == 0 {
		return "-"
	}
	return string(s.ID)
}
