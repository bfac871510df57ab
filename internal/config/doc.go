// Package config loads and checks civicwatch's YAML configuration.
//
// Loading is deliberately unforgiving but helpful: every mistake in the file
// (unknown keys, unset environment variables, bad durations, duplicate feed
// ids, ...) is collected with its line and column and returned together in an
// *Errors, so a user fixes the whole file in one pass instead of one error per
// daemon restart.
//
// The pipeline is:
//
//  1. parse the text into a yaml.Node tree (syntax errors stop here);
//  2. walk the tree against the decode structs: reject unknown and duplicate
//     keys, reject lists where values belong, expand ${VAR} in scalar values
//     and remember where every field sits in the file;
//  3. decode the cleaned tree into the decode structs (rawFile and friends),
//     turning yaml's type errors into Problems;
//  4. resolve each section: apply defaults, validate, build the public types;
//  5. compile the topics' rules over the term lists (package match), unless
//     those sections already have problems, mapping each rule error's byte
//     offset back to a line and column of the file (scalar.go).
//
// Adding a section (digest, smtp, ...) means: a decode struct
// with yaml tags and pointer fields for optional values, a field for it in
// rawFile, a public struct in Config, and a resolve function that applies
// defaults and reports problems by field path. Steps 1-3 work from the yaml
// tags and need no change.
package config
