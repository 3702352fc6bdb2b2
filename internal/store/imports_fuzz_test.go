package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// The fuzz targets check the parse and validate step of an import, not the database write: it
// never panics, every problem names a line of the file, and a file without problems holds only
// rows that keep the input rules (lifecycle.ValidateID, CheckLine, ValidateEmail), since those
// rows are what gets written. The seeds run as tests under plain `go test`.

var customerSeeds = []string{
	"id,name,email,locale,timezone,colors,sizes\nc1,Ann de Vries,ann@example.com,nl,Europe/Amsterdam,Blue; Navy ,32\n",
	"id,name,email,locale,timezone,colors,sizes,categories,consent\njörg-1,Jörg Müller,jörg@bücher.example,nl,Europe/Berlin,grün,XL,hosen,true\n",
	"\ufeffid,name,email,locale,timezone,colors,sizes\nlit,Lit,user@[192.0.2.1],en,UTC,,\n",
	"id,name,email,locale,timezone,colors,sizes\na/restock/x,Bob,bob@example.com,en,UTC,,\n",
	"id,name,email,locale,timezone,colors,sizes\nc2,\"Bob\r\nBcc: x@evil.example\",bob@example.com,en,UTC,,\n",
	"id,name,email,locale,timezone,colors,sizes\nc2,B\xffb,bob@example.com,en,UTC,\x1b[31mred,\n",
	"id,name,email,locale,timezone,colors,sizes\nc2,Bob,Bob <bob@example.com>,fr,Mars/Olympus,,\n",
	"id,name,email,locale,timezone,colors,sizes\n\"c1\n\",Ann,\"a\"\"b\",en,UTC,İİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİ,\n",
	"id,name\n\"unterminated",
	"",
}

var productSeeds = []string{
	"sku,product,name,category,color,size,price,stock,collections\nTR-BLU-32,trousers-chino,Chino,Trousers,Blue,32,79.95,3,Summer 2025;basics\n",
	"stock,price,sku,product,name,category,color,size,collections\n7,85.5,TR-BLU-32,trousers-chino,Chino slim,Trousers,Blue,32,\n",
	"sku,product,name,category,color,size,price,stock,collections\nA/1,tee,\x1b]0;pwned\x07Tee,shirts,bl\xe4ck,M,-5,two,Summer\x00\n",
	"sku,product,name,category,color,size,price,stock,collections\nA1,tee,\"Tee\nlong\",shirts,white,M,19.95,1,\nA1,,Tee,İİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİ,white,L,x,99999999999,\n",
	"sku,product,n\xe4me,category,color,size,price,stock,collections\n",
	"sku;product\n",
}

// exampleFiles are the CSVs the README and the demo import: they must keep passing the rules.
func exampleFiles(tb testing.TB, name string) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", name))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no examples/*/%s: %v", name, err)
	}
	var files []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, string(b))
	}
	return files
}

func TestExampleFilesKeepTheRules(t *testing.T) {
	for _, file := range exampleFiles(t, "customers.csv") {
		if _, problems, err := parseCustomers(strings.NewReader(file)); err != nil || len(problems) > 0 {
			t.Errorf("an example customers.csv: %v %v", problems, err)
		}
	}
	for _, file := range exampleFiles(t, "products.csv") {
		if _, problems, err := parseProducts(strings.NewReader(file)); err != nil || len(problems) > 0 {
			t.Errorf("an example products.csv: %v %v", problems, err)
		}
	}
}

func FuzzParseCustomers(f *testing.F) {
	for _, s := range append(customerSeeds, exampleFiles(f, "customers.csv")...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		customers, problems, err := parseCustomers(strings.NewReader(file))
		if err != nil {
			t.Fatalf("parseCustomers(%q): error %v; only a failing reader may give one", file, err)
		}
		checkProblemLines(t, file, problems)
		if len(problems) > 0 {
			return
		}
		seen := map[string]bool{}
		for _, c := range customers {
			if err := lifecycle.ValidateID("id", c.id); err != nil {
				t.Fatalf("parseCustomers(%q) accepted customer %q: %v", file, c.id, err)
			}
			if seen[c.id] {
				t.Fatalf("parseCustomers(%q) accepted customer %q twice", file, c.id)
			}
			seen[c.id] = true
			for _, err := range []error{
				lifecycle.CheckLine("name", c.name, lifecycle.MaxNameLen),
				lifecycle.ValidateEmail("email", c.email),
				lifecycle.CheckLine("timezone", c.timezone, lifecycle.MaxLabelLen),
			} {
				if err != nil {
					t.Fatalf("parseCustomers(%q) accepted customer %q: %v", file, c.id, err)
				}
			}
			if !lifecycle.ValidLocale(c.locale) {
				t.Fatalf("parseCustomers(%q) accepted customer %q with locale %q", file, c.id, c.locale)
			}
			for _, list := range [][]string{c.colors, c.sizes, c.categories} {
				checkLabels(t, file, c.id, list)
			}
		}
	})
}

func FuzzParseProducts(f *testing.F) {
	for _, s := range append(productSeeds, exampleFiles(f, "products.csv")...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		products, problems, err := parseProducts(strings.NewReader(file))
		if err != nil {
			t.Fatalf("parseProducts(%q): error %v; only a failing reader may give one", file, err)
		}
		checkProblemLines(t, file, problems)
		if len(problems) > 0 {
			return
		}
		seen := map[string]bool{}
		for _, p := range products {
			if err := lifecycle.ValidateID("sku", p.SKU); err != nil {
				t.Fatalf("parseProducts(%q) accepted SKU %q: %v", file, p.SKU, err)
			}
			if seen[p.SKU] {
				t.Fatalf("parseProducts(%q) accepted SKU %q twice", file, p.SKU)
			}
			seen[p.SKU] = true
			if p.Product == "" || p.PriceCents < 0 || p.Stock < 0 {
				t.Fatalf("parseProducts(%q) accepted %+v", file, p)
			}
			for _, err := range []error{
				lifecycle.CheckLine("product", p.Product, lifecycle.MaxNameLen),
				lifecycle.CheckLine("name", p.Name, lifecycle.MaxNameLen),
			} {
				if err != nil {
					t.Fatalf("parseProducts(%q) accepted SKU %q: %v", file, p.SKU, err)
				}
			}
			checkLabels(t, file, p.SKU, append([]string{p.Category, p.Color, p.Size}, p.Collections...))
		}
	})
}

// checkProblemLines fails unless every problem names a line of file (the header is line 1) and
// says something.
func checkProblemLines(t *testing.T, file string, problems []RowProblem) {
	t.Helper()
	lines := strings.Count(file, "\n") + 1
	for _, p := range problems {
		if p.Line < 1 || p.Line > lines || p.Message == "" || !utf8.ValidString(p.String()) {
			t.Fatalf("problem %+v of %q: want a line from 1 to %d, a message, valid UTF-8", p, file, lines)
		}
	}
}

func checkLabels(t *testing.T, file, id string, labels []string) {
	t.Helper()
	for _, l := range labels {
		if err := lifecycle.CheckLine("label", l, lifecycle.MaxLabelLen); err != nil {
			t.Fatalf("%q: row %q accepted a colour, size, category or collection that breaks the rules: %v", file, id, err)
		}
	}
}
