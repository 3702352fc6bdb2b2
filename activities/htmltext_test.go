package activities

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// letterText is what a reader sees of an email's letter (the layout's td.letter), one line per
// paragraph, list item or card row, spaces collapsed: the words to check, without the markup and
// the <style> around them.
func letterText(t *testing.T, doc string) string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("parse the email's HTML: %v", err)
	}
	letter := findClass(root, "letter")
	if letter == nil {
		t.Fatalf("the email's HTML has no td.letter:\n%s", doc)
	}
	var lines []string
	var line strings.Builder
	flush := func() {
		if s := strings.Join(strings.Fields(line.String()), " "); s != "" {
			lines = append(lines, s)
		}
		line.Reset()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			line.WriteString(n.Data)
		case n.Type == html.ElementNode && n.Data == "br":
			line.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && (n.Data == "p" || n.Data == "tr" || n.Data == "li") {
			flush()
		}
	}
	walk(letter)
	flush()
	return strings.Join(lines, "\n")
}

func findClass(n *html.Node, class string) *html.Node {
	if n.Type == html.ElementNode {
		for _, a := range n.Attr {
			if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
				return n
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := findClass(c, class); found != nil {
			return found
		}
	}
	return nil
}

// TestHTMLSaysWhatTheTextSays checks that the letter in the HTML part says what the plain-text
// part says, sentence for sentence: every paragraph of the text, apart from the product list (cards
// in the HTML) and the lines that spell out links (buttons and footer links in the HTML), is a
// paragraph of the HTML's letter. The layout changes how an email looks, never what it says.
func TestHTMLSaysWhatTheTextSays(t *testing.T) {
	for _, locale := range []string{lifecycle.LocaleEnglish, lifecycle.LocaleDutch} {
		for _, kind := range lifecycle.AllKinds {
			e := renderOf(t, locale, followUpOf(kind))
			// The HTML has always set the confirmation's quotes typographically, the text plainly.
			letter := strings.NewReplacer("“", `"`, "”", `"`).Replace(letterText(t, e.HTML))
			for _, para := range strings.Split(e.Text, "\n\n") {
				para = strings.Join(strings.Fields(para), " ")
				if para == "" || strings.HasPrefix(para, "- ") || strings.Contains(para, "https://") {
					continue
				}
				if !strings.Contains(letter, para) {
					t.Errorf("%s.%s: the HTML's letter lacks the text's paragraph %q; it says:\n%s", kind, locale, para, letter)
				}
			}
		}
	}
}
