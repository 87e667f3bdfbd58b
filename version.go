package dtlsgo

import (
	_ "embed"
	"strings"
)

//go:embed VERSION
var versionFile string

// Version is dtlsgo's version: the VERSION file, which the meson project
// reads too.
var Version = strings.TrimSpace(versionFile)
