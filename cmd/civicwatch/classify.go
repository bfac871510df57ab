package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/civicwatch/civicwatch/internal/match"
)

// classified is one output line of classify.
type classified struct {
	ID     json.RawMessage `json:"id"`
	Topics []string        `json:"topics"` // config order; [] rather than null
	Hits   []topicHit      `json:"hits"`
}

type topicHit struct {
	Topic string `json:"topic"`
	match.Hit
}

// cmdClassify matches stories read as JSON lines from stdin and writes one
// JSON line per story. A broken line is reported on stderr with its number
// and the rest are still classified, so one bad row does not hide the
// verdicts on the others; the exit status then says something went wrong.
func cmdClassify(e *env, args []string) error {
	if err := e.parseFlags(flag.NewFlagSet("classify", flag.ContinueOnError), args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.Topics) == 0 {
		return &configError{fmt.Errorf("%s has no topics to classify with", cfg.Path)}
	}
	rules := cfg.Rules
	out := bufio.NewWriter(e.stdout)
	var stories, failed int
	err = eachLine(e.stdin, maxLine, func(n int, line []byte, lineErr error) error {
		var s *inputStory
		if lineErr == nil {
			s, lineErr = parseStory(line)
		}
		if lineErr != nil {
			failed++
			fmt.Fprintf(e.stderr, "civicwatch classify: line %d: %v\n", n, lineErr)
			return nil
		}
		stories++
		c := classified{ID: s.ID, Topics: []string{}, Hits: []topicHit{}}
		if len(c.ID) == 0 {
			c.ID = json.RawMessage("null")
		}
		for _, r := range rules.Match(s.story()) {
			c.Topics = append(c.Topics, r.Topic)
			for _, h := range r.Hits {
				c.Hits = append(c.Hits, topicHit{Topic: r.Topic, Hit: h})
			}
		}
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		out.Write(b)
		return out.WriteByte('\n')
	})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lines could not be read", failed, failed+stories)
	}
	return nil
}
