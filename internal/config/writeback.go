package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/renameio/v2"
	"go.yaml.in/yaml/v3"
)

// ErrNoTopic is returned (wrapped) by SetTopicRule for a topic the file does
// not have.
var ErrNoTopic = errors.New("no such topic")

// SetTopicRule replaces the rule of the topic topicID in the config file at
// path (following a symlink to the file it names) and returns the path of
// the backup it made of the old file.
//
// Only the bytes of the old rule change: comments, blank lines, the order
// and layout of everything else stay as the operator wrote them. A rule of
// several lines is written as a literal block (|), any other plainly or
// quoted as YAML needs; a "$" in the rule is written "$$" so that ${VAR}
// expansion gives the rule back; CRLF line ends (as browsers send a
// textarea) become LF.
//
// Nothing is written unless the whole new file is a valid config (checked
// with Parse and lookupEnv, as Load would) that differs from the old one in
// that rule alone; a file that is not valid comes back as an *Errors whose
// lines are those of the new text. Then the old file is copied to
// path.bak-YYYYMMDDTHHMMSS (UTC) beside it, and the new one written to a
// temporary file in the same directory, with the old file's permissions, and
// renamed over it, so that a reader (the daemon reloading on change) sees
// the old file or the new one, never half of one.
func SetTopicRule(path, topicID, rule string, lookupEnv func(string) (string, bool)) (backupPath string, err error) {
	rule = strings.ReplaceAll(rule, "\r\n", "\n")
	return rewrite(path, "the rule", func(old []byte) ([]byte, error) {
		return replaceRule(old, topicID, rule)
	}, func(old, edited []byte) error {
		return checkEdit(old, edited, path, topicID, rule, lookupEnv)
	})
}

// rewrite is the one way civicwatch writes feeds.yaml: edit makes the new
// bytes from the old, check proves the edit did what was meant and nothing
// else, and only then is the old file backed up beside it and the new one
// renamed over it (renameio writes a synced temporary file, so a reader,
// the daemon's reload, sees one file or the other). what names the edit in
// the message when the file changed meanwhile.
func rewrite(path, what string, edit func(old []byte) ([]byte, error), check func(old, edited []byte) error) (backupPath string, err error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	old, err := os.ReadFile(real)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	edited, err := edit(old)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if err := check(old, edited); err != nil {
		return "", err
	}
	// Someone may have saved the file while we were at it: their edit
	// wins, and the operator tries again.
	if now, err := os.ReadFile(real); err != nil || !bytes.Equal(now, old) {
		return "", fmt.Errorf("%s changed while %s was being written; nothing was written, try again", path, what)
	}
	if backupPath, err = writeBackup(real, old, info.Mode().Perm()); err != nil {
		return "", err
	}
	if err := renameio.WriteFile(real, edited, info.Mode().Perm(), renameio.WithStaticPermissions(info.Mode().Perm())); err != nil {
		return backupPath, fmt.Errorf("write %s: %w", real, err)
	}
	return backupPath, nil
}

// checkEdit makes sure that edited is a valid config whose topic has the new
// rule, and that nothing else changed from old: the edit works on bytes,
// and this is what proves it hit the rule and only the rule.
func checkEdit(old, edited []byte, path, topicID, rule string, lookupEnv func(string) (string, bool)) error {
	cfg, err := Parse(edited, path, lookupEnv)
	if err != nil {
		return err
	}
	i := topicIndex(cfg.Topics, topicID)
	if i < 0 || cfg.Topics[i].Rule != rule {
		return fmt.Errorf("%s: the rule of %s could not be written exactly as given; nothing was written", path, topicID)
	}
	var before, after map[string]any
	if err := yaml.Unmarshal(old, &before); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := yaml.Unmarshal(edited, &after); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if topics, _ := before["topics"].([]any); i < len(topics) {
		if topic, ok := topics[i].(map[string]any); ok {
			topic["rule"] = strings.ReplaceAll(rule, "$", "$$")
		}
	}
	if !reflect.DeepEqual(before, after) {
		return fmt.Errorf("%s: writing the rule of %s would have changed more than the rule; nothing was written", path, topicID)
	}
	return nil
}

func topicIndex(topics []Topic, id string) int {
	for i, t := range topics {
		if t.ID == id {
			return i
		}
	}
	return -1
}

// replaceRule returns data with the topic's rule: key and value rewritten.
func replaceRule(data []byte, topicID, rule string) ([]byte, error) {
	key, value, err := findRule(data, topicID)
	if err != nil {
		return nil, err
	}
	lines := lineStarts(data)
	start := byteOffset(data, lines, key.Line, key.Column)
	end, comment := valueEnd(data, lines, key, value)
	text, err := ruleText(rule, key.Column-1)
	if err != nil {
		return nil, err
	}
	first, rest, multiline := strings.Cut(text, "\n")
	// A comment on the old value's header line moves to the new one. One
	// after the old value's last line stays where it is, unless the new
	// value is a block: the comment would then end up inside it, so it
	// moves to the header line too.
	eol := end + len(bytes.TrimSuffix(data[end:end+lineLen(data[end:])], []byte("\r")))
	switch trailer := string(data[end:eol]); {
	case comment != "":
		first += " " + comment
	case multiline && strings.TrimSpace(trailer) != "":
		first += trailer
		end = eol
	}
	if multiline {
		text = first + "\n" + rest
	} else {
		text = first
	}
	if bytes.Contains(data, []byte("\r\n")) {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	return splice(data, start, end, text), nil
}

func splice(data []byte, start, end int, text string) []byte {
	out := make([]byte, 0, len(data)-(end-start)+len(text))
	out = append(out, data[:start]...)
	out = append(out, text...)
	return append(out, data[end:]...)
}

// findRule finds the key and value nodes of the topic's rule.
func findRule(data []byte, topicID string) (key, value *yaml.Node, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil, fmt.Errorf("%w %q: the file is empty", ErrNoTopic, topicID)
	}
	_, topics := mappingValue(doc.Content[0], "topics")
	if topics == nil || topics.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("%w %q: the file has no topics: list", ErrNoTopic, topicID)
	}
	for _, t := range topics.Content {
		if _, id := mappingValue(t, "id"); id == nil || id.Value != topicID {
			continue
		}
		key, value := mappingValue(t, "rule")
		if key == nil {
			return nil, nil, fmt.Errorf("topic %s has no rule: to replace", topicID)
		}
		return key, value, nil
	}
	return nil, nil, fmt.Errorf("%w %q", ErrNoTopic, topicID)
}

// mappingValue returns the key and value nodes of a key of a mapping.
func mappingValue(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// ruleText is "rule: VALUE" as YAML writes it, its continuation lines (a
// block scalar's) indented to sit under a key at column indent.
func ruleText(rule string, indent int) (string, error) {
	value := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ReplaceAll(rule, "$", "$$")}
	if strings.Contains(strings.TrimRight(rule, "\n"), "\n") {
		value.Style = yaml.LiteralStyle
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "rule"}, value}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("encode the rule: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode the rule: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	pad := strings.Repeat(" ", indent)
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, "\n"), nil
}

// lineStarts returns the byte offset of the start of every line; lines are
// numbered from 1 like yaml.Node's, so index 0 is unused.
func lineStarts(data []byte) []int {
	starts := []int{0, 0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// byteOffset turns a yaml.Node line and column (1-based, in characters)
// into a byte offset.
func byteOffset(data []byte, lines []int, line, col int) int {
	if line < 1 || line >= len(lines) {
		return len(data)
	}
	off := lines[line]
	for range col - 1 {
		if off >= len(data) || data[off] == '\n' {
			break
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off
}

func lineLen(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i
	}
	return len(b)
}

func indentOf(line []byte) int {
	return len(line) - len(bytes.TrimLeft(line, " "))
}

func blank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }

// line returns line n (1-based) without its line end.
func line(data []byte, lines []int, n int) []byte {
	l := data[lines[n]:]
	return bytes.TrimSuffix(l[:lineLen(l)], []byte("\r"))
}

// valueEnd returns the byte offset just after a rule's value, and for a
// block scalar the comment on its header line ("" if none). The yaml package
// gives where a node starts, not where it ends, so the end is found from the
// scalar's style, as the YAML spec delimits it.
func valueEnd(data []byte, lines []int, key, value *yaml.Node) (int, string) {
	start := byteOffset(data, lines, value.Line, value.Column)
	switch {
	case value.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return blockEnd(data, lines, key, value)
	case value.Style&yaml.DoubleQuotedStyle != 0:
		return quotedEnd(data, start, '"'), ""
	case value.Style&yaml.SingleQuotedStyle != 0:
		return quotedEnd(data, start, '\''), ""
	}
	return plainEnd(data, lines, key, value.Line, start), ""
}

// blockEnd: a block scalar's content is the lines after its header that are
// blank or indented at least as far as its first non-blank line, which
// must be indented further than the key. Trailing blank lines are left
// where they are, with any line end.
func blockEnd(data []byte, lines []int, key, value *yaml.Node) (int, string) {
	headerLine := line(data, lines, value.Line)
	headerStart := byteOffset(data, lines, value.Line, value.Column) - lines[value.Line]
	header := string(headerLine[headerStart:])
	comment := ""
	if i := strings.Index(header, "#"); i >= 0 {
		comment = strings.TrimSpace(header[i:])
	}
	end := lines[value.Line] + len(headerLine)
	indent := -1
	for n := value.Line + 1; n < len(lines); n++ {
		l := line(data, lines, n)
		if blank(l) {
			continue
		}
		if indent < 0 {
			indent = indentOf(l)
			if indent <= key.Column-1 {
				break
			}
		}
		if indentOf(l) < indent {
			break
		}
		end = lines[n] + len(l)
	}
	return end, comment
}

// quotedEnd returns the offset just after the closing quote of a quoted
// scalar starting at start. Inside single quotes a quote is written twice,
// inside double quotes escaped with a backslash.
func quotedEnd(data []byte, start int, quote byte) int {
	for i := start + 1; i < len(data); i++ {
		switch {
		case quote == '"' && data[i] == '\\':
			i++
		case data[i] == quote && quote == '\'' && i+1 < len(data) && data[i+1] == '\'':
			i++
		case data[i] == quote:
			return i + 1
		}
	}
	return len(data)
}

// plainEnd: a plain scalar ends at a comment (" #") or the end of its line,
// and goes on over following lines indented further than its key that are
// neither comments nor blank (a blank line inside it counts only when more
// of it follows).
func plainEnd(data []byte, lines []int, key *yaml.Node, first, start int) int {
	end := start + len(plainPart(data[start:start+lineLen(data[start:])]))
	for n := first + 1; n < len(lines); n++ {
		l := line(data, lines, n)
		switch {
		case blank(l):
			continue
		case indentOf(l) <= key.Column-1 || bytes.HasPrefix(bytes.TrimLeft(l, " "), []byte("#")):
			return end
		}
		end = lines[n] + len(plainPart(l))
	}
	return end
}

// plainPart is a line of a plain scalar without a trailing comment and
// spaces.
func plainPart(l []byte) []byte {
	if i := bytes.Index(l, []byte(" #")); i >= 0 {
		l = l[:i]
	}
	return bytes.TrimRight(l, " \t")
}

// writeBackup copies the old file beside it, under a name that says when;
// a second backup within the same second gets a suffix rather than
// replacing the first.
func writeBackup(path string, data []byte, perm fs.FileMode) (string, error) {
	base := path + ".bak-" + time.Now().UTC().Format("20060102T150405")
	name := base
	for i := 2; ; i++ {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			name = fmt.Sprintf("%s-%d", base, i)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		_, err = f.Write(data)
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			os.Remove(name)
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		return name, nil
	}
}
