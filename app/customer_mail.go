package app

import (
	"context"
	"sort"

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
		Subject: a.Tr.T(lang, "mail."+kind+".subject", data...),
		Text:    a.Tr.T(lang, "mail."+kind+".body", data...),
		Kind:    kind,
	})
}
