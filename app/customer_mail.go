package app

import (
	"context"
	"sort"
)

// mailTemplate sends one of the account e-mails (verify, register_notice, reset, invite) in the
// reader's language. Subject and body are translated messages "mail.<kind>.subject" and
// "mail.<kind>.body" filled with vars; bodies are plain text, so nothing in vars can become
// markup.
func (a *App) mailTemplate(ctx context.Context, lang, to, kind string, vars map[string]string) error {
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
	return a.SendEmail(ctx, a.Stores, Email{
		To:      to,
		Subject: a.Tr.T(lang, "mail."+kind+".subject", data...),
		Text:    a.Tr.T(lang, "mail."+kind+".body", data...),
		Kind:    kind,
	})
}
