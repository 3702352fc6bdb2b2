package browsertest

import (
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The widths every email and page is looked at in the gallery: a phone and a desktop mail pane.
const (
	PhoneWidth   = 375
	DesktopWidth = 800
)

// GalleryDir is where the screenshots a person looks through go: TAILOR_GALLERY_DIR (scripts/test.sh
// sets .run/gallery), else the test's temp dir, logged. sub (e.g. "emails") is made inside it.
func GalleryDir(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv("TAILOR_GALLERY_DIR")
	if root == "" {
		root = t.TempDir()
	}
	dir := filepath.Join(root, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: make the gallery folder: %v", err)
	}
	return dir
}

// View sets the viewport to width: below DesktopWidth as a phone (the viewport meta tag
// honoured, 2x pixels), else as a desktop window.
func (p *Page) View(t testing.TB, width int64) {
	t.Helper()
	action := chromedp.EmulateViewport(width, 900)
	if width < DesktopWidth {
		action = chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(p.Ctx, action); err != nil {
		t.Fatalf("browsertest: set the viewport to %d px: %v", width, err)
	}
}

// Layout is what CheckLayout measured of the page as it is shown now.
type Layout struct {
	Viewport, Scroll int      // the viewport's width and the document's scroll width, in CSS px
	Wide             []string // elements sticking out past the viewport's right edge
	NoAlt            []string // images without alt text (src shown)
	Broken           []string // images that did not load (src shown)
}

// CheckLayout waits for the page's images, then reports what a reader would stumble on: a
// sideways scroll, an element past the right edge, an image without alt text or one that did not
// load. The returned Layout is empty of complaints when all is well; what names the page in the
// test's errors.
func (p *Page) CheckLayout(t testing.TB, what string) Layout {
	t.Helper()
	// Images load after the body is ready; wait until each has loaded or failed.
	if err := chromedp.Do(p.Ctx, chromedp.Poll[chromedp.Void](`[...document.images].every(i => i.complete)`)); err != nil {
		t.Fatalf("browsertest: wait for the images of the %s: %v", what, err)
	}
	got, err := chromedp.Run(p.Ctx, chromedp.Evaluate[Layout](`(() => {
		const vw = document.documentElement.clientWidth;
		const wide = [...document.body.querySelectorAll("*")]
			.filter(e => e.getBoundingClientRect().right > vw + 0.5)
			.map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + ": " + (e.innerText || "").slice(0, 40));
		const imgs = [...document.images];
		return {
			Viewport: vw, Scroll: document.documentElement.scrollWidth, Wide: wide,
			NoAlt: imgs.filter(i => !(i.getAttribute("alt") || "").trim()).map(i => i.src.slice(0, 80)),
			Broken: imgs.filter(i => i.naturalWidth === 0).map(i => i.src.slice(0, 80)),
		};
	})()`))
	if err != nil {
		t.Fatalf("browsertest: measure the %s: %v", what, err)
	}
	if got.Scroll > got.Viewport || len(got.Wide) > 0 {
		t.Errorf("the %s overflows a %d px viewport: %d px wide, sticking out: %v", what, got.Viewport, got.Scroll, got.Wide)
	}
	if len(got.NoAlt) > 0 {
		t.Errorf("the %s has images without alt text: %v", what, got.NoAlt)
	}
	if len(got.Broken) > 0 {
		t.Errorf("the %s has images that did not load: %v", what, got.Broken)
	}
	return got
}

// WriteGalleryIndex writes root/index.html: every PNG under root, grouped by folder, phone and
// desktop side by side, each linking to the full picture. It is written from what is on disk, so
// tests of several packages that share TAILOR_GALLERY_DIR each leave a complete index.
func WriteGalleryIndex(t testing.TB, root string) string {
	t.Helper()
	var shots []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".png") {
			rel, _ := filepath.Rel(root, path)
			shots = append(shots, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatalf("browsertest: list the gallery %s: %v", root, err)
	}
	slices.Sort(shots)
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tailor: every email and page</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;background:#f6f6f4;color:#222}h2{margin-top:40px}
figure{display:inline-block;vertical-align:top;margin:0 16px 24px 0}figcaption{font-size:13px;margin-bottom:4px}
img{border:1px solid #ccc;background:#fff;max-height:520px}</style></head><body>
<h1>Tailor: every email and page, at phone and desktop width</h1>
`)
	group := ""
	for _, s := range shots {
		if g := filepath.Dir(s); g != group {
			group = g
			fmt.Fprintf(&b, "<h2>%s</h2>\n", html.EscapeString(g))
		}
		name := html.EscapeString(strings.TrimSuffix(filepath.Base(s), ".png"))
		fmt.Fprintf(&b, `<figure><figcaption>%s</figcaption><a href="%s"><img src="%s" alt="%s" loading="lazy"></a></figure>`+"\n",
			name, html.EscapeString(s), html.EscapeString(s), name)
	}
	b.WriteString("</body></html>\n")
	index := filepath.Join(root, "index.html")
	tmp := index + ".tmp-" + filepath.Base(t.TempDir())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		t.Fatalf("browsertest: write the gallery index: %v", err)
	}
	if err := os.Rename(tmp, index); err != nil {
		t.Fatalf("browsertest: write the gallery index: %v", err)
	}
	return index
}
