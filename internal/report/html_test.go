package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tailorhq/tailor/internal/browsertest"
	"github.com/tailorhq/tailor/internal/report"
	"github.com/tailorhq/tailor/internal/store"
)

func sampleHTMLInput() report.HTMLInput {
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var days []store.ReportDay
	for i := range 14 {
		days = append(days, store.ReportDay{Day: t0.AddDate(0, 0, i), Sent: int64(40 + 7*(i%5)), RevenueCents: int64(12000 + 3100*(i%4))})
	}
	return report.HTMLInput{
		Since: t0, Until: t0.AddDate(0, 0, 14), Days: days,
		ByKind: []report.Row{
			report.NewRow(store.ReportCounts{Group: "restock", Sent: 80, Conversions: 9, RevenueCents: 44100}),
			report.NewRow(store.ReportCounts{Group: "sale", Sent: 400, Conversions: 48, RevenueCents: 235200, HeldOut: 100, HoldoutConversions: 6, HoldoutRevenueCents: 29400}),
			report.NewRow(store.ReportCounts{Group: "season", Sent: 300, Conversions: 15, RevenueCents: 90000, HeldOut: 80, HoldoutConversions: 5, HoldoutRevenueCents: 25000}),
		},
		BySegment: []report.Row{
			report.NewRow(store.ReportCounts{Group: "loyal", Sent: 200, Conversions: 30, HeldOut: 60, HoldoutConversions: 4}),
			report.NewRow(store.ReportCounts{Group: "shopper <b>", Sent: 500, Conversions: 40, HeldOut: 120, HoldoutConversions: 9}),
		},
		ByBehaviour: []report.Row{
			report.NewRow(store.ReportCounts{Group: "churn-risk", Sent: 30, Offers: 30, OffersAccepted: 9}),
			report.NewRow(store.ReportCounts{Group: "cost-conscious", Sent: 50, Offers: 50, OffersAccepted: 11}),
		},
	}
}

// externalRef finds anything a browser would fetch: scripts, stylesheets, images, fonts.
var externalRef = regexp.MustCompile(`(?i)<script|<link|<img|<iframe|\bsrc=|@import|url\(|@font-face|href="http`)

// TestHTMLReportIsSelfContained: the file references nothing a browser would fetch, and a group
// name is escaped, not markup.
func TestHTMLReportIsSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, sampleHTMLInput()); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	html := buf.String()
	if m := externalRef.FindString(html); m != "" {
		t.Errorf("the HTML report references something from elsewhere: %q", m)
	}
	if bytes.Contains(buf.Bytes(), []byte("shopper <b>")) {
		t.Errorf("the group name \"shopper <b>\" is in the HTML unescaped")
	}
	if n := bytes.Count(buf.Bytes(), []byte("<svg")); n != 5 {
		t.Errorf("the HTML report has %d inline SVG charts, want 5", n)
	}
}

type renderedChart struct {
	ID     string  `json:"id"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Paths  int     `json:"paths"`
	Texts  int     `json:"texts"`
}

// TestHTMLReportRendersInChromium loads the report in headless Chromium: every chart is laid out
// with a non-zero box and drawn paths, nothing logs an error, and a screenshot is saved.
func TestHTMLReportRendersInChromium(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, sampleHTMLInput()); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	page := browsertest.Open(t, file)
	charts, err := chromedp.Run(page.Ctx, chromedp.Evaluate[[]renderedChart](`[...document.querySelectorAll("figure")].map(f => {
		const svg = f.querySelector("svg");
		const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
		return {id: f.id, width: box.width, height: box.height,
			paths: svg ? svg.querySelectorAll("path").length : 0, texts: svg ? svg.querySelectorAll("text").length : 0};
	})`))
	if err != nil {
		t.Fatalf("read the charts' layout: %v", err)
	}
	want := []string{"chart-emails", "chart-revenue", "chart-lift-kind", "chart-lift-segment", "chart-acceptance"}
	if len(charts) != len(want) {
		t.Fatalf("the browser shows %d charts (%+v), want %d: %v", len(charts), charts, len(want), want)
	}
	for i, c := range charts {
		if c.ID != want[i] {
			t.Errorf("chart %d is %q, want %q", i, c.ID, want[i])
		}
		if c.Width <= 0 || c.Height <= 0 || c.Paths == 0 || c.Texts == 0 {
			t.Errorf("chart %s did not render: box %.0fx%.0f, %d paths, %d texts", c.ID, c.Width, c.Height, c.Paths, c.Texts)
		}
	}
	shot := page.Screenshot(t, dir, "report.png")
	if errs := page.Errors(); len(errs) > 0 {
		t.Errorf("the browser reported errors loading %s: %v", file, errs)
	}
	t.Logf("screenshot: %s (browser test took %s)", shot, time.Since(start).Round(time.Millisecond))
}
