package record

import "testing"

func TestReplayWindow(t *testing.T) {
	var w replayWindow
	w.mark(1000)
	if w.check(1000) || !w.check(999) || w.check(0) || !w.check(1001) {
		t.Error("the window does not hold what it saw")
	}
	w.mark(1100)
	if w.check(1100) || !w.check(1099) || w.check(1100-64) {
		t.Error("the window does not slide")
	}
}
