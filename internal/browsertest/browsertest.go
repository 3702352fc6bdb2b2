// Package browsertest loads pages in a real headless Chromium, driven with chromedp, for tests
// that must see what a browser sees: charts laid out, no console errors. Test-only: its name ends
// in "test", so scripts/test.sh's fence keeps it out of production code.
//
// The browser is CHROMIUM_PATH, else /usr/bin/chromium (Debian's chromium package, which
// scripts/test.sh installs when missing). Without it a test fails when run under scripts/test.sh
// or CI (TAILOR_REQUIRE_BROWSER=1 or CI set), and skips, saying what to install, when run by hand.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// DefaultPath is where Debian's chromium package puts the browser.
const DefaultPath = "/usr/bin/chromium"

// Path returns the browser to run, or ends the test as the package doc says.
func Path(t testing.TB) string {
	t.Helper()
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		path = DefaultPath
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	msg := fmt.Sprintf("browsertest: no Chromium at %s (CHROMIUM_PATH): install it with `apt-get install -y chromium` "+
		"(scripts/test.sh does, as root), or set CHROMIUM_PATH to a Chromium or Chrome binary", path)
	if os.Getenv("TAILOR_REQUIRE_BROWSER") != "" || os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Page is one loaded page in its own headless browser.
type Page struct {
	Ctx context.Context // chromedp's context of the tab: pass it to chromedp.Run

	mu     sync.Mutex
	errors []string
}

// Open starts a headless browser, loads fileOrURL (a file path is turned into a file:// URL),
// waits for the body, and closes the browser when the test ends.
func Open(t testing.TB, fileOrURL string) *Page {
	t.Helper()
	path := Path(t)
	url := fileOrURL
	if !strings.Contains(url, "://") {
		abs, err := filepath.Abs(fileOrURL)
		if err != nil {
			t.Fatalf("browsertest: %s: %v", fileOrURL, err)
		}
		url = "file://" + abs
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI; the page is our own file
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1600),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)

	p := &Page{Ctx: tabCtx}
	err := chromedp.Listen(tabCtx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				p.record("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			p.record(fmt.Sprintf("exception at %s:%d: %s", ev.ExceptionDetails.URL, ev.ExceptionDetails.LineNumber, ev.ExceptionDetails.Text))
		}
	})
	if err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	if err := chromedp.Do(tabCtx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("browsertest: load %s in %s: %v", url, path, err)
	}
	return p
}

func (p *Page) record(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errors = append(p.errors, msg)
}

// Errors returns the console errors and uncaught exceptions seen so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Screenshot saves a full-page PNG as dir/name and returns its path.
func (p *Page) Screenshot(t testing.TB, dir, name string) string {
	t.Helper()
	png, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: save screenshot: %v", err)
	}
	return path
}
