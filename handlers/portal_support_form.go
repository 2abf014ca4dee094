package handlers

// The portal's support form (SPEC T-9, K-5) and its admin settings page. The customer's form
// is read field by field into app.TicketSubmission: contact, company, pipeline, stage, owner
// and inbox come from the session and the settings, never from the request (STYLE 5).

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// choiceView is one option of a select.
type choiceView struct {
	Value, Label string
	Selected     bool
}

// customFieldView is one admin-defined field on the customer's form.
type customFieldView struct {
	Name, ID, Label, Value, Error string
	Textarea, Dropdown, Required  bool
	Choices                       []choiceView
}

// supportFormValues are the values typed so far, shown again after an error.
type supportFormValues struct {
	Subject, Description string
}

// supportFormPage is the view model of the support form page and its fragment.
type supportFormPage struct {
	Base
	Action              string
	Multipart           bool // attachments allowed: the form posts multipart/form-data
	Preview             bool // an admin previewing: the form is shown disabled
	Form                supportFormValues
	DescriptionRequired bool
	CategoryShown       bool
	CategoryRequired    bool
	Categories          []choiceView
	PriorityShown       bool
	Priorities          []choiceView
	Custom              []customFieldView
	MaxFiles, MaxFileMB int
	HomeURL             string
	Errors              map[string]string
}

// showSupportForm renders "Submit a support ticket" with the admin's fields.
func (h *Handler) showSupportForm(c *fiber.Ctx) error {
	return h.renderSupportForm(c, app.TicketSubmission{}, nil)
}

// submitSupportForm creates the ticket and goes to its page; invalid input shows the form
// again with the values typed. The form is read as it arrives, files straight to disk
// (uploads.go); a file over the limit is refused with 413 and the form again.
func (h *Handler) submitSupportForm(c *fiber.Ctx) error {
	v := h.viewer(c)
	if v.Contact == nil {
		// An admin previewing has no contact to file the ticket for: the form again, saying so.
		return h.renderSupportForm(c, app.TicketSubmission{}, models.Invalid("form", "error.supportform_preview"))
	}
	p := h.portal(c)
	spec := h.uploadSpecs()["portal.new.submit"]
	form, ferr := h.readUploadForm(c, spec)
	defer form.close()
	in := app.TicketSubmission{Subject: form.value("subject"), Description: form.value("description"),
		Category: form.value("category"), Priority: form.value("priority"), Custom: map[string]string{},
		Lang: h.portalLang(c)}
	for _, cf := range p.SupportForm.Fields {
		in.Custom[cf.Key] = form.value("custom_" + cf.Key)
	}
	if ferr != nil {
		in.Files = nil
		return h.uploadError(c, spec, ferr, func(msgKey string) error {
			return h.renderSupportForm(c, in, models.Invalid("attachments", msgKey))
		})
	}
	in.Files = form.uploads()
	t, err := h.app.SubmitTicket(c.UserContext(), p, *v.Contact, in)
	if err != nil {
		in.Files = nil
		return h.renderSupportForm(c, in, err)
	}
	h.setFlash(c, "info", "flash.ticket_created")
	return redirect(c, h.portalURL(c, "/tickets/"+t.Ref()))
}

// renderSupportForm builds the form from the settings and the values in, with the field
// errors of failed (validation errors only; anything else goes to the error handler).
func (h *Handler) renderSupportForm(c *fiber.Ctx, in app.TicketSubmission, failed error) error {
	p := h.portal(c)
	form := p.SupportForm.Normalized()
	vm := supportFormPage{Base: h.base(c, "supportform.title", "portal"), Action: h.portalURL(c, "/new"),
		Multipart: form.AttachmentsAllowed(), Preview: h.viewer(c).Contact == nil,
		Form:                supportFormValues{Subject: in.Subject, Description: in.Description},
		DescriptionRequired: form.Description == models.FieldRequired,
		CategoryShown:       form.Category != models.FieldHidden, CategoryRequired: form.Category == models.FieldRequired,
		PriorityShown: form.ShowPriority, MaxFiles: app.MaxTicketFiles, MaxFileMB: app.MaxTicketFileBytes >> 20,
		HomeURL: h.portalURL(c, "/")}
	errs, err := supportFormErrors(vm.Base, failed)
	if err != nil {
		return err
	}
	vm.Errors = errs
	for _, ch := range form.CategoryChoices {
		vm.Categories = append(vm.Categories, choiceView{Value: ch, Label: ch, Selected: ch == in.Category})
	}
	for _, pr := range models.Priorities {
		selected := string(pr) == in.Priority || (in.Priority == "" && pr == models.PriorityNormal)
		vm.Priorities = append(vm.Priorities, choiceView{Value: string(pr), Label: vm.T("priority." + string(pr)), Selected: selected})
	}
	for i, cf := range form.Fields {
		fv := customFieldView{Name: "custom_" + cf.Key, ID: "support-custom-" + strconv.Itoa(i), Label: cf.Label,
			Value: in.Custom[cf.Key], Error: errs["custom_"+cf.Key], Required: cf.Required,
			Textarea: cf.Type == models.CustomTextarea, Dropdown: cf.Type == models.CustomDropdown}
		for _, ch := range cf.Choices {
			fv.Choices = append(fv.Choices, choiceView{Value: ch, Label: ch, Selected: ch == fv.Value})
		}
		vm.Custom = append(vm.Custom, fv)
	}
	return h.page(c, fiber.StatusOK, "pages/portal/new_ticket", "partials/portal/new_ticket_form", vm)
}

// supportFormErrors translates every validation error in err (one, or several joined) into a
// message per field; a non-validation error comes back as the second value.
func supportFormErrors(b Base, err error) (map[string]string, error) {
	out := map[string]string{}
	if err == nil {
		return out, nil
	}
	all := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		all = joined.Unwrap()
	}
	for _, e := range all {
		var ve *models.ValidationError
		if !errors.As(e, &ve) {
			return nil, err
		}
		if _, seen := out[ve.Field]; !seen {
			out[ve.Field] = b.T(ve.Code)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------
// Admin: the support form's fields, pipeline and inbox.

// supportFormSettingsForm is the admin's form; only these fields are read. Custom fields come
// as parallel lists, one entry per row; a row's "required" box sends the row's index, since
// unticked boxes send nothing and would shift the lists.
type supportFormSettingsForm struct {
	PipelineID      string   `form:"pipeline_id"`
	InboxID         string   `form:"inbox_id"`
	Description     string   `form:"description"`
	Category        string   `form:"category"`
	CategoryChoices string   `form:"category_choices"`
	ShowPriority    bool     `form:"show_priority"`
	Attachments     bool     `form:"attachments"`
	FieldKey        []string `form:"field_key"`
	FieldLabel      []string `form:"field_label"`
	FieldType       []string `form:"field_type"`
	FieldChoices    []string `form:"field_choices"`
	FieldRequired   []string `form:"field_required"`
}

// supportFieldEmptyRows is how many empty custom field rows the page offers without JavaScript.
const supportFieldEmptyRows = 3

// customFieldRow is one custom field row of the admin form.
type customFieldRow struct {
	Index, Number       int
	Key, Label, Choices string
	Required            bool
	Types               []choiceView
	Error               string
}

// supportFormAdminPage is the view model of the admin's support form page.
type supportFormAdminPage struct {
	portalAdmin
	Pipelines, Inboxes         []choiceView
	DescriptionModes           []choiceView
	CategoryModes              []choiceView
	CategoryChoices            string
	ShowPriority, Attachments  bool
	Rows                       []customFieldRow
	MaxFields, MaxFiles, MaxMB int
}

var supportFormFields = []string{"pipeline_id", "inbox_id", "description", "category", "category_choices", "fields"}

// showSupportFormSettings renders the support form settings.
func (h *Handler) showSupportFormSettings(c *fiber.Ctx) error {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderSupportFormSettings(c, p.SupportForm.Normalized(), nil)
}

// saveSupportFormSettings saves the support form settings; invalid input shows the form again.
func (h *Handler) saveSupportFormSettings(c *fiber.Ctx) error {
	var f supportFormSettingsForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	settings := f.settings()
	if err := h.app.SaveSupportForm(c.UserContext(), settings); err != nil {
		return h.renderSupportFormSettings(c, settings, err)
	}
	h.setFlash(c, "info", "flash.supportform_saved")
	return redirect(c, "/admin/portal/form")
}

// settings turns the admin's form into settings. Rows with neither key nor label are dropped;
// a row with a label but no key gets one made from the label.
func (f supportFormSettingsForm) settings() models.SupportFormSettings {
	s := models.SupportFormSettings{PipelineID: atoiOr(f.PipelineID), InboxID: atoiOr(f.InboxID),
		Description: models.FieldMode(f.Description), Category: models.FieldMode(f.Category),
		CategoryChoices: lines(f.CategoryChoices), ShowPriority: f.ShowPriority, DisableAttachments: !f.Attachments}
	required := map[string]bool{}
	for _, r := range f.FieldRequired {
		required[r] = true
	}
	for i, key := range f.FieldKey {
		key, label := strings.TrimSpace(key), strings.TrimSpace(at(f.FieldLabel, i))
		if key == "" && label == "" {
			continue
		}
		if key == "" {
			key = keyFromLabel(label)
		}
		cf := models.CustomField{Key: key, Label: label, Type: models.CustomFieldType(at(f.FieldType, i)),
			Required: required[strconv.Itoa(i)]}
		if cf.Type == models.CustomDropdown {
			cf.Choices = lines(at(f.FieldChoices, i))
		}
		s.Fields = append(s.Fields, cf)
	}
	return s
}

func (h *Handler) renderSupportFormSettings(c *fiber.Ctx, s models.SupportFormSettings, failed error) error {
	ctx := c.UserContext()
	pipes, err := h.app.Stores.Pipelines.All(ctx)
	if err != nil {
		return err
	}
	inboxes, err := h.app.Stores.Inboxes.SupportFormInboxes(ctx)
	if err != nil {
		return err
	}
	vm := supportFormAdminPage{portalAdmin: h.portalAdminBase(c, "admin.supportform.title", "form"),
		CategoryChoices: strings.Join(s.CategoryChoices, "\n"), ShowPriority: s.ShowPriority,
		Attachments: s.AttachmentsAllowed(), MaxFields: models.MaxCustomFields, MaxFiles: app.MaxTicketFiles,
		MaxMB: app.MaxTicketFileBytes >> 20}
	vm.Pipelines = append(vm.Pipelines, choiceView{Value: "0", Label: vm.T("admin.supportform.pipeline_default"), Selected: s.PipelineID == 0})
	for _, p := range pipes {
		vm.Pipelines = append(vm.Pipelines, choiceView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name, Selected: p.ID == s.PipelineID})
	}
	vm.Inboxes = append(vm.Inboxes, choiceView{Value: "0", Label: vm.T("admin.supportform.inbox_default"), Selected: s.InboxID == 0})
	for _, in := range inboxes {
		vm.Inboxes = append(vm.Inboxes, choiceView{Value: strconv.FormatInt(in.ID, 10), Label: in.Name, Selected: in.ID == s.InboxID})
	}
	for _, m := range []models.FieldMode{models.FieldRequired, models.FieldOptional} {
		vm.DescriptionModes = append(vm.DescriptionModes, choiceView{Value: string(m), Label: vm.T("admin.supportform.mode." + string(m)), Selected: m == s.Description})
	}
	for _, m := range []models.FieldMode{models.FieldHidden, models.FieldOptional, models.FieldRequired} {
		vm.CategoryModes = append(vm.CategoryModes, choiceView{Value: string(m), Label: vm.T("admin.supportform.mode." + string(m)), Selected: m == s.Category})
	}
	rows := append(append([]models.CustomField{}, s.Fields...), make([]models.CustomField, supportFieldEmptyRows)...)
	for i, cf := range rows {
		row := customFieldRow{Index: i, Number: i + 1, Key: cf.Key, Label: cf.Label, Required: cf.Required,
			Choices: strings.Join(cf.Choices, "\n")}
		for _, t := range []models.CustomFieldType{models.CustomText, models.CustomTextarea, models.CustomDropdown} {
			row.Types = append(row.Types, choiceView{Value: string(t), Label: vm.T("admin.supportform.type." + string(t)), Selected: t == cf.Type})
		}
		vm.Rows = append(vm.Rows, row)
	}
	var ve *models.ValidationError
	if errors.As(failed, &ve) && strings.HasPrefix(ve.Field, "field_") {
		if i, err := strconv.Atoi(strings.TrimPrefix(ve.Field, "field_")); err == nil && i < len(vm.Rows) {
			vm.Rows[i].Error = vm.T(ve.Code)
			failed = models.Invalid("fields", "error.supportform_fields")
		}
	}
	if err := vm.fieldErrors(failed, supportFormFields...); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/portal_form", vm)
}

// atoiOr reads an ID from a select; anything else is -1, which validation refuses.
func atoiOr(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// at is list[i], or "" past its end.
func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// lines splits a textarea into its non-empty trimmed lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// keyFromLabel makes a property key from a label: lower-case letters and digits, other runs
// of characters as one underscore, at most 40 characters.
func keyFromLabel(label string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(label) {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
			under = false
		case !under && b.Len() > 0:
			b.WriteByte('_')
			under = true
		}
	}
	key := strings.TrimRight(b.String(), "_")
	if len(key) > 40 {
		key = strings.TrimRight(key[:40], "_")
	}
	return key
}
