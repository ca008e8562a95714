package dissect

import "testing"

func TestTopicMatches(t *testing.T) {
	cases := []struct {
		filter, topic string
		want          bool
	}{
		{"#", "a/b", true}, {"#", "$SYS/x", false}, {"a/#", "a", true}, {"a/#", "a/b/c", true},
		{"a/+", "a/b", true}, {"a/+", "a/b/c", false}, {"a/+", "a", false}, {"+/+", "/x", true},
		{"sensors/+/temp", "sensors/k/temp", true}, {"sensors/+/temp", "sensors/k/hum", false},
		{"a/b", "a/b", true}, {"a/b", "a/b/", false}, {"+", "", true}, {"$SYS/#", "$SYS/a", true},
	}
	for _, c := range cases {
		if got := TopicMatches(c.filter, c.topic); got != c.want {
			t.Errorf("TopicMatches(%q, %q) = %v", c.filter, c.topic, got)
		}
	}
}
