package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one mistake in a config file. Line and Column are 1-based; zero
// means the position is unknown, as for an empty file.
type Problem struct {
	Line, Column int
	Field        string // path such as "feeds[2].url"; empty for file-level problems
	Msg          string
}

// Errors is every Problem found in one file. Parse (and Load, once the file
// is read) returns it whenever the file is not usable; callers can use
// errors.As to get at the individual problems.
type Errors struct {
	Path     string
	Problems []Problem
}

// Error lists every problem on its own line in the compiler-like
// "path:line:col: field: msg" form that editors can jump to.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.format(e.Path)
	}
	return strings.Join(lines, "\n")
}

func (p Problem) format(path string) string {
	if path == "" {
		path = "<config>"
	}
	var b strings.Builder
	b.WriteString(path)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// position is a place in the file, 1-based like yaml.Node.
type position struct{ line, col int }

// problems collects Problems while a file is checked, and knows where each
// field sits so that validation code can report by field path alone.
type problems struct {
	pos    map[string]position // field path → position of its value
	keys   map[string]position // field path → position of its key, for mappings with free-form keys
	leaves map[position]string // position of a scalar value → its field path
	broken map[string]bool     // fields whose value could not be read at all
	list   []Problem
}

func newProblems() *problems {
	return &problems{
		pos:    map[string]position{},
		keys:   map[string]position{},
		leaves: map[position]string{},
		broken: map[string]bool{},
	}
}

// add reports a validation problem on field at the field's position. It is
// dropped when the field (or a parent) could not be read in the first place:
// that was already reported, and "invalid URL" after "variable not set" is
// noise.
func (p *problems) add(field, format string, args ...any) {
	if p.isBroken(field) {
		return
	}
	p.addAt(p.where(field), field, fmt.Sprintf(format, args...))
}

// addAt reports a problem at an explicit position.
func (p *problems) addAt(at position, field, msg string) {
	p.list = append(p.list, Problem{Line: at.line, Column: at.col, Field: field, Msg: msg})
}

// unreadable reports a value that could not be read (bad syntax for its
// type, unset variable, wrong kind of node) and silences later validation
// problems on the same field.
func (p *problems) unreadable(at position, field, msg string) {
	p.addAt(at, field, msg)
	if field != "" {
		p.broken[field] = true
	}
}

func (p *problems) isBroken(field string) bool {
	for {
		if p.broken[field] {
			return true
		}
		if field == "" {
			return false
		}
		field = parentField(field)
	}
}

// where returns the position of field, or of its nearest ancestor present in
// the file: a missing key is reported where its parent mapping starts.
func (p *problems) where(field string) position {
	for {
		if at, ok := p.pos[field]; ok {
			return at
		}
		if field == "" {
			return position{}
		}
		field = parentField(field)
	}
}

// anyIn reports whether a problem was found in one of the given sections
// (top-level keys), or one that no field could be attributed to.
func (p *problems) anyIn(sections ...string) bool {
	for _, pr := range p.list {
		if pr.Field == "" {
			return true
		}
		top, _, _ := strings.Cut(pr.Field, ".")
		top, _, _ = strings.Cut(top, "[")
		if slices.Contains(sections, top) {
			return true
		}
	}
	return false
}

// leafOnLine finds the field whose scalar value starts on line, for yaml
// errors that carry only a line number. The leftmost wins so the choice is
// stable when a flow mapping puts several values on one line.
func (p *problems) leafOnLine(line int) (position, string, bool) {
	var best position
	var field string
	for at, f := range p.leaves {
		if at.line == line && (field == "" || at.col < best.col) {
			best, field = at, f
		}
	}
	return best, field, field != ""
}

// err returns the collected problems as *Errors, sorted by position so they
// read top to bottom, or nil when there are none.
func (p *problems) err(path string) error {
	if len(p.list) == 0 {
		return nil
	}
	list := slices.Clone(p.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &Errors{Path: path, Problems: list}
}

// parentField strips the last ".key" or "[i]" from a field path.
func parentField(field string) string {
	i := strings.LastIndexAny(field, ".[")
	if i < 0 {
		return ""
	}
	return field[:i]
}

// joinField appends a mapping key to a field path.
func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
