package handlers

// Pipelines and their stages (SPEC D-10). A pipeline has exactly one default and always an
// open and a closed stage; a stage may require properties before a ticket enters it (D-6).
// Every change is a plain form post, so reordering works without JavaScript: each stage has
// its own form, and "move up"/"move down" are two buttons of one small form.

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// pipelineRow is one pipeline in the list.
type pipelineRow struct {
	models.Pipeline
	Tickets int64
}

// pipelinesPage is the view model of /admin/pipelines.
type pipelinesPage struct {
	Base
	Pipelines []pipelineRow
}

// pipelineForm is the pipeline form; only these fields are read. The stage names are read
// when a pipeline is created, which gives it its first open and closed stage.
type pipelineForm struct {
	Name        string `form:"name"`
	IsDefault   string `form:"is_default"`
	OpenStage   string `form:"open_stage"`
	ClosedStage string `form:"closed_stage"`
}

// stageForm is one stage's form; only these fields are read.
type stageForm struct {
	Name     string   `form:"name"`
	IsClosed string   `form:"is_closed"`
	Required []string `form:"required"`
}

// requiredOption is one property a stage may require, as a checkbox.
type requiredOption struct {
	Key, Label string
	Checked    bool
}

// stageView is one stage's form on the pipeline page.
type stageView struct {
	ID       int64
	Name     string
	IsClosed bool
	Tickets  int64
	First    bool
	Last     bool
	Required []requiredOption
	Errors   map[string]string
}

// pipelinePage is the view model of a pipeline's page (or of the new-pipeline form, ID 0).
type pipelinePage struct {
	Base
	ID        int64
	Action    string
	Form      pipelineForm
	IsDefault bool  // the saved pipeline is the default
	Tickets   int64 // tickets in the saved pipeline
	Stages    []stageView
	NewStage  stageView
	Errors    map[string]string // the pipeline form's errors; "delete" for a refused deletion
}

// showPipelines lists the pipelines with their stages and ticket counts.
func (h *Handler) showPipelines(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := h.app.Stores.Pipelines.All(ctx)
	if err != nil {
		return err
	}
	counts, err := h.app.Stores.Pipelines.TicketCounts(ctx)
	if err != nil {
		return err
	}
	vm := pipelinesPage{Base: h.base(c, "pipeline_admin.title", "admin")}
	for _, p := range all {
		vm.Pipelines = append(vm.Pipelines, pipelineRow{Pipeline: p, Tickets: counts[p.ID]})
	}
	return h.render(c, fiber.StatusOK, "pages/admin/pipelines", vm)
}

// showNewPipeline shows the form of a new pipeline, with suggested stage names.
func (h *Handler) showNewPipeline(c *fiber.Ctx) error {
	b := h.base(c, "pipeline_admin.new", "admin")
	f := pipelineForm{OpenStage: b.T("pipeline_admin.default_open_stage"), ClosedStage: b.T("pipeline_admin.default_closed_stage")}
	return h.render(c, fiber.StatusOK, "pages/admin/pipeline", pipelinePage{Base: b, Action: "/admin/pipelines/new", Form: f})
}

// createPipeline creates a pipeline with its first open and closed stage.
func (h *Handler) createPipeline(c *fiber.Ctx) error {
	var f pipelineForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	p, err := h.app.Stores.Pipelines.Add(c.UserContext(), models.NewPipeline{Name: f.Name, IsDefault: f.IsDefault == "yes",
		OpenStage: f.OpenStage, ClosedStage: f.ClosedStage})
	if err != nil {
		vm := pipelinePage{Base: h.base(c, "pipeline_admin.new", "admin"), Action: "/admin/pipelines/new", Form: f}
		if vm.Errors, err = kbFieldErrors(vm.Base, err, "name", "open_stage", "closed_stage"); err != nil {
			return err
		}
		return h.render(c, fiber.StatusOK, "pages/admin/pipeline", vm)
	}
	h.setFlash(c, "info", "flash.pipeline_saved")
	return redirect(c, pipelineURL(p.ID))
}

// showPipeline shows a pipeline's form and its stages.
func (h *Handler) showPipeline(c *fiber.Ctx) error {
	p, err := h.pipelineParam(c)
	if err != nil {
		return err
	}
	return h.renderPipeline(c, p, pipelineEdit{})
}

// savePipeline renames a pipeline and sets whether it is the default.
func (h *Handler) savePipeline(c *fiber.Ctx) error {
	p, err := h.pipelineParam(c)
	if err != nil {
		return err
	}
	var f pipelineForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	if err := h.app.Stores.Pipelines.Update(c.UserContext(), p.ID, f.Name, f.IsDefault == "yes"); err != nil {
		return h.renderPipeline(c, p, pipelineEdit{form: &f, err: err})
	}
	h.setFlash(c, "info", "flash.pipeline_saved")
	return redirect(c, pipelineURL(p.ID))
}

// deletePipeline deletes a pipeline once the confirmation box is ticked; the default one and
// one with tickets are refused with the reason shown on its page.
func (h *Handler) deletePipeline(c *fiber.Ctx) error {
	p, err := h.pipelineParam(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		h.setFlash(c, "error", "flash.modeladmin_delete_unconfirmed")
		return redirect(c, pipelineURL(p.ID))
	}
	if err := h.app.Stores.Pipelines.Delete(c.UserContext(), p.ID); err != nil {
		return h.renderPipeline(c, p, pipelineEdit{err: err})
	}
	h.setFlash(c, "info", "flash.pipeline_deleted")
	return redirect(c, "/admin/pipelines")
}

// addStage appends a stage to the pipeline.
func (h *Handler) addStage(c *fiber.Ctx) error {
	p, err := h.pipelineParam(c)
	if err != nil {
		return err
	}
	var f stageForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	in := models.StageInput{Name: f.Name, IsClosed: f.IsClosed == "yes", RequiredProperties: f.Required}
	if _, err := h.app.Stores.Pipelines.AddStage(c.UserContext(), p.ID, in); err != nil {
		return h.renderPipeline(c, p, pipelineEdit{stage: &f, err: err})
	}
	h.setFlash(c, "info", "flash.stage_saved")
	return redirect(c, pipelineURL(p.ID))
}

// saveStage renames a stage, opens or closes it and sets its required properties.
func (h *Handler) saveStage(c *fiber.Ctx) error {
	p, stageID, err := h.stageParam(c)
	if err != nil {
		return err
	}
	var f stageForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	in := models.StageInput{Name: f.Name, IsClosed: f.IsClosed == "yes", RequiredProperties: f.Required}
	if err := h.app.Stores.Pipelines.UpdateStage(c.UserContext(), p.ID, stageID, in); err != nil {
		return h.renderPipeline(c, p, pipelineEdit{stageID: stageID, stage: &f, err: err})
	}
	h.setFlash(c, "info", "flash.stage_saved")
	return redirect(c, pipelineURL(p.ID)+"#stage-"+strconv.FormatInt(stageID, 10))
}

// moveStage moves a stage one place up or down.
func (h *Handler) moveStage(c *fiber.Ctx) error {
	p, stageID, err := h.stageParam(c)
	if err != nil {
		return err
	}
	delta := 0
	switch c.FormValue("direction") {
	case "up":
		delta = -1
	case "down":
		delta = 1
	default:
		return fiber.ErrBadRequest
	}
	if err := h.app.Stores.Pipelines.MoveStage(c.UserContext(), p.ID, stageID, delta); err != nil {
		return err
	}
	return redirect(c, pipelineURL(p.ID)+"#stage-"+strconv.FormatInt(stageID, 10))
}

// deleteStage deletes a stage once the confirmation box is ticked; a stage with tickets, or
// the last open or closed one, is refused with the reason shown beside it.
func (h *Handler) deleteStage(c *fiber.Ctx) error {
	p, stageID, err := h.stageParam(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		h.setFlash(c, "error", "flash.modeladmin_delete_unconfirmed")
		return redirect(c, pipelineURL(p.ID)+"#stage-"+strconv.FormatInt(stageID, 10))
	}
	if err := h.app.Stores.Pipelines.DeleteStage(c.UserContext(), p.ID, stageID); err != nil {
		return h.renderPipeline(c, p, pipelineEdit{stageID: stageID, err: err})
	}
	h.setFlash(c, "info", "flash.stage_deleted")
	return redirect(c, pipelineURL(p.ID))
}

// pipelineEdit is what a failed post puts back on the pipeline page: the submitted pipeline
// form, or one stage's form (stageID 0 with stage set: the new-stage form), and the error.
type pipelineEdit struct {
	form    *pipelineForm
	stageID int64
	stage   *stageForm
	err     error
}

// renderPipeline shows a pipeline's page; a failed post's input and error go back where
// they were typed.
func (h *Handler) renderPipeline(c *fiber.Ctx, p models.Pipeline, e pipelineEdit) error {
	ctx := c.UserContext()
	counts, err := h.app.Stores.Pipelines.StageTicketCounts(ctx, p.ID)
	if err != nil {
		return err
	}
	defs, err := h.app.Stores.Properties.All(ctx)
	if err != nil {
		return err
	}
	vm := pipelinePage{Base: h.base(c, "pipeline_admin.edit", "admin"), ID: p.ID, Action: pipelineURL(p.ID),
		IsDefault: p.IsDefault, Form: pipelineForm{Name: p.Name}}
	if p.IsDefault {
		vm.Form.IsDefault = "yes"
	}
	if vm.Stages, err = stageViews(vm.Base, p, counts, defs, e); err != nil {
		return err
	}
	for _, st := range p.Stages {
		vm.Tickets += counts[st.ID]
	}
	vm.NewStage = stageView{Required: requiredOptions(vm.Base, defs, nil)}
	switch {
	case e.stageID == 0 && e.stage != nil:
		vm.NewStage.Name, vm.NewStage.IsClosed = e.stage.Name, e.stage.IsClosed == "yes"
		vm.NewStage.Required = requiredOptions(vm.Base, defs, e.stage.Required)
		vm.NewStage.Errors, err = kbFieldErrors(vm.Base, e.err, "name", "is_closed", "required")
	case e.stageID == 0:
		if e.form != nil {
			vm.Form = *e.form
		}
		vm.Errors, err = kbFieldErrors(vm.Base, e.err, "name", "is_default", "delete")
	}
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/pipeline", vm)
}

// stageViews builds the form of each stage; the stage a failed post was about shows the
// submitted values and the error.
func stageViews(b Base, p models.Pipeline, counts map[int64]int64, defs []models.TicketPropertyDef, e pipelineEdit) ([]stageView, error) {
	out := make([]stageView, 0, len(p.Stages))
	for i, st := range p.Stages {
		sv := stageView{ID: st.ID, Name: st.Name, IsClosed: st.IsClosed, Tickets: counts[st.ID],
			First: i == 0, Last: i == len(p.Stages)-1, Required: requiredOptions(b, defs, st.RequiredProperties)}
		if e.stageID == st.ID {
			if e.stage != nil {
				sv.Name, sv.IsClosed = e.stage.Name, e.stage.IsClosed == "yes"
				sv.Required = requiredOptions(b, defs, e.stage.Required)
			}
			var err error
			if sv.Errors, err = kbFieldErrors(b, e.err, "name", "is_closed", "required", "delete"); err != nil {
				return nil, err
			}
		}
		out = append(out, sv)
	}
	return out, nil
}

// requiredOptions lists the properties a stage may require, "category" first, ticked when
// in checked.
func requiredOptions(b Base, defs []models.TicketPropertyDef, checked []string) []requiredOption {
	out := []requiredOption{{Key: models.CategoryProperty, Label: b.T("pipeline_admin.property.category"),
		Checked: slices.Contains(checked, models.CategoryProperty)}}
	for _, d := range defs {
		out = append(out, requiredOption{Key: d.Key, Label: d.Label, Checked: slices.Contains(checked, d.Key)})
	}
	return out
}

// pipelineParam loads the pipeline named by :id (404 for anything else).
func (h *Handler) pipelineParam(c *fiber.Ctx) (models.Pipeline, error) {
	id, err := idParam(c)
	if err != nil {
		return models.Pipeline{}, err
	}
	return h.app.Stores.Pipelines.ByID(c.UserContext(), id)
}

// stageParam loads the pipeline of :id and checks that :stage is one of its stages.
func (h *Handler) stageParam(c *fiber.Ctx) (models.Pipeline, int64, error) {
	p, err := h.pipelineParam(c)
	if err != nil {
		return p, 0, err
	}
	id, err := strconv.ParseInt(c.Params("stage"), 10, 64)
	if err != nil || !slices.ContainsFunc(p.Stages, func(s models.PipelineStage) bool { return s.ID == id }) {
		return p, 0, fiber.ErrNotFound
	}
	return p, id, nil
}

func pipelineURL(id int64) string { return "/admin/pipelines/" + strconv.FormatInt(id, 10) }
