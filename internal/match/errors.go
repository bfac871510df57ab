package match

import (
	"fmt"
	"strings"
)

// Error is one problem in the rules: in a topic's rule (Topic ≥ 0, Offset a
// byte offset into that rule) or in a list (Topic < 0, List and Term name it).
type Error struct {
	Topic  int    // index of the topic, -1 for a list problem
	List   string // the list, for a list problem
	Term   int    // index of the term in the list
	Offset int    // byte offset into the rule where the problem starts
	Token  string // the offending token, "" at the end of the rule
	Msg    string
}

func (e *Error) Error() string {
	if e.Topic < 0 && e.Term < 0 {
		return fmt.Sprintf("list %s: %s", e.List, e.Msg)
	}
	if e.Topic < 0 {
		return fmt.Sprintf("list %s, term %d: %s", e.List, e.Term+1, e.Msg)
	}
	return fmt.Sprintf("topic %d, offset %d: %s", e.Topic+1, e.Offset, e.Msg)
}

// Errors is every problem Compile found.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
