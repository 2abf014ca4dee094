package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

func TestAdminInboxes(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores

		body := f.page("/admin/inboxes/new")
		for _, ch := range models.Channels {
			if !strings.Contains(body, `<option value="`+string(ch)+`"`) {
				t.Fatalf("channel %s not offered", ch)
			}
		}
		resp, body := f.post("/admin/inboxes/new", url.Values{"name": {"Support"}, "channel": {"email"}, "address": {"not an address"}})
		f.wantFieldError(resp, body, "Enter a valid e-mail address")
		resp, body = f.post("/admin/inboxes/new", url.Values{"name": {"Support"}, "channel": {"fax"}})
		f.wantFieldError(resp, body, "Choose one of the listed channels.")
		resp, _ = f.post("/admin/inboxes/new", url.Values{"name": {"Support"}, "channel": {"email"}, "address": {"Help@Example.com"}, "active": {"yes"}})
		f.wantRedirect(resp, "/admin/inboxes")
		resp, body = f.post("/admin/inboxes/new", url.Values{"name": {"Support"}, "channel": {"chat"}})
		f.wantFieldError(resp, body, "Another inbox already has this name.")

		in, err := st.Inboxes.ByName(ctx, "Support")
		if err != nil || in.Address != "help@example.com" || !in.Active || in.Channel != models.ChannelEmail {
			t.Fatalf("inbox = %+v, %v", in, err)
		}
		if body := f.page("/admin/inboxes"); !strings.Contains(body, "help@example.com") || !strings.Contains(body, "<td>E-mail</td>") {
			t.Fatalf("list:\n%s", body)
		}

		// In use: cannot be deleted, can be deactivated.
		p, err := st.Pipelines.Add(ctx, models.NewPipeline{Name: "P", OpenStage: "a", ClosedStage: "b"})
		if err != nil {
			t.Fatal(err)
		}
		tk := ticketInStage(t, f.s, p, p.Stages[0])
		th := models.Thread{TicketID: tk.ID, Channel: models.ChannelEmail, InboxID: &in.ID, CreatedAt: time.Now().UTC()}
		if err := st.Tickets.CreateThread(ctx, &th); err != nil {
			t.Fatal(err)
		}
		iURL := "/admin/inboxes/" + strconv.FormatInt(in.ID, 10)
		if body := f.page(iURL); !strings.Contains(body, `id="inbox-in-use"`) {
			t.Fatal("the page does not say the inbox is in use")
		}
		resp, body = f.post(iURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantFieldError(resp, body, "deactivate it instead")
		resp, _ = f.post(iURL, url.Values{"name": {"Support (old)"}, "channel": {"email"}, "address": {"help@example.com"}})
		f.wantRedirect(resp, "/admin/inboxes")
		if got, _ := st.Inboxes.ByID(ctx, in.ID); got.Active || got.Name != "Support (old)" {
			t.Fatalf("after deactivating: %+v", got)
		}

		f.wantGuarded([]string{"/admin/inboxes", "/admin/inboxes/new", iURL}, map[string]url.Values{
			"/admin/inboxes/new": {"name": {"Forged"}, "channel": {"chat"}},
			iURL:                 {"name": {"Forged"}, "channel": {"chat"}},
			iURL + "/delete":     {"confirm": {"yes"}},
		})
		if got, _ := st.Inboxes.ByID(ctx, in.ID); got.Name != "Support (old)" {
			t.Fatalf("a refused request changed the inbox: %+v", got)
		}

		// An unused inbox can be deleted.
		resp, _ = f.post("/admin/inboxes/new", url.Values{"name": {"Chat"}, "channel": {"chat"}})
		wantStatus(t, resp, http.StatusSeeOther)
		chat, _ := st.Inboxes.ByName(ctx, "Chat")
		cURL := "/admin/inboxes/" + strconv.FormatInt(chat.ID, 10)
		resp, _ = f.post(cURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantRedirect(resp, "/admin/inboxes")
		wantStatus(t, f.admin.get(cURL), http.StatusNotFound)
	})
}
