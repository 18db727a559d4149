package errcode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, one level above this package.
const repoRoot = ".."

// declaredCode is one exported constant of type errcode.Code found in the
// module's Go source.
type declaredCode struct {
	value string
	where string // file:line and package, for messages
	pkg   string
}

// declaredCodes parses every non-test Go file of the module and returns each
// exported constant declared with type Code (in this package) or errcode.Code
// (elsewhere) and a string literal value. Parsing rather than a list kept by
// hand means a code added anywhere is checked without touching this test.
func declaredCodes(t *testing.T) []declaredCode {
	t.Helper()
	var out []declaredCode
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "dist", "testdata":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && path != repoRoot {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if !isCodeType(vs.Type, f.Name.Name) {
					continue
				}
				for i, name := range vs.Names {
					if !name.IsExported() || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						return err
					}
					rel, _ := filepath.Rel(repoRoot, path)
					out = append(out, declaredCode{
						value: v,
						where: rel + ":" + strconv.Itoa(fset.Position(name.Pos()).Line),
						pkg:   f.Name.Name,
					})
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no codes found: is repoRoot right?")
	}
	return out
}

func isCodeType(e ast.Expr, pkg string) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return pkg == "errcode" && e.Name == "Code"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "errcode" && e.Sel.Name == "Code"
	}
	return false
}

func goCodes(t *testing.T) []string {
	var codes []string
	for _, c := range declaredCodes(t) {
		codes = append(codes, c.value)
	}
	slices.Sort(codes)
	return codes
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var codeWord = regexp.MustCompile(`[A-Z][A-Z0-9_]*[A-Z0-9]`)

// dtsUnion returns the string literals of `export type MxCryptoErrorCode`.
func dtsUnion(t *testing.T) []string {
	src := readRepoFile(t, "jsbridge/js/index.d.ts")
	m := regexp.MustCompile(`(?s)export type MxCryptoErrorCode\s*=(.*?);`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("index.d.ts: no `export type MxCryptoErrorCode = …;`")
	}
	var codes []string
	for _, lit := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(stripLineComments(m[1]), -1) {
		codes = append(codes, lit[1])
	}
	return sortedUnique(codes)
}

// dtsDocList returns the codes of the "- `CODE`: …" list in the comment
// above the union.
func dtsDocList(t *testing.T) []string {
	src := readRepoFile(t, "jsbridge/js/index.d.ts")
	end := strings.Index(src, "export type MxCryptoErrorCode")
	start := strings.LastIndex(src[:end], "/**")
	if start < 0 {
		t.Fatal("index.d.ts: no doc comment above MxCryptoErrorCode")
	}
	var codes []string
	for _, m := range regexp.MustCompile("(?m)^\\s*\\*\\s*-\\s*`([A-Z0-9_]+)`").FindAllStringSubmatch(src[start:end], -1) {
		codes = append(codes, m[1])
	}
	return sortedUnique(codes)
}

// readmeList returns the backquoted codes of the README paragraph that
// begins "Every rejection is an `Error` with a `code`:".
func readmeList(t *testing.T) []string {
	src := readRepoFile(t, "README.md")
	const lead = "Every rejection is an `Error` with a `code`:"
	i := strings.Index(src, lead)
	if i < 0 {
		t.Fatalf("README.md: no paragraph starting %q", lead)
	}
	para := src[i+len(lead):]
	if j := strings.Index(para, "\n\n"); j >= 0 {
		para = para[:j]
	}
	var codes []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(para, -1) {
		if codeWord.MatchString(m[1]) && codeWord.FindString(m[1]) == m[1] {
			codes = append(codes, m[1])
		}
	}
	return sortedUnique(codes)
}

func stripLineComments(s string) string {
	return regexp.MustCompile(`//[^\n]*`).ReplaceAllString(s, "")
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// diff reports the codes in a but not in b.
func missing(a, b []string) []string {
	var out []string
	for _, c := range a {
		if !slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}

func TestCodesDeclaredOnce(t *testing.T) {
	seen := map[string]string{}
	for _, c := range declaredCodes(t) {
		if prev, ok := seen[c.value]; ok {
			t.Errorf("%s is declared twice: %s and %s (declare it once, in errcode)", c.value, prev, c.where)
		}
		seen[c.value] = c.where
	}
}

func TestCodesDeclaredInErrcode(t *testing.T) {
	for _, c := range declaredCodes(t) {
		if c.pkg != "errcode" {
			t.Errorf("%s is declared at %s: declare it in errcode/errcode.go (and alias it where it is used)", c.value, c.where)
		}
	}
}

// TestCodesListedEverywhere: every public code declared in Go appears in
// index.d.ts's union, its doc list, and the README list, and nothing else does.
func TestCodesListedEverywhere(t *testing.T) {
	goList := goCodes(t)
	for _, place := range []struct {
		name  string
		codes []string
	}{
		{"jsbridge/js/index.d.ts MxCryptoErrorCode union", dtsUnion(t)},
		{"jsbridge/js/index.d.ts list above MxCryptoErrorCode", dtsDocList(t)},
		{"README.md list (\"Every rejection is an `Error` with a `code`: …\")", readmeList(t)},
	} {
		if m := missing(goList, place.codes); len(m) > 0 {
			t.Errorf("%s lacks %v, declared in Go", place.name, m)
		}
		if m := missing(place.codes, goList); len(m) > 0 {
			t.Errorf("%s has %v, which no Go package declares (add it to errcode)", place.name, m)
		}
	}
}
