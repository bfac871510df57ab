package match

// Rules are compiled topics, safe for concurrent use.
type Rules struct {
	topics  []Topic
	version string
}

// Compile parses and compiles every topic. It returns Errors listing every
// problem found.
func Compile(topics []Topic, lists Lists) (*Rules, error) {
	panic("unimplemented")
}

// Version identifies the rules: a hash of the topics and lists they were
// compiled from, stored with every match so stale matches can be found.
func (r *Rules) Version() string { return r.version }

// TopicIDs lists the topics in config order.
func (r *Rules) TopicIDs() []string {
	ids := make([]string, len(r.topics))
	for i, t := range r.topics {
		ids[i] = t.ID
	}
	return ids
}

// Match returns the topics the story matches, in config order.
func (r *Rules) Match(s *Story) []Result { panic("unimplemented") }

// Explain says for every topic whether it matched and why.
func (r *Rules) Explain(s *Story) []Explanation { panic("unimplemented") }
