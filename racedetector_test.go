//go:build race

package dtlsgo

// Under the race detector sync.Pool drops a quarter of what it is given
// back, on purpose: allocation counts mean nothing then.
func init() { raceDetector = true }
