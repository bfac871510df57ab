// Package migrations holds the numbered SQL files that build the civicwatch
// schema. They are embedded so that the binary alone can create or upgrade a
// database; store.Open applies them in order, each once, in its own transaction.
package migrations

import "embed"

// FS holds every migration. The directory lives at the repository root so an
// operator can read the schema without digging through Go packages; embed
// cannot reach "..", hence this tiny package beside the files.
//
//go:embed *.sql
var FS embed.FS
