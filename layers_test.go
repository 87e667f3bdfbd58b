package dtlsgo

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The layering the package comment (dtlsconn.go) states: export/ → the
// root package (the façade) → internal/ packages. A package's imports are
// read with go/build, tests excluded.

const modulePath = "github.com/dtlsgo/dtlsgo"

// moduleImports returns the import paths, inside this module, that the
// package in dir imports (non-test files, this platform's build tags).
func moduleImports(t *testing.T, dir string) []string {
	t.Helper()
	p, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	var own []string
	for _, imp := range p.Imports {
		if imp == modulePath || strings.HasPrefix(imp, modulePath+"/") {
			own = append(own, imp)
		}
	}
	return own
}

// internalPackages lists every directory under internal/ holding Go
// files of a package (not only tests).
func internalPackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir("internal", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(path, 0); err == nil {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestInternalPackagesImportNeitherTheRootNorExport(t *testing.T) {
	dirs := internalPackages(t)
	if len(dirs) == 0 {
		t.Fatal("no internal packages found")
	}
	above := []string{modulePath, modulePath + "/export", modulePath + "/cshim"}
	for _, dir := range dirs {
		// Internal packages import only internal packages, so checking
		// each one's direct imports covers every path down from it.
		for _, imp := range moduleImports(t, dir) {
			if slices.Contains(above, imp) || !strings.HasPrefix(imp, modulePath+"/internal/") {
				t.Errorf("%s imports %s: internal packages sit below the façade and import only each other", dir, imp)
			}
		}
	}
}

// What each engine package must not know, read from its imports: the
// trust store knows neither pion nor connections, the transport and the
// socket know no record format, the record format knows no I/O.
var mustNotImport = map[string][]string{
	"internal/trust":     {"github.com/pion/", modulePath + "/internal/record", modulePath + "/internal/socket", modulePath + "/internal/transport"},
	"internal/transport": {modulePath + "/internal/record"},
	"internal/socket":    {"github.com/pion/", modulePath + "/internal/record", modulePath + "/internal/transport"},
	"internal/record":    {modulePath + "/internal/socket", modulePath + "/internal/transport"},
}

func TestEnginePackagesKeepToTheirJob(t *testing.T) {
	for dir, banned := range mustNotImport {
		p, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range p.Imports {
			for _, b := range banned {
				if imp == b || strings.HasPrefix(imp, b) {
					t.Errorf("%s imports %s", dir, imp)
				}
			}
		}
	}
}

func TestExportSeesOnlyTheFacade(t *testing.T) {
	for _, imp := range moduleImports(t, "export") {
		if imp != modulePath && imp != modulePath+"/cshim" {
			t.Errorf("export/ imports %s: the cgo boundary reaches the engine only through the root package", imp)
		}
	}
}

func TestEveryInternalPackageSaysItsJob(t *testing.T) {
	for _, dir := range internalPackages(t) {
		p, _ := build.ImportDir(dir, build.ImportComment)
		if !strings.HasPrefix(p.Doc, "Package "+p.Name+" ") {
			t.Errorf("%s has no package comment saying its job (got %q)", dir, p.Doc)
		}
	}
}
