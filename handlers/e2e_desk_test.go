package handlers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// TestE2EDeskAnswersAPortalTicket: the "done when". A customer has their ticket open in
// one browser; an agent, in another browser context, opens it from the live queue, adds an
// internal note, replies and closes it in one action ("send and set status"), assigns it to
// themselves — all through the desk's forms. The customer's page shows the reply and the closed
// status live, without a reload, and never the note; the agent's queue showed the customer's
// new ticket live.
func TestE2EDeskAnswersAPortalTicket(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newLiveServer(t, db)
		ctx := context.Background()
		c := s.customer(t, "Pat", "pat@example.com")
		pipe := s.supportPipeline(t)
		_, agentPW := s.staff(models.RoleAgent, "agent@example.com")

		agent := newBrowser(t, s.url)
		agent.open("/login")
		agent.signIn("agent@example.com", agentPW)
		agent.waitPath("/desk")
		for i := 0; s.app.Broker.Subscribers("queue") == 0; i++ {
			if i > 200 {
				t.Fatal("the queue never opened its event stream")
			}
			time.Sleep(25 * time.Millisecond)
		}

		// The customer's ticket arrives (as the support form would create it): the open queue
		// shows it without a reload.
		tk := models.Ticket{Subject: "Desk journey", PipelineID: pipe.ID, StageID: pipe.Stages[0].ID,
			SourceChannel: models.ChannelPortal, ContactID: &c.ID}
		if err := s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
			t.Fatal(err)
		}
		if err := s.app.Broker.Publish(ctx, "queue", app.Event{Name: app.EventTicketCreated, Ref: tk.Ref()}); err != nil {
			t.Fatal(err)
		}
		agent.waitTrue("the new ticket in the queue", `document.querySelector("#queue")?.textContent.includes("Desk journey")`)

		customer := agent.newContext(t, "customer")
		customer.open("/portal/login")
		customer.portalSignIn("pat@example.com", customerPassword)
		customer.waitPath("/portal")
		customer.open("/portal/tickets/" + tk.Ref())
		eval[bool](customer, `window.__marker = true`)
		for i := 0; s.app.Broker.Subscribers("ticket:"+tk.Ref()) < 1; i++ {
			if i > 200 {
				t.Fatal("the customer's page never opened its event stream")
			}
			time.Sleep(25 * time.Millisecond)
		}

		// The agent opens the ticket from the queue with the keyboard-reachable link.
		agent.click(`#queue a[href="/desk/tickets/` + tk.Ref() + `"]`)
		agent.waitPath("/desk/tickets/" + tk.Ref())

		// An internal note.
		agent.click("#kind-note")
		agent.retype("reply-body", "NOTE-CANARY staff only")
		agent.submit("#reply-form button.primary")
		agent.waitTrue("the note on the desk", `document.querySelector("#conversation .internal-note")?.textContent.includes("NOTE-CANARY")`)

		// Reply and close in one action.
		agent.click("#kind-reply")
		agent.retype("reply-body", "Fixed on our side. **Please retry.**")
		agent.do("choose Solved", chromedp.SetValue(chromedp.ID("next-stage"), strconv.FormatInt(pipe.Stages[1].ID, 10)))
		start := time.Now()
		agent.submit("#reply-form button.primary")
		customer.waitTrue("the live reply", `document.querySelector("#conversation")?.textContent.includes("Fixed on our side.")`)
		customer.waitTrue("the live closed status", `document.querySelector("#conversation .status-closed") !== null`)
		elapsed := time.Since(start)
		// The clock includes the agent's own form post, redirect and page load; the event itself
		// is sent at commit. TestE2EPortalLiveAgentReply holds the 1 s target for the event alone.
		if elapsed > 2*time.Second {
			t.Fatalf("the reply took %s to reach the customer (including the agent's page load)", elapsed)
		}
		if !eval[bool](customer, `window.__marker === true`) {
			t.Fatal("the customer's page reloaded instead of updating in place")
		}
		if strings.Contains(eval[string](customer, `document.documentElement.outerHTML`), "NOTE-CANARY") {
			t.Fatal("the internal note reached the customer's page")
		}
		if !eval[bool](customer, `document.querySelector("#conversation .body.rich strong")?.textContent === "Please retry."`) {
			t.Fatal("the agent's rich text is not shown to the customer")
		}

		// Assign to me from the sidebar.
		agent.submit(`#sidebar form button:not(.primary)`)
		agent.waitTrue("assigned", `document.querySelector("#side-owner")?.value !== ""`)
		got, err := s.app.Stores.Tickets.ByID(ctx, tk.ID)
		if err != nil || got.OwnerID == nil || !got.IsClosed {
			t.Fatalf("ticket after the journey: %+v, %v", got, err)
		}
		t.Logf("desk form post to customer page: %s", elapsed.Round(time.Millisecond))
	})
}

// TestE2EAdminPagesShowNotificationsLive: an admin who owns a ticket works on the admin pages;
// when the customer writes, the header's notification badge shows it without a reload. The
// admin page listens to the admin's notifications only, not to the whole queue.
func TestE2EAdminPagesShowNotificationsLive(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	ctx := context.Background()
	c := s.customer(t, "Pat", "pat@example.com")
	pipe := s.supportPipeline(t)
	admin, pw := s.staff(models.RoleAdmin, "ada@example.com")
	tk := models.Ticket{Subject: "Owned by the admin", PipelineID: pipe.ID, StageID: pipe.Stages[0].ID,
		SourceChannel: models.ChannelPortal, ContactID: &c.ID, OwnerID: &admin.ID}
	if err := s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, s.url)
	b.adminSignIn("ada@example.com", pw)
	b.waitTrue("the badge slot in the header", `document.querySelector(".site-header .notify a")?.getAttribute("href") === "/desk/notifications"`)
	topic := app.StaffTopic(admin.ID)
	for i := 0; s.app.Broker.Subscribers(topic) == 0; i++ {
		if i > 200 {
			t.Fatal("the admin page never opened its notification stream")
		}
		time.Sleep(25 * time.Millisecond)
	}
	if n := s.app.Broker.Subscribers("queue"); n != 0 {
		t.Errorf("an admin page listens to the queue (%d subscribers)", n)
	}
	if n := eval[int](b, `document.querySelectorAll("#notify-count").length`); n != 0 {
		t.Fatalf("a badge count before any notification")
	}
	eval[bool](b, `window.__marker = true`)

	p, err := s.app.Portal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.ReplyAsContact(ctx, p, s.app.PortalScope(p, c), c, tk.Number, app.ReplyInput{Body: "Any news?"}); err != nil {
		t.Fatal(err)
	}
	b.waitTrue("the notification count in the header", `document.querySelector(".site-header #notify-count")?.textContent.trim() === "1"`)
	if !eval[bool](b, `window.__marker === true`) {
		t.Error("the admin page reloaded instead of updating its badge")
	}
}
