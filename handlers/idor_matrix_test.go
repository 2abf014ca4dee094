package handlers

// SECURITY AC-01, AC-03, AC-06 for what the portal serves today: every role probes every
// customer route that names a ticket or a file, with every form of id, as a page and as an htmx
// fragment. A probe the role may not see answers as a ticket that does not exist would (404
// for a customer; for a visitor or a staff member the same answer as for a made-up id, so no
// answer tells which ids exist), a refused reply writes nothing, and no answer anywhere holds an
// internal note's canary or a ticket the role may not see.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// idorTarget is a ticket planted for the matrix, with its files.
type idorTarget struct {
	ticket       models.Ticket
	owner        models.Contact
	publicFile   string // public id of the file on its customer message
	noteFile     string // public id of the file on its internal note
	publicCanary string // a word only its own conversation holds
}

func TestPortalIDORMatrix(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		ctx := context.Background()
		gilC, err := w.s.app.Stores.Contacts.ByEmail(ctx, "gil@globex.example")
		if err != nil {
			t.Fatal(err)
		}
		_, agentPass := w.s.staff(models.RoleAgent, "agent@example.com")
		agentB := w.s.browser()
		wantStatus(t, agentB.login("agent@example.com", agentPass), http.StatusSeeOther)

		plant := func(owner models.Contact, name string) idorTarget {
			t.Helper()
			tk := w.ticket(t, owner, "Subject-"+name)
			th, err := w.s.app.Stores.Tickets.LatestThread(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			file := func(content, filename string) models.Attachment {
				key, size, sum, err := w.s.app.Storage.Put(ctx, strings.NewReader(content))
				if err != nil {
					t.Fatal(err)
				}
				return models.Attachment{PublicID: app.NewToken()[:32], Filename: filename, Size: size,
					ContentType: "text/plain", StorageKey: key, SHA256: sum, CreatedAt: w.s.app.Now()}
			}
			canary := "PUBLIC-" + name + "-WORD"
			public := models.Message{ThreadID: th.ID, TicketID: tk.ID, AuthorKind: models.AuthorContact, AuthorContactID: &owner.ID,
				Body: canary, Attachments: []models.Attachment{file(canary, name+"-public.txt")}}
			note := models.Message{ThreadID: th.ID, TicketID: tk.ID, AuthorKind: models.AuthorStaff, IsInternal: true,
				Body: "INTERNAL-CANARY-note-" + name, Attachments: []models.Attachment{file("INTERNAL-CANARY-file", "INTERNAL-CANARY-"+name+".txt")}}
			for _, m := range []*models.Message{&public, &note} {
				if err := w.s.app.Stores.Tickets.AddMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			return idorTarget{ticket: tk, owner: owner, publicFile: public.Attachments[0].PublicID,
				noteFile: note.Attachments[0].PublicID, publicCanary: canary}
		}
		targets := []idorTarget{plant(w.annC, "ann"), plant(w.benC, "ben"), plant(gilC, "gil")}
		last := targets[len(targets)-1].ticket.Number

		type role struct {
			name    string
			b       *browser
			contact *models.Contact
			csrf    string // a token of the role's own session, so that a refusal is about the object
		}
		roles := []role{
			{"visitor", w.s.browser(), nil, ""},
			{"ann", w.ann, &w.annC, w.ann.csrf("/portal")},
			{"ben", w.ben, &w.benC, w.ben.csrf("/portal")},
			{"gil", w.gil, &gilC, w.gil.csrf("/portal")},
			{"agent", agentB, nil, agentB.csrf("/desk")},
		}
		mayRead := func(r role, tg idorTarget, shared bool) bool {
			if r.contact == nil {
				return false
			}
			return r.contact.ID == tg.owner.ID ||
				(shared && r.contact.CompanyID != nil && tg.owner.CompanyID != nil && *r.contact.CompanyID == *tg.owner.CompanyID)
		}
		// Ids that name no ticket a customer may see, whoever asks: past the last ticket, zero,
		// negative, past int64, injection attempts.
		noTicket := []string{"T-" + strconv.FormatInt(last+1, 10), strconv.FormatInt(last+1000, 10), "T-0", "0", "-1", "T--1",
			"T-9223372036854775807", "9223372036854775808", "1 OR 1=1", "T-1001'--", "\x00", "../../admin"}
		noFile := []string{"0", "-1", strings.Repeat("0", 32), app.NewToken()[:32], "../../etc/passwd", "\x00"}

		probes, leaks := 0, 0
		messages := func() int64 {
			var n int64
			db.Gorm.Model(&models.Message{}).Count(&n)
			return n
		}
		leak := func(format string, args ...any) {
			t.Helper()
			leaks++
			t.Errorf(format, args...)
		}
		// check reads an answer: never a note's canary, and nothing of a ticket the role may
		// not see.
		check := func(r role, label string, resp *http.Response, shared bool) (int, string) {
			t.Helper()
			probes++
			body := readBody(t, resp)
			if strings.Contains(body, "INTERNAL-CANARY") {
				leak("%s %s: an internal note's canary in the answer", r.name, label)
			}
			for _, tg := range targets {
				if !mayRead(r, tg, shared) && (strings.Contains(body, tg.publicCanary) || strings.Contains(body, tg.ticket.Subject)) {
					leak("%s %s: the answer shows %s, which %s may not see", r.name, label, tg.ticket.Ref(), r.name)
				}
			}
			return resp.StatusCode, redirectPath(resp)
		}
		type answer struct {
			status int
			loc    string
		}

		for _, shared := range []bool{false, true} {
			w.setPortal(t, func(p *models.PortalSettings) {
				p.TicketVisibility = models.VisibilityOwn
				if shared {
					p.TicketVisibility = models.VisibilityCompany
				}
			})
			for _, r := range roles {
				// What a made-up id gets is the answer every unreadable id must get.
				refused := map[string]answer{}
				get := func(label, path string, htmx bool) (int, string) {
					t.Helper()
					var extra []string
					if htmx {
						extra = []string{"HX-Request", "true"}
					}
					return check(r, fmt.Sprintf("GET %s (htmx %v, shared %v)", label, htmx, shared), r.b.get(path, extra...), shared)
				}
				for _, htmx := range []bool{false, true} {
					for _, route := range []string{"/portal/tickets/%s", "/portal/tickets/%s/thread", "/portal/events?ticket=%s"} {
						at := func(id string) string {
							if strings.Contains(route, "?") {
								return fmt.Sprintf(route, url.QueryEscape(id))
							}
							return fmt.Sprintf(route, url.PathEscape(id))
						}
						for _, id := range noTicket {
							path := at(id)
							status, loc := get(path, path, htmx)
							if status == http.StatusOK {
								leak("%s GET %s: 200 for an id that names no ticket", r.name, path)
							}
							if r.contact != nil && status != http.StatusNotFound {
								t.Errorf("%s GET %s: status %d, want 404", r.name, path, status)
							}
							refused[fmt.Sprint(route, htmx)] = answer{status, loc}
						}
						for _, tg := range targets {
							if route == "/portal/events?ticket=%s" && mayRead(r, tg, shared) {
								continue // an open stream; TestPortalEventStreamsAreScoped reads those
							}
							for _, id := range []string{tg.ticket.Ref(), strconv.FormatInt(tg.ticket.Number, 10)} {
								path := at(id)
								status, loc := get(path, path, htmx)
								want := refused[fmt.Sprint(route, htmx)]
								switch {
								case mayRead(r, tg, shared) && status != http.StatusOK:
									t.Errorf("%s GET %s: status %d, want 200 (theirs to see)", r.name, path, status)
								case !mayRead(r, tg, shared) && (answer{status, loc}) != want:
									leak("%s GET %s: %d %q, but a made-up id gets %d %q", r.name, path, status, loc, want.status, want.loc)
								}
							}
						}
					}
				}

				// Files: a public file follows its ticket; a note's file is nobody's in the portal.
				var refusedFile answer
				for _, id := range noFile {
					path := "/portal/attachments/" + url.PathEscape(id)
					status, loc := get(path, path, false)
					if status == http.StatusOK || (r.contact != nil && status != http.StatusNotFound) {
						leak("%s GET /portal/attachments/%s: status %d, want 404", r.name, id, status)
					}
					refusedFile = answer{status, loc}
				}
				for _, tg := range targets {
					for _, f := range []struct {
						id       string
						readable bool
					}{{tg.publicFile, mayRead(r, tg, shared)}, {tg.noteFile, false}} {
						path := "/portal/attachments/" + f.id
						resp := r.b.get(path)
						probes++
						body := readBody(t, resp)
						switch {
						case f.readable && (resp.StatusCode != http.StatusOK || body != tg.publicCanary):
							t.Errorf("%s GET %s: status %d, want their file", r.name, path, resp.StatusCode)
						case !f.readable && (answer{resp.StatusCode, redirectPath(resp)}) != refusedFile:
							leak("%s GET %s (shared %v): %d, but a made-up id gets %d", r.name, path, shared, resp.StatusCode, refusedFile.status)
						case !f.readable && strings.Contains(body, "CANARY"):
							leak("%s GET %s: the note's file in the answer", r.name, path)
						}
					}
				}

				// Replies to tickets the role may not see write nothing.
				for _, tg := range targets {
					if mayRead(r, tg, shared) {
						continue
					}
					for _, id := range append([]string{tg.ticket.Ref()}, noTicket[:4]...) {
						before := messages()
						form := url.Values{"body": {"probe reply"}}
						if r.csrf != "" {
							form.Set("_csrf", r.csrf)
						}
						path := "/portal/tickets/" + url.PathEscape(id) + "/reply"
						status, _ := check(r, "POST "+path, r.b.do("POST", path, form), shared)
						if messages() != before {
							leak("%s POST %s: a reply was stored", r.name, path)
						}
						if status < 300 || (r.contact != nil && status != http.StatusNotFound) {
							leak("%s POST %s: status %d", r.name, path, status)
						}
					}
				}

				// The listing and its search show only what the role may see.
				for _, q := range []string{"", "?view=org", "?q=Subject", "?q=CANARY", "?view=org&q=PUBLIC", "?status=all&view=org"} {
					get("listing "+q, "/portal"+q, false)
					get("listing "+q, "/portal"+q, true)
				}
			}
		}
		t.Logf("AC-01/AC-03/AC-06: %d probes, %d leaks", probes, leaks)
		if probes < 1000 {
			t.Fatalf("only %d probes: the matrix lost its rows", probes)
		}
	})
}

// redirectPath is where a redirect leads, without its query: a sign-in page's "next" repeats
// the address asked for, which tells nothing about whether it exists.
func redirectPath(resp *http.Response) string {
	loc, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
	return loc
}
