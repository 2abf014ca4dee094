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

func TestAdminPipelines(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores

		if body := f.page("/admin/pipelines"); !strings.Contains(body, "There are no pipelines yet.") {
			t.Fatalf("empty list:\n%s", body)
		}
		body := f.page("/admin/pipelines/new")
		if !strings.Contains(body, `value="New"`) || !strings.Contains(body, `value="Solved"`) {
			t.Fatal("the new-pipeline form does not suggest stage names")
		}

		// Field errors, then a pipeline; the first one becomes the default whatever the box says.
		resp, body := f.post("/admin/pipelines/new", url.Values{"name": {" "}, "open_stage": {"New"}, "closed_stage": {"Solved"}})
		f.wantFieldError(resp, body, "Enter a name of at most 80 characters.")
		resp, body = f.post("/admin/pipelines/new", url.Values{"name": {"Support"}, "open_stage": {"New"}, "closed_stage": {""}})
		f.wantFieldError(resp, body, "Enter a stage name of at most 80 characters.")
		resp, _ = f.post("/admin/pipelines/new", url.Values{"name": {"Support"}, "open_stage": {"New"}, "closed_stage": {"Solved"},
			"id": {"77"}, "position": {"-5"}})
		support, err := st.Pipelines.Default(ctx)
		if err != nil || support.Name != "Support" || support.ID == 77 || support.Position != 1 {
			t.Fatalf("default pipeline = %+v, %v", support, err)
		}
		f.wantRedirect(resp, pipelineURL(support.ID))
		resp, body = f.post("/admin/pipelines/new", url.Values{"name": {"Support"}, "open_stage": {"a"}, "closed_stage": {"b"}})
		f.wantFieldError(resp, body, "Another pipeline already has this name.")

		// A second pipeline made the default takes the flag; the old default may then go.
		resp, _ = f.post("/admin/pipelines/new", url.Values{"name": {"Sales"}, "open_stage": {"Lead"}, "closed_stage": {"Won"}, "is_default": {"yes"}})
		wantStatus(t, resp, http.StatusSeeOther)
		sales, _ := st.Pipelines.Default(ctx)
		if sales.Name != "Sales" {
			t.Fatalf("default after creating Sales as default = %q", sales.Name)
		}
		salesURL := pipelineURL(sales.ID)
		resp, body = f.post(salesURL, url.Values{"name": {"Sales"}})
		f.wantFieldError(resp, body, "There must always be a default pipeline")
		resp, _ = f.post(salesURL, url.Values{"name": {"New business"}, "is_default": {"yes"}})
		f.wantRedirect(resp, salesURL)
		body = f.page("/admin/pipelines")
		if !strings.Contains(body, "New business") || strings.Index(body, "New business") > strings.Index(body, ">Support<") {
			t.Fatalf("list does not show the renamed default first:\n%s", body)
		}

		// Deleting: unconfirmed does nothing, the default is refused with its reason.
		resp, _ = f.post(salesURL+"/delete", url.Values{})
		f.wantRedirect(resp, salesURL)
		resp, body = f.post(salesURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantFieldError(resp, body, "The default pipeline cannot be deleted.")
		supportURL := pipelineURL(support.ID)
		tk := ticketInStage(t, f.s, support, support.Stages[0])
		resp, body = f.post(supportURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantFieldError(resp, body, "This pipeline still has tickets")
		if err := db.Gorm.Exec("DELETE FROM tickets WHERE id = ?", tk.ID).Error; err != nil {
			t.Fatal(err)
		}
		resp, _ = f.post(supportURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantRedirect(resp, "/admin/pipelines")
		if _, err := st.Pipelines.ByID(ctx, support.ID); err == nil {
			t.Fatal("pipeline not deleted")
		}

		wantStatus(t, f.admin.get("/admin/pipelines/abc"), http.StatusNotFound)
		wantStatus(t, f.admin.get("/admin/pipelines/999999"), http.StatusNotFound)
		f.wantGuarded([]string{"/admin/pipelines", "/admin/pipelines/new", salesURL},
			map[string]url.Values{
				"/admin/pipelines/new":         {"name": {"Forged"}, "open_stage": {"a"}, "closed_stage": {"b"}},
				salesURL:                       {"name": {"Forged"}, "is_default": {"yes"}},
				salesURL + "/delete":           {"confirm": {"yes"}},
				salesURL + "/stages":           {"name": {"Forged"}},
				stageURL(sales, 0):             {"name": {"Forged"}},
				stageURL(sales, 0) + "/move":   {"direction": {"down"}},
				stageURL(sales, 0) + "/delete": {"confirm": {"yes"}},
			})
		if p, _ := st.Pipelines.ByID(ctx, sales.ID); p.Name != "New business" || len(p.Stages) != 2 || p.Stages[0].Name != "Lead" {
			t.Fatalf("a refused request changed the pipeline: %+v", p)
		}
	})
}

func TestAdminPipelineStages(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores
		p, err := st.Pipelines.Add(ctx, models.NewPipeline{Name: "Support", OpenStage: "New", ClosedStage: "Solved"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Properties.Create(ctx, models.PropertyInput{Key: "resolution", Label: "Resolution", Kind: models.KindText}); err != nil {
			t.Fatal(err)
		}
		pURL := pipelineURL(p.ID)
		body := f.page(pURL)
		for _, want := range []string{`name="required" type="checkbox" value="category"`, `value="resolution"`, ">Resolution<", `id="stage-new-form"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("pipeline page lacks %s:\n%s", want, body)
			}
		}

		// Add a closed stage that requires a custom property and the category.
		resp, body := f.post(pURL+"/stages", url.Values{"name": {""}, "required": {"resolution"}})
		f.wantFieldError(resp, body, "Enter a stage name of at most 80 characters.")
		if !strings.Contains(body, `id="stage-new-req-resolution" name="required" type="checkbox" value="resolution" checked`) {
			t.Fatal("the failed new-stage form lost its ticked properties")
		}
		resp, body = f.post(pURL+"/stages", url.Values{"name": {"Closed"}, "required": {"nope"}})
		f.wantFieldError(resp, body, "Choose only properties from the list.")
		resp, _ = f.post(pURL+"/stages", url.Values{"name": {"Closed"}, "is_closed": {"yes"}, "required": {"resolution", "category"}})
		f.wantRedirect(resp, pURL)
		p, _ = st.Pipelines.ByID(ctx, p.ID)
		closed := p.Stages[2]
		if closed.Name != "Closed" || !closed.IsClosed || strings.Join(closed.RequiredProperties, ",") != "category,resolution" {
			t.Fatalf("new stage = %+v", closed)
		}

		// Reorder without JavaScript: "Closed" moves up above "Solved".
		resp, _ = f.post(stageURL(p, 2)+"/move", url.Values{"direction": {"up"}})
		f.wantRedirect(resp, pURL+"#stage-"+strconv.FormatInt(closed.ID, 10))
		p, _ = st.Pipelines.ByID(ctx, p.ID)
		if p.Stages[1].ID != closed.ID {
			t.Fatalf("order after moving up: %+v", p.Stages)
		}
		resp, _ = f.post(stageURL(p, 1)+"/move", url.Values{"direction": {"sideways"}})
		wantStatus(t, resp, http.StatusBadRequest)
		body = f.page(pURL)
		if n := strings.Count(body, `value="up"`); n != 2 {
			t.Fatalf("%d move-up buttons, want 2 (none on the first stage)", n)
		}

		// Opening a stage reopens its tickets; the last closed stage cannot be opened.
		tk := ticketInStage(t, f.s, p, p.Stages[1])
		resp, _ = f.post(stageURL(p, 1), url.Values{"name": {"Waiting"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if got, _ := st.Tickets.ByID(ctx, tk.ID); got.IsClosed {
			t.Fatal("the ticket of a reopened stage is still closed")
		}
		p, _ = st.Pipelines.ByID(ctx, p.ID)
		resp, body = f.post(stageURL(p, 2), url.Values{"name": {"Solved"}})
		f.wantFieldError(resp, body, "A pipeline needs at least one closed stage.")
		if !strings.Contains(body, `id="stage-`+strconv.FormatInt(p.Stages[2].ID, 10)+`-closed-error"`) {
			t.Fatal("the error is not shown beside its stage")
		}

		// A stage with tickets cannot be deleted; an empty one can, once confirmed.
		resp, body = f.post(stageURL(p, 1)+"/delete", url.Values{"confirm": {"yes"}})
		f.wantFieldError(resp, body, "This stage still has tickets")
		resp, _ = f.post(stageURL(p, 0)+"/delete", url.Values{})
		f.wantRedirect(resp, pURL+"#stage-"+strconv.FormatInt(p.Stages[0].ID, 10))
		resp, _ = f.post(stageURL(p, 0)+"/delete", url.Values{"confirm": {"yes"}})
		f.wantRedirect(resp, pURL)
		if q, _ := st.Pipelines.ByID(ctx, p.ID); len(q.Stages) != 2 {
			t.Fatalf("stages after delete: %+v", q.Stages)
		}

		// A stage of another pipeline is not found through this one.
		other, err := st.Pipelines.Add(ctx, models.NewPipeline{Name: "Other", OpenStage: "a", ClosedStage: "b"})
		if err != nil {
			t.Fatal(err)
		}
		resp, _ = f.post(pURL+"/stages/"+strconv.FormatInt(other.Stages[0].ID, 10), url.Values{"name": {"Hijacked"}})
		wantStatus(t, resp, http.StatusNotFound)
		if o, _ := st.Pipelines.ByID(ctx, other.ID); o.Stages[0].Name != "a" {
			t.Fatal("a stage of another pipeline was renamed")
		}
	})
}

// ticketInStage creates a ticket in a stage of p.
func ticketInStage(t *testing.T, s *testServer, p models.Pipeline, stage models.PipelineStage) models.Ticket {
	t.Helper()
	now := time.Now().UTC()
	tk := models.Ticket{Subject: "s", PipelineID: p.ID, StageID: stage.ID, IsClosed: stage.IsClosed,
		SourceChannel: models.ChannelPortal, CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
	if err := s.app.Stores.Tickets.Create(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

// stageURL is the form target of p's i-th stage.
func stageURL(p models.Pipeline, i int) string {
	return pipelineURL(p.ID) + "/stages/" + strconv.FormatInt(p.Stages[i].ID, 10)
}
