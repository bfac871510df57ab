package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"

	"github.com/google/renameio/v2"

	"github.com/civicwatch/civicwatch/internal/export"
)

// cmdLabels handles the operators' labels; export is its one subcommand
// (labels are set in the console).
func cmdLabels(e *env, args []string) error {
	if len(args) > 0 && isHelpArg(args[0]) {
		return labelsExport(e, args)
	}
	if len(args) == 0 || args[0] != "export" {
		if len(args) == 0 {
			return fmt.Errorf("%w: labels needs a subcommand: export", errUsage)
		}
		return fmt.Errorf("%w: unknown labels subcommand %q (there is: export)", errUsage, args[0])
	}
	return labelsExport(e, args[1:])
}

// labelsExport writes every labelled story as a line of labelled JSON, the
// format `civicwatch eval` scores, so the operators' judgements test the
// rules.
func labelsExport(e *env, args []string) error {
	fs := flag.NewFlagSet("labels export", flag.ContinueOnError)
	out := fs.String("out", "", "write to this file instead of stdout (replaced whole, or left as it was on error)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	// The config gives the feeds' tags, which rules test as tag:X.
	cfg, st, err := e.open()
	if err != nil {
		return err
	}
	defer st.Close()
	stories, labels, err := st.LabelledStories(e.ctx)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return export.LabelledJSONL(w, stories, labels, cfg.Feeds) }
	if *out == "" {
		bw := bufio.NewWriter(e.stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := writeFileAtomic(*out, write); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d labelled stories written to %s\n", len(stories), *out)
	return nil
}

// writeFileAtomic writes a file beside path and renames it into place, so
// a failed export never leaves half a file for eval to score.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(0o644))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer f.Cleanup()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
