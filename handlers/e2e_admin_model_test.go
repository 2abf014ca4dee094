package handlers

// Chromium journey of the team and ticket-model admin (SPEC A-5, D-10): an admin invites an
// agent, the agent chooses a password from the e-mailed link and lands on the desk; the admin
// defines a custom property and adds a closed stage that requires it, then moves the stage.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"portico/models"
	"portico/models/dbtest"
)

func TestE2EAdminInvitesAgentAndAddsStage(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newLiveServer(t, db)
		ctx := context.Background()
		_, pw := s.staff(models.RoleAdmin, "ada@example.com")
		pipe, err := s.app.Stores.Pipelines.Add(ctx, models.NewPipeline{Name: "Support", OpenStage: "New", ClosedStage: "Solved"})
		if err != nil {
			t.Fatal(err)
		}
		admin := newBrowser(t, s.url)
		admin.adminSignIn("ada@example.com", pw)

		// Invite from the staff list.
		admin.click(`main a[href="/admin/staff"]`)
		admin.waitPath("/admin/staff")
		admin.click(`main a[href="/admin/staff/new"]`)
		admin.waitPath("/admin/staff/new")
		if !admin.checked("staff-role-agent") {
			t.Fatal("the invitation form does not default to the agent role")
		}
		admin.do("fill in the invitation",
			chromedp.SendKeys(chromedp.ID("staff-name"), "Cy Young"),
			chromedp.SendKeys(chromedp.ID("staff-email-input"), "cy@example.com"),
		)
		if status := admin.submit("#staff-form button[type=submit]"); status != http.StatusOK {
			t.Fatalf("invitation answered %d", status)
		}
		if got := admin.text("#flash [role=status]"); got != "The invitation is on its way." {
			t.Fatalf("flash after inviting = %q", got)
		}
		if got := admin.text("#staff-status"); got != "Invitation pending" {
			t.Fatalf("status after inviting = %q", got)
		}

		// The agent follows the e-mailed link in a browser of their own.
		agent := admin.newContext(t, "agent")
		link, subject := s.mailedLink(t, "cy@example.com")
		if !strings.HasPrefix(link, "/staff/invite/") || subject != "You are invited to the Portico help desk" {
			t.Fatalf("invitation e-mail: %q, link %q", subject, link)
		}
		if status := agent.open(link); status != http.StatusOK {
			t.Fatalf("invitation link answered %d", status)
		}
		if got := agent.text("main p"); got != "Account of Cy Young (cy@example.com)." {
			t.Fatalf("invitation page says %q", got)
		}
		agent.do("choose a password",
			chromedp.SendKeys(chromedp.ID("staff-new-password"), "cy's own passphrase"+kb.Enter))
		agent.waitPath("/desk")
		if got := agent.text("#flash [role=status]"); got != "Your password is saved. Welcome!" {
			t.Fatalf("flash after choosing a password = %q", got)
		}
		if got := agent.text("header form.signout .who"); got != "Cy Young" {
			t.Fatalf("signed in as %q", got)
		}
		if n := eval[int](agent, `document.querySelectorAll('header nav a[href="/admin"]').length`); n != 0 {
			t.Fatal("the agent's navigation links to the admin area")
		}

		// The admin defines a property and a closed stage that requires it.
		admin.open("/admin/properties/new")
		admin.do("define a property",
			chromedp.SendKeys(chromedp.ID("property-key"), "resolution"),
			chromedp.SendKeys(chromedp.ID("property-label"), "Resolution"),
		)
		admin.submit("#property-form button[type=submit]")
		admin.waitPath("/admin/properties")
		if got := admin.text("#property-list tbody td code"); got != "resolution" {
			t.Fatalf("property list shows %q", got)
		}

		admin.open("/admin/pipelines")
		admin.click(`#pipeline-list a[href="` + pipelineURL(pipe.ID) + `"]`)
		admin.waitPath(pipelineURL(pipe.ID))
		admin.do("describe the new stage",
			chromedp.SendKeys(chromedp.ID("stage-new-name"), "Closed with resolution"),
			chromedp.Click(chromedp.ID("stage-new-closed")),
			chromedp.Click(chromedp.ID("stage-new-req-resolution")),
		)
		admin.submit("#stage-new-form button[type=submit]")
		if got := admin.text("#flash [role=status]"); got != "The stage is saved." {
			t.Fatalf("flash after adding the stage = %q", got)
		}
		p, err := s.app.Stores.Pipelines.ByID(ctx, pipe.ID)
		if err != nil || len(p.Stages) != 3 {
			t.Fatalf("stages = %+v, %v", p.Stages, err)
		}
		added := p.Stages[2]
		if added.Name != "Closed with resolution" || !added.IsClosed || strings.Join(added.RequiredProperties, ",") != "resolution" {
			t.Fatalf("added stage = %+v", added)
		}
		prefix := "stage-" + itoa(int(added.ID))
		if !admin.checked(prefix+"-req-resolution") || admin.checked(prefix+"-req-category") || !admin.checked(prefix+"-closed") {
			t.Fatal("the stage's form does not show what was saved")
		}

		// Move it above "Solved" with its button (a plain form, no script needed).
		admin.submit("#" + prefix + ` button[name=direction][value=up]`)
		order := eval[string](admin, `[...document.querySelectorAll("#stage-list > li input[name=name]")].map(i => i.value).join("|")`)
		if order != "New|Closed with resolution|Solved" {
			t.Fatalf("stage order after moving up = %q", order)
		}
	})
}
