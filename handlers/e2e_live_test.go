package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// TestE2EPortalLiveAgentReply: with a ticket page open, an agent's reply appears within a second
// without a reload, and an internal note never does (SPEC T-7). Until the desk exists, the agent
// replies through app.
func TestE2EPortalLiveAgentReply(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newLiveServer(t, db)
		ctx := context.Background()
		c := s.customer(t, "Pat", "pat@example.com")
		pipe := models.Pipeline{Name: "Support", Stages: []models.PipelineStage{{Name: "New", Position: 1}}}
		if err := s.app.Stores.Pipelines.Create(ctx, &pipe); err != nil {
			t.Fatal(err)
		}
		tk := models.Ticket{Subject: "Live please", PipelineID: pipe.ID, StageID: pipe.Stages[0].ID,
			SourceChannel: models.ChannelPortal, ContactID: &c.ID}
		if err := s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
			t.Fatal(err)
		}
		agent, _ := s.staff(models.RoleAgent, "agent@example.com")

		b := newBrowser(t, s.url)
		b.open("/portal/login")
		b.portalSignIn("pat@example.com", customerPassword)
		b.waitPath("/portal")
		b.open("/portal/tickets/" + tk.Ref())
		eval[bool](b, `window.__marker = true`)
		// Wait until the page's event stream is subscribed before the agent writes.
		for i := 0; s.app.Broker.Subscribers("ticket:"+tk.Ref()) == 0; i++ {
			if i > 200 {
				t.Fatal("the ticket page never opened its event stream")
			}
			time.Sleep(25 * time.Millisecond)
		}

		if _, err := s.app.ReplyAsStaff(ctx, agent, tk.ID, "NOTE-CANARY for staff only", true); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := s.app.ReplyAsStaff(ctx, agent, tk.ID, "Fixed on our side, please retry.", false); err != nil {
			t.Fatal(err)
		}
		b.waitTrue("the live reply", `document.querySelector("#conversation")?.textContent.includes("Fixed on our side, please retry.")`)
		elapsed := time.Since(start)
		if elapsed > time.Second {
			t.Fatalf("the reply took %s to appear (target under 1 s)", elapsed)
		}
		if !eval[bool](b, `window.__marker === true`) {
			t.Fatal("the page reloaded instead of updating in place")
		}
		if strings.Contains(eval[string](b, `document.body.textContent`), "NOTE-CANARY") {
			t.Fatal("an internal note reached the customer's page")
		}
		t.Logf("agent reply to customer page: %s (target < 1 s)", elapsed.Round(time.Millisecond))
	})
}
