package main

import "testing"

// What asking GLib whether the dtlsgo domain is printed costs: once per
// handshake (an off trace costs nothing more; see the core's
// BenchmarkTraceDisabled).
func BenchmarkTraceEnabledCheck(b *testing.B) {
	b.Setenv("G_MESSAGES_DEBUG", "")
	b.ReportAllocs()
	for b.Loop() {
		if (glibTrace{}).Enabled() {
			b.Fatal("enabled without G_MESSAGES_DEBUG")
		}
	}
}

func TestTraceEnabledFollowsGMessagesDebug(t *testing.T) {
	for value, want := range map[string]bool{"": false, "GLib-GIO": false, "dtlsgo": true, "all": true, "GLib dtlsgo": true} {
		t.Setenv("G_MESSAGES_DEBUG", value)
		if got := (glibTrace{}).Enabled(); got != want {
			t.Errorf("G_MESSAGES_DEBUG=%q: enabled %t, want %t", value, got, want)
		}
	}
}
