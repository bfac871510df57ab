package web

import "errors"

// setTopicRule stands in for config.SetTopicRule until it lands.
var setTopicRule = func(path, topicID, rule string, lookupEnv func(string) (string, bool)) (string, error) {
	return "", errors.New("saving rules is not available in this build")
}
