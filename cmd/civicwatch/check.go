package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/civicwatch/civicwatch/internal/config"
)

func cmdCheck(e *env, args []string) error {
	if err := e.parseFlags(flag.NewFlagSet("check", flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := config.Load(e.global.config)
	var problems *config.Errors
	if errors.As(err, &problems) {
		fmt.Fprintln(e.stdout, problems.Error())
		fmt.Fprintf(e.stdout, "%s: %d problem(s)\n", e.global.config, len(problems.Problems))
		return &configError{fmt.Errorf("%s is invalid", e.global.config)}
	}
	if err != nil {
		return &configError{err}
	}
	enabled := 0
	for _, f := range cfg.Feeds {
		if f.Enabled {
			enabled++
		}
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d feeds (%d enabled)\n", cfg.Path, len(cfg.Feeds), enabled)
	for _, n := range cfg.RedundantTerms() {
		fmt.Fprintf(e.stdout, "%s: note: %s; one of them can go\n", cfg.Path, n)
	}
	return nil
}
