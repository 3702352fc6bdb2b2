package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tailorhq/tailor/internal/events"
	"github.com/tailorhq/tailor/internal/lifecycle"
	"github.com/tailorhq/tailor/internal/links"
	"github.com/tailorhq/tailor/internal/store"
	"github.com/tailorhq/tailor/workflows"
)

// The preference page: what the customer likes, offered as the shop's own colours, sizes and
// categories to tick (chips) with a field for anything else; which emails they want; a pause;
// whether the shop may learn from what they do; and below the form everything the shop holds
// about them and where each piece came from, each learned item with a button that removes it.
//
// Every button posts the one form: Save as shown, or Remove (form="prefs", outside the form
// element so that Enter in a text field saves rather than removes), which saves as shown without
// that item. Either way it is one preferences event (events.Service.Preferences): the stop-learning
// choice is stored with the signal that tells the workflow, and the workflow saves the lists.

// Form field names.
const (
	fieldColorChip, fieldSizeChip, fieldCategoryChip = "color", "size", "category"
	fieldColors, fieldSizes, fieldCategories         = "colors", "sizes", "categories"
	fieldStopLearning                                = "stop_learning"
	fieldRemove                                      = "remove" // "<list field>/<value>", e.g. colors/blue
)

// preferencesForm is the preference page's form as shown.
type preferencesForm struct {
	Lists        []choiceList // colours, sizes, categories
	Kinds        []kindBox
	Paused       bool
	StopLearning bool
}

// choiceList is one list of the form: chips for the catalogue's values and the customer's own,
// and a field for more.
type choiceList struct {
	Field      string // the chips' name: color, size, category
	OtherField string // the text field's name and id: colors, sizes, categories
	Label      string // the shop's label: Colours, Kinds of bundles
	OtherLabel string
	Chips      []chip
	Other      string // what was typed, shown again when there are problems
}

type chip struct {
	Value, Label string
	Checked      bool
}

type kindBox struct {
	Value   lifecycle.Kind
	Label   string
	Checked bool
}

// preferencesData is what the page is built from.
type preferencesData struct {
	customer lifecycle.Customer
	held     store.Held
	offered  lifecycle.Preferences // the catalogue's
	status   workflows.Status
	running  bool // status is the workflow's; false: no workflow answered
}

// load reads what the page shows: the store's, the catalogue's and the workflow's. It answers the
// request itself and returns false when the store fails.
func (s *server) load(w http.ResponseWriter, r *http.Request, l language, c lifecycle.Customer) (preferencesData, bool) {
	d := preferencesData{customer: c}
	var err error
	if d.held, err = s.Customers.Held(r.Context(), c.ID); err != nil {
		s.storeFailed(w, l, c.ID, err)
		return d, false
	}
	if d.offered, err = s.Customers.CatalogueChoices(r.Context()); err != nil {
		s.storeFailed(w, l, c.ID, err)
		return d, false
	}
	// Only the workflow knows the kinds chosen, the pause and the usage; without one, all kinds are
	// wanted and no usage is known.
	ctx, cancel := context.WithTimeout(r.Context(), statusTimeout)
	defer cancel()
	if st, err := s.Lifecycle.Status(ctx, c.ID); err == nil {
		d.status, d.running = st, true
	}
	return d, true
}

func (s *server) preferencesPage(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.claimedCustomer(w, r, links.PurposePreferences)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	d, ok := s.load(w, r, l, c)
	if !ok {
		return
	}
	form := l.formOf(d.held.Preferences, d.offered, s.Vocabulary)
	form.StopLearning = !d.held.LearningStoppedAt.IsZero()
	if d.running {
		form.Paused = d.status.Paused
		if len(d.status.Kinds) > 0 {
			form.Kinds = l.kindBoxes(func(k lifecycle.Kind) bool { return slices.Contains(d.status.Kinds, k) })
		}
	}
	s.render(w, http.StatusOK, "preferences", s.preferencesView(l, d, form))
}

func (s *server) savePreferences(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.claimedCustomer(w, r, links.PurposePreferences)
	if !ok {
		return
	}
	l := s.customerLanguage(r, c)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.message(w, http.StatusBadRequest, l, l.FormUnreadable)
		return
	}
	d, ok := s.load(w, r, l, c)
	if !ok {
		return
	}
	sig, form, removed, problems := parsePreferences(l, r.PostForm, d.offered, s.Vocabulary)
	v := s.preferencesView(l, d, form)
	if len(problems) > 0 {
		v.Problems = problems
		s.render(w, http.StatusUnprocessableEntity, "preferences", v)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), signalTimeout)
	defer cancel()
	res, err := s.Events.Preferences(ctx, events.Preferences{CustomerID: c.ID, Signal: sig})
	if err != nil {
		s.Logger.Error("preferences not recorded", "customer_id", c.ID, "error", err.Error())
		v.Failed = true
		s.render(w, http.StatusServiceUnavailable, "preferences", v)
		return
	}
	if res.DeliveryError != nil {
		s.Logger.Warn("preferences recorded; their signal stays owed and the worker delivers it", "customer_id", c.ID, "error", res.DeliveryError.Error())
	}
	s.Logger.Info("preferences saved", "customer_id", c.ID, "kinds", len(sig.Kinds), "paused", sig.Paused,
		"stop_learning", sig.StopLearning, "removed", removed != "")
	// The event layer stored the learning choice; the workflow saves the lists when it gets the
	// signal: show what was sent.
	if h, err := s.Customers.Held(r.Context(), c.ID); err == nil {
		d.held = h
	}
	d.held.Preferences = sig.Preferences
	form = l.formOf(sig.Preferences, d.offered, s.Vocabulary)
	form.Paused, form.StopLearning = sig.Paused, sig.StopLearning
	form.Kinds = l.kindBoxes(func(k lifecycle.Kind) bool { return slices.Contains(sig.Kinds, k) })
	v = s.preferencesView(l, d, form)
	v.Saved = true
	if removed != "" {
		v.Notice = fmt.Sprintf(l.Pref.Removed, quoted(removed))
	}
	s.render(w, http.StatusOK, "preferences", v)
}

// formOf is the form showing prefs, with the catalogue's values offered.
func (l language) formOf(prefs, offered lifecycle.Preferences, words lifecycle.Vocabulary) preferencesForm {
	f := preferencesForm{Kinds: l.kindBoxes(func(lifecycle.Kind) bool { return true })} // all, until the workflow says otherwise
	for _, list := range l.lists(words) {
		list.Chips = list.chips(offered, prefs)
		f.Lists = append(f.Lists, list.choiceList)
	}
	return f
}

// listDef is one of the three lists and how to reach its part of a Preferences.
type listDef struct {
	choiceList
	get       func(*lifecycle.Preferences) *[]string
	translate func(string) string
	sizes     bool // sorted as sizes, not by label
}

func (l language) lists(words lifecycle.Vocabulary) []listDef {
	other := func(label string) string { return fmt.Sprintf(l.Pref.Other, strings.ToLower(label)) }
	return []listDef{
		{choiceList: choiceList{Field: fieldColorChip, OtherField: fieldColors, Label: l.Colors, OtherLabel: other(l.Colors)},
			get:       func(p *lifecycle.Preferences) *[]string { return &p.Colors },
			translate: func(v string) string { return words.Color(v, l.Lang) }},
		{choiceList: choiceList{Field: fieldSizeChip, OtherField: fieldSizes, Label: l.Sizes, OtherLabel: other(l.Sizes)},
			get:       func(p *lifecycle.Preferences) *[]string { return &p.Sizes },
			translate: func(v string) string { return sizeLabel(words, v, l.Lang) }, sizes: true},
		{choiceList: choiceList{Field: fieldCategoryChip, OtherField: fieldCategories, Label: l.Categories, OtherLabel: other(l.Categories)},
			get:       func(p *lifecycle.Preferences) *[]string { return &p.Categories },
			translate: func(v string) string { return words.Category(v, l.Lang) }},
	}
}

// chips offers the catalogue's values and the customer's own (kept even when the catalogue does
// not have them), the customer's ticked.
func (d listDef) chips(offered, chosen lifecycle.Preferences) []chip {
	mine := *d.get(&chosen)
	var out []chip
	values := lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: append(slices.Clone(*d.get(&offered)), mine...)}).Colors
	for _, v := range values {
		out = append(out, chip{Value: v, Label: d.translate(v), Checked: slices.Contains(mine, v)})
	}
	if d.sizes {
		slices.SortStableFunc(out, func(a, b chip) int { return compareSizes(a.Value, b.Value) })
	} else {
		slices.SortStableFunc(out, func(a, b chip) int { return cmp.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)) })
	}
	return out
}

// letterSizes are the sizes written as letters, smallest first.
var letterSizes = []string{"xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl", "3xl", "4xl"}

// sizeLabel is size as the customer reads it: the shop's word, else letter sizes in capitals
// (sizes are stored in lower case: "xl" is XL).
func sizeLabel(words lifecycle.Vocabulary, size, locale string) string {
	w := words.Size(size, locale)
	if w == size && slices.Contains(letterSizes, size) {
		return strings.ToUpper(size)
	}
	return w
}

// compareSizes orders sizes as a shop's size chart does: numbers by value, then letter sizes
// from small to large, then anything else alphabetically.
func compareSizes(a, b string) int {
	rank := func(s string) (int, float64) {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64); err == nil {
			return 0, f
		}
		if i := slices.Index(letterSizes, strings.ToLower(s)); i >= 0 {
			return 1, float64(i)
		}
		return 2, 0
	}
	ka, va := rank(a)
	kb, vb := rank(b)
	return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(va, vb), cmp.Compare(a, b))
}

// parsePreferences validates the posted form. It returns the signal to send, the form to show
// again (as posted when there are problems), the item removed (its label; "" for a save) and
// every problem found.
func parsePreferences(l language, form url.Values, offered lifecycle.Preferences, words lifecycle.Vocabulary) (workflows.PreferencesSignal, preferencesForm, string, []string) {
	var (
		problems []string
		prefs    lifecycle.Preferences
		removed  string
		shown    = preferencesForm{StopLearning: form.Get(fieldStopLearning) != "", Paused: form.Get("paused") != ""}
	)
	removeField, removeValue, _ := strings.Cut(form.Get(fieldRemove), "/")
	removeValue = lifecycle.Normalize(removeValue)
	for _, d := range l.lists(words) {
		// Chips are single values (a value may hold a comma); the text field is a list.
		var ticked []string
		for _, v := range form[d.Field] {
			got, p := checkItems(l, []string{v}, d.Label)
			ticked, problems = append(ticked, got...), append(problems, p...)
		}
		typed, p := splitList(l, form.Get(d.OtherField), d.Label)
		problems = append(problems, p...)
		if len(ticked)+len(typed) > maxItems {
			problems = append(problems, fmt.Sprintf(l.TooMany, d.Label))
		}
		list := lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: append(ticked, typed...)}).Colors // normalized, sorted, once
		if d.OtherField == removeField && removeValue != "" {
			if i := slices.Index(list, removeValue); i >= 0 {
				list = slices.Delete(list, i, i+1)
				removed = d.translate(removeValue)
			}
		}
		*d.get(&prefs) = list

		// Shown again as posted: the chips ticked, the text as typed.
		shownList := d.choiceList
		var chosen lifecycle.Preferences
		*d.get(&chosen) = lifecycle.Preferences{}.Merge(lifecycle.Preferences{Colors: ticked}).Colors
		shownList.Chips = d.chips(offered, chosen)
		shownList.Other = form.Get(d.OtherField)
		shown.Lists = append(shown.Lists, shownList)
	}

	var kinds []lifecycle.Kind
	for _, k := range form["kind"] {
		kind := lifecycle.Kind(k)
		if !knownKind(kind) {
			problems = append(problems, fmt.Sprintf(l.NoSuchKind, quoted(k)))
			continue
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	if len(kinds) == 0 && !shown.Paused {
		problems = append(problems, l.NoKind)
	}
	shown.Kinds = l.kindBoxes(func(k lifecycle.Kind) bool { return slices.Contains(kinds, k) })
	sig := workflows.PreferencesSignal{Preferences: prefs, Kinds: kinds, Paused: shown.Paused, StopLearning: shown.StopLearning}
	return sig, shown, removed, problems
}

// splitList splits a comma- or newline-separated list, trimming and normalizing each item.
func splitList(l language, s, label string) ([]string, []string) {
	return checkItems(l, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }), label)
}

// checkItems normalizes each item and checks it as the import does.
func checkItems(l language, raw []string, label string) ([]string, []string) {
	var items, problems []string
	for _, r := range raw {
		item := lifecycle.Normalize(r)
		switch {
		case item == "":
			continue
		case lifecycle.CheckLine(label, item, len(item)) != nil: // the import's rules, without its byte cap
			problems = append(problems, fmt.Sprintf(l.BadCharacters, label, quoted(item)))
		case utf8.RuneCountInString(item) > maxItemRunes:
			problems = append(problems, fmt.Sprintf(l.TooLong, label, quoted(truncate(item, maxItemRunes))))
		default:
			items = append(items, item)
		}
	}
	return items, problems
}

func quoted(s string) string { return "“" + s + "”" }

func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
