package app

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"portico/models"
)

// Limits of the consent text an admin may publish.
const (
	ConsentNoticeMax = 20000 // bytes of notice HTML
	ConsentLabelMax  = 200   // characters of checkbox label
)

// consentPolicy is the one HTML policy for consent notices (SECURITY XSS-01/02): paragraphs,
// line breaks, emphasis, lists and links to http, https and mailto addresses. Every other
// element and attribute goes, hx-* and data-hx-* included, so a notice can neither run script
// nor steer htmx. Links open in a new tab without handing over the opener or the referrer. A
// bluemonday policy is safe for concurrent use once built, and it is never changed afterwards.
var consentPolicy = newConsentPolicy()

func newConsentPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "em", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}

// SanitizeConsent returns the consent notice reduced to the allowed HTML subset. It runs when
// a notice is published and again whenever one is shown, so a row written by any other path
// is still safe. It is idempotent: sanitising its own output changes nothing.
func SanitizeConsent(html string) string {
	html = strings.ToValidUTF8(strings.ReplaceAll(html, "\x00", ""), "\uFFFD")
	return strings.TrimSpace(consentPolicy.Sanitize(html))
}

// cleanLabel makes the checkbox label one line of plain text: control characters dropped and
// runs of white space (line breaks included) turned into single spaces.
func cleanLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.Join(strings.Fields(s), " ")
}

// CurrentConsent returns the newest consent text; ok is false on an installation where none
// has been published yet.
func (a *App) CurrentConsent(ctx context.Context) (c models.ConsentText, ok bool, err error) {
	c, err = a.Stores.Consent.Current(ctx)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return models.ConsentText{}, false, nil
	case err != nil:
		return models.ConsentText{}, false, err
	}
	return c, true, nil
}

// PublishConsent publishes notice and label as a new consent version, the notice sanitised,
// but only when either differs from the current version: consent records point at versions,
// and a version that says the same as the last one would only add noise. It returns the
// current version afterwards and whether it is new. An empty notice with an empty label means
// the registration form asks for no consent. byStaff is the admin publishing (0: nobody).
func (a *App) PublishConsent(ctx context.Context, notice, label string, byStaff int64) (models.ConsentText, bool, error) {
	if len(notice) > ConsentNoticeMax {
		return models.ConsentText{}, false, models.Invalid("notice", "error.too_long")
	}
	notice, label = SanitizeConsent(notice), cleanLabel(label)
	switch {
	case utf8.RuneCountInString(label) > ConsentLabelMax:
		return models.ConsentText{}, false, models.Invalid("checkbox_label", "error.consent_label_long")
	case label == "" && notice != "":
		return models.ConsentText{}, false, models.Invalid("checkbox_label", "error.consent_label_required")
	}
	cur, _, err := a.CurrentConsent(ctx)
	if err != nil {
		return models.ConsentText{}, false, err
	}
	if cur.Notice == notice && cur.CheckboxLabel == label {
		return cur, false, nil // unchanged (or still nothing at all on a fresh install)
	}
	next := models.ConsentText{Notice: notice, CheckboxLabel: label, CreatedAt: a.Now()}
	if byStaff > 0 {
		next.CreatedByID = &byStaff
	}
	if err := a.Stores.Consent.Publish(ctx, &next); err != nil {
		return models.ConsentText{}, false, err
	}
	a.Log.Info("consent text published", "version", next.Version, "staff", byStaff)
	return next, true, nil
}
