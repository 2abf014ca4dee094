package i18n

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// messages reads one message file as ID → every text it holds (one, or several plural forms).
func messages(t *testing.T, lang string) map[string][]string {
	t.Helper()
	raw, err := Messages(lang)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for id, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[id] = []string{s}
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			t.Fatalf("%s.json: %s is neither a string nor plural forms", lang, id)
		}
		for _, k := range []string{"zero", "one", "two", "few", "many", "other"} {
			if f, ok := forms[k]; ok {
				out[id] = append(out[id], f)
			}
		}
	}
	return out
}

func TestLanguagesHaveTheSameKeys(t *testing.T) {
	en, pt := messages(t, "en"), messages(t, "pt-BR")
	var missingPT, extraPT []string
	for id := range en {
		if _, ok := pt[id]; !ok {
			missingPT = append(missingPT, id)
		}
	}
	for id := range pt {
		if _, ok := en[id]; !ok {
			extraPT = append(extraPT, id)
		}
	}
	sort.Strings(missingPT)
	sort.Strings(extraPT)
	if len(missingPT) > 0 {
		t.Errorf("pt-BR.json lacks: %s", strings.Join(missingPT, ", "))
	}
	if len(extraPT) > 0 {
		t.Errorf("pt-BR.json has keys en.json does not: %s", strings.Join(extraPT, ", "))
	}
	// IDs agrees with the files.
	ids, err := IDs("pt-BR")
	if err != nil || len(ids) != len(pt) {
		t.Errorf("IDs(pt-BR) = %d ids, %v; want %d", len(ids), err, len(pt))
	}
}

func TestNoEmptyMessages(t *testing.T) {
	for _, lang := range []string{"en", "pt-BR"} {
		for id, texts := range messages(t, lang) {
			if len(texts) == 0 {
				t.Errorf("%s: %s has no text", lang, id)
			}
			for _, s := range texts {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s is empty", lang, id)
				}
			}
		}
	}
}

// sameInBoth are words Brazilian Portuguese borrows unchanged.
var sameInBoth = map[string]bool{
	"Portal": true, "Chat": true, "E-mail": true, "API": true, "WhatsApp": true,
	"Ticket": true, "Tickets": true, "Normal": true, "Status": true, "Pipeline": true,
	"{{.Subject}} [{{.Ref}}]": true, // a subject format, no words
}

func TestPortugueseIsTranslated(t *testing.T) {
	en, pt := messages(t, "en"), messages(t, "pt-BR")
	var copies []string
	same := 0
	for id, e := range en {
		p, ok := pt[id]
		if !ok || strings.Join(p, "|") != strings.Join(e, "|") {
			continue
		}
		same++
		if !sameInBoth[e[0]] {
			copies = append(copies, id+" = "+e[0])
		}
	}
	sort.Strings(copies)
	if len(copies) > 0 {
		t.Errorf("pt-BR.json repeats the English text (untranslated?):\n  %s", strings.Join(copies, "\n  "))
	}
	if same*2 >= len(en) { // most messages must differ, loanwords or not
		t.Errorf("%d of %d pt-BR messages equal the English", same, len(en))
	}
	t.Logf("pt-BR messages equal to English: %d of %d (allowlisted loanwords)", same, len(en))
}

func TestTranslator(t *testing.T) {
	tr, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, lang, id, want string }{
		{"English", "en", "login.submit", "Sign in"},
		{"Portuguese", "pt-BR", "login.submit", "Entrar"},
		{"unknown language falls back to English", "de", "login.submit", "Sign in"},
		{"missing ID returns the ID", "en", "no.such.id", "no.such.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Twice: the second answer comes from the cache of messages without data.
			for round := range 2 {
				if got := tr.T(tc.lang, tc.id); got != tc.want {
					t.Fatalf("round %d: T(%q, %q) = %q, want %q", round, tc.lang, tc.id, got, tc.want)
				}
			}
		})
	}
	if _, cached := tr.plain["en"].Load("no.such.id"); cached {
		t.Error("a missing ID was cached: the cache would grow with whatever IDs are asked for")
	}
	if !tr.Supports("pt-BR") || !tr.Supports("en") || tr.Supports("de") {
		t.Error("Supports does not match the shipped languages")
	}
	if !tr.Has("pt-BR", "login.submit") || tr.Has("pt-BR", "no.such.id") {
		t.Error("Has is wrong")
	}
}

func TestMatch(t *testing.T) {
	tr, err := New()
	if err != nil {
		t.Fatal(err)
	}
	enabled := []string{"en", "pt-BR"}
	cases := []struct{ name, header, fallback, want string }{
		{"Brazilian browser", "pt-BR,pt;q=0.9,en;q=0.8", "en", "pt-BR"},
		{"plain pt", "pt", "en", "pt-BR"},
		{"English", "en-US,en;q=0.9", "pt-BR", "en"},
		{"German falls back", "de-DE", "en", "en"},
		{"German falls back to the configured default", "de-DE", "pt-BR", "pt-BR"},
		{"empty header", "", "pt-BR", "pt-BR"},
		{"garbage header", ";;;q=x,,", "en", "en"},
		{"preference order", "en;q=0.5,pt-BR;q=0.9", "en", "pt-BR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 2 { // the second answer is the cached one
				if got := tr.Match(tc.header, enabled, tc.fallback); got != tc.want {
					t.Fatalf("round %d: Match(%q) = %q, want %q", round, tc.header, got, tc.want)
				}
			}
		})
	}
	// The cache is keyed by the enabled languages too: a portal that offers only English
	// answers English to the same Brazilian browser.
	if got := tr.Match("pt-BR,pt;q=0.9", []string{"en"}, "en"); got != "en" {
		t.Errorf("Match with English only = %q, want en", got)
	}
}

// TestMatchCacheIsBounded: Accept-Language is the client's to choose, so distinct headers beyond
// the bound are answered without being remembered.
func TestMatchCacheIsBounded(t *testing.T) {
	tr, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxAccepted + 300 {
		h := fmt.Sprintf("pt-BR;q=0.%d, en;q=0.5", i%10) + strings.Repeat(" ", i/10)
		if got := tr.Match(h, []string{"en", "pt-BR"}, "en"); got != "pt-BR" && i%10 > 5 {
			t.Fatalf("Match(%q) = %q", h, got)
		}
	}
	n := 0
	tr.accepted.Range(func(_, _ any) bool { n++; return true })
	if n > maxAccepted {
		t.Fatalf("%d headers cached, bound %d", n, maxAccepted)
	}
	if n == 0 {
		t.Fatal("nothing cached")
	}
}
