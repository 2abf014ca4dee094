// Package i18n translates every string a person sees. Messages live in embedded JSON files named
// <area>.<language>.json (core.en.json, portal.pt-BR.json, …): one file per area of the product
// keeps concurrent work apart. English is the source; every other language has every ID it has.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Language is one language pages can be shown in.
type Language struct {
	Tag  string // BCP 47, e.g. "pt-BR"
	Name string // its own name for itself, e.g. "Português (Brasil)"
}

// Supported lists the languages Portico ships, default first.
var Supported = []Language{
	{Tag: "en", Name: "English"},
	{Tag: "pt-BR", Name: "Português (Brasil)"},
}

// Translator looks messages up by ID in one language, falling back to English.
type Translator struct {
	bundle     *goi18n.Bundle
	localizers map[string]*goi18n.Localizer
	matchers   sync.Map // comma-joined enabled languages → language.Matcher
	// plain caches, per language, messages asked for without data (id → text): such a message
	// is the same every time, and go-i18n's lookup allocates on every call.
	plain map[string]*sync.Map
	// accepted caches Match's answers per Accept-Language header and language list; browsers
	// send a handful of distinct headers, and parsing and matching one showed in profiles.
	accepted  sync.Map
	nAccepted atomic.Int32
}

// maxAccepted bounds the Accept-Language cache: headers are client-controlled, so beyond this
// many distinct ones Match computes without remembering.
const maxAccepted = 512

// New loads every embedded message file.
func New() (*Translator, error) {
	b := goi18n.NewBundle(language.English)
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, e.Name()); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
	}
	t := &Translator{bundle: b, localizers: map[string]*goi18n.Localizer{}, plain: map[string]*sync.Map{}}
	for _, l := range Supported {
		t.localizers[l.Tag] = goi18n.NewLocalizer(b, l.Tag, "en")
		t.plain[l.Tag] = &sync.Map{}
	}
	return t, nil
}

// T returns message id in lang. data holds template values as alternating name, value pairs
// ("Name", "Ana"); a "Count" value also picks the plural form. A missing message returns the ID
// itself, which the tests catch.
func (t *Translator) T(lang, id string, data ...any) string {
	loc, ok := t.localizers[lang]
	if !ok {
		loc, lang = t.localizers["en"], "en"
	}
	if len(data) == 0 {
		cache := t.plain[lang]
		if s, ok := cache.Load(id); ok {
			return s.(string)
		}
		s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id})
		if err != nil {
			return id // not cached: only catalogue IDs are, so the cache stays bounded
		}
		cache.Store(id, s)
		return s
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		m := make(map[string]any, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			k := fmt.Sprint(data[i])
			m[k] = data[i+1]
			if k == "Count" {
				cfg.PluralCount = data[i+1]
			}
		}
		cfg.TemplateData = m
	}
	s, err := loc.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Has reports whether lang defines id itself (without falling back).
func (t *Translator) Has(lang, id string) bool {
	loc := goi18n.NewLocalizer(t.bundle, lang)
	_, tag, err := loc.LocalizeWithTag(&goi18n.LocalizeConfig{MessageID: id})
	return err == nil && tag.String() == lang
}

// Supports reports whether lang is one of the shipped languages.
func (t *Translator) Supports(lang string) bool {
	_, ok := t.localizers[lang]
	return ok
}

// Match picks the best of the enabled languages for an Accept-Language header, or fallback.
func (t *Translator) Match(acceptLanguage string, enabled []string, fallback string) string {
	if acceptLanguage == "" || len(enabled) == 0 {
		return fallback
	}
	key := acceptLanguage + "\x00" + strings.Join(enabled, ",") + "\x00" + fallback
	if m, ok := t.accepted.Load(key); ok {
		return m.(string)
	}
	m := t.match(acceptLanguage, enabled, fallback)
	if len(acceptLanguage) <= 256 && t.nAccepted.Add(1) <= maxAccepted {
		t.accepted.Store(key, m)
	}
	return m
}

func (t *Translator) match(acceptLanguage string, enabled []string, fallback string) string {
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return fallback
	}
	_, idx, conf := t.matcherFor(enabled).Match(prefs...)
	if conf == language.No {
		return fallback
	}
	return enabled[idx]
}

// matcherFor returns a matcher over the enabled languages, built once per distinct list: building
// one per request showed up in profiles.
func (t *Translator) matcherFor(enabled []string) language.Matcher {
	key := strings.Join(enabled, ",")
	if m, ok := t.matchers.Load(key); ok {
		return m.(language.Matcher)
	}
	tags := make([]language.Tag, len(enabled))
	for i, e := range enabled {
		tags[i] = language.Make(e)
	}
	m := language.NewMatcher(tags)
	t.matchers.Store(key, m)
	return m
}

// IDs lists every message ID defined for lang across all its files, sorted (for the
// completeness tests). An ID defined twice is an error.
func IDs(lang string) ([]string, error) {
	m, err := Messages(lang)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	return ids, nil
}

// Messages returns every raw message of lang by ID, read from all of its files.
func Messages(lang string) (map[string]json.RawMessage, error) {
	names, err := fs.Glob(files, "*."+lang+".json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("i18n: no message files for %s", lang)
	}
	all := map[string]json.RawMessage{}
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for k, v := range m {
			if _, dup := all[k]; dup {
				return nil, fmt.Errorf("i18n: %s defines %s again", name, k)
			}
			all[k] = v
		}
	}
	return all, nil
}
