package app

import (
	"context"
	"sort"
	"strings"
	"unicode"

	"portico/models"
)

// mailTemplate sends one of the account e-mails (verify, register_notice, reset, invite) in the
// reader's language. Subject and body are translated messages "mail.<kind>.subject" and
// "mail.<kind>.body" filled with vars; bodies are plain text, so nothing in vars can become
// markup.
func (a *App) mailTemplate(ctx context.Context, lang, to, kind string, vars map[string]string) error {
	return a.mailWith(ctx, a.Stores, lang, to, kind, vars)
}

// mailWith is mailTemplate through the given stores, so that an e-mail belonging to work done in
// a transaction commits or rolls back with it.
func (a *App) mailWith(ctx context.Context, st *models.Stores, lang, to, kind string, vars map[string]string) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	data := make([]any, 0, 2*len(vars))
	for _, k := range keys {
		data = append(data, k, vars[k])
	}
	if !a.Tr.Supports(lang) {
		lang = "en"
	}
	return a.SendEmail(ctx, st, Email{
		To:      to,
		Subject: oneLine(a.Tr.T(lang, "mail."+kind+".subject", data...), maxMailSubject),
		Text:    a.Tr.T(lang, "mail."+kind+".body", data...),
		Kind:    kind,
	})
}

// oneLine makes a subject built from user data (a ticket's subject, a name) fit a header: line
// breaks and other control characters become spaces, runs of spaces one, and a text longer
// than max runes is cut with an ellipsis. SendEmail still refuses anything else.
func oneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}
