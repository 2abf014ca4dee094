package handlers

// The portal listing's search (SPEC T-1): when the search box holds words, the listing shows
// the scope's tickets matching them instead of a page of all of them. showPortalHome calls
// portalListing in place of Tickets.ForPortal.

import (
	"context"
	"strings"
	"unicode/utf8"

	"portico/models"
)

// portalSearchText is the search box's text as it is shown back: trimmed, at most
// models.KBQueryMax characters (what a search considers).
func portalSearchText(q string) string {
	q = strings.TrimSpace(strings.ToValidUTF8(q, ""))
	if utf8.RuneCountInString(q) > models.KBQueryMax {
		q = string([]rune(q)[:models.KBQueryMax])
	}
	return q
}

// portalListing returns the listing's rows. Without a word to search, one page of
// Tickets.ForPortal. With words, the scope's tickets matching them (SearchPortal: subject or a
// customer-visible message, newest activity first, at most models.TicketSearchMax, no further
// pages), then the open/closed choice applied to them.
func (h *Handler) portalListing(ctx context.Context, scope models.PortalScope, pq models.PortalQuery, q string) (models.PortalPage, error) {
	if len(models.SearchTerms(q)) == 0 {
		return h.app.Stores.Tickets.ForPortal(ctx, scope, pq)
	}
	rows, err := h.app.Stores.Tickets.SearchPortal(ctx, scope, pq.View, q, models.TicketSearchMax)
	if err != nil {
		return models.PortalPage{}, err
	}
	page := models.PortalPage{Rows: make([]models.PortalTicketRow, 0, len(rows))}
	for _, r := range rows {
		if pq.Status == "" || (pq.Status == "closed") == r.IsClosed {
			page.Rows = append(page.Rows, r)
		}
	}
	return page, nil
}
