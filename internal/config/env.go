package config

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${NAME} in s with the variable's value. "$$" stands for
// a literal "$" (so a value can contain "${" verbatim); any other "$" is kept
// as is, because feed URLs and passwords contain dollars more often than
// anyone means to write a variable without braces.
//
// Every unset variable is named in the error, not just the first.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var unset []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			name, ok := bracedName(s[i+2:])
			if !ok {
				return "", fmt.Errorf("unterminated ${ (write $$ for a literal $)")
			}
			if !validEnvName(name) {
				return "", fmt.Errorf("invalid variable name %q in ${...}", name)
			}
			val, set := lookup(name)
			if !set {
				unset = append(unset, name)
			}
			b.WriteString(val)
			i += 2 + len(name) // now on the closing brace
		default:
			b.WriteByte('$')
		}
	}
	if len(unset) > 0 {
		return "", unsetError(unset)
	}
	return b.String(), nil
}

// bracedName returns the text up to the closing brace.
func bracedName(s string) (string, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", false
	}
	return s[:end], true
}

// validEnvName accepts the portable shell variable names: a letter or
// underscore, then letters, digits and underscores.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		digit := '0' <= c && c <= '9'
		if !letter && !(digit && i > 0) {
			return false
		}
	}
	return true
}

func unsetError(names []string) error {
	if len(names) == 1 {
		return fmt.Errorf("environment variable %s is not set", names[0])
	}
	return fmt.Errorf("environment variables %s are not set", strings.Join(names, ", "))
}
