package handlers

// The admin's portal ticket settings (SPEC T-2, T-3, T-4, T-8): who sees which tickets, status
// labels, the default inbox and the ticket filters, with a preview of what one contact would
// see before anything is saved. Like every portal settings page, the form is a struct of its
// own whose fields are copied onto the current settings (STYLE 5, SECURITY AC-04); the rules are
// validated by models.FilterRule.Validate through PortalSettings.Validate when saving.

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// ticketFilterEmptyRows is how many empty rule rows the form offers without JavaScript.
const ticketFilterEmptyRows = 3

// customProperty is the property select's value for a custom property; its key is typed apart.
const customProperty = "prop"

// ticketSettingsForm is the ticket settings form; only these fields are read. The rule rows
// come as parallel lists: each row always submits its four inputs, so the lists line up.
type ticketSettingsForm struct {
	Visibility   string   `form:"ticket_visibility"`
	ShowStages   bool     `form:"show_custom_stages"`
	DefaultInbox string   `form:"default_inbox_id"` // text, so that "abc" is a field error, not a 400
	Property     []string `form:"filter_property"`
	Key          []string `form:"filter_key"`
	Op           []string `form:"filter_op"`
	Values       []string `form:"filter_values"`
	PreviewEmail string   `form:"preview_email"`
	Preview      string   `form:"preview"` // set by the Preview button: count, save nothing
}

// ticketRuleInput is one rule row as typed.
type ticketRuleInput struct{ Property, Key, Op, Values string }

func (r ticketRuleInput) empty() bool {
	return r.Property == "" && r.Key == "" && strings.TrimSpace(r.Values) == ""
}

// rule turns a row into a filter rule: a custom property becomes "prop:<key>", the values are
// split at commas and trimmed. Validation is the model's.
func (r ticketRuleInput) rule() models.FilterRule {
	fr := models.FilterRule{Property: r.Property, Op: r.Op, Values: []string{}}
	if r.Property == customProperty {
		fr.Property = "prop:" + r.Key
	}
	for _, v := range strings.Split(r.Values, ",") {
		if v = strings.TrimSpace(v); v != "" {
			fr.Values = append(fr.Values, v)
		}
	}
	return fr
}

// rows returns the non-empty rule rows in order.
func (f ticketSettingsForm) rows() []ticketRuleInput {
	n := max(len(f.Property), len(f.Key), len(f.Op), len(f.Values))
	out := []ticketRuleInput{}
	for i := range min(n, 100) {
		r := ticketRuleInput{Property: ticketFormAt(f.Property, i), Key: strings.TrimSpace(ticketFormAt(f.Key, i)),
			Op: ticketFormAt(f.Op, i), Values: ticketFormAt(f.Values, i)}
		if !r.empty() {
			out = append(out, r)
		}
	}
	return out
}

func ticketFormAt(s []string, i int) string {
	if i < len(s) {
		return strings.TrimSpace(s[i])
	}
	return ""
}

// ticketSettingsFormOf is the form showing saved settings.
func ticketSettingsFormOf(p models.PortalSettings) ticketSettingsForm {
	f := ticketSettingsForm{Visibility: p.TicketVisibility, ShowStages: p.ShowCustomStages}
	if p.DefaultInboxID != 0 {
		f.DefaultInbox = strconv.FormatInt(p.DefaultInboxID, 10)
	}
	for _, r := range p.TicketFilters {
		prop, key := r.Property, ""
		if k, ok := strings.CutPrefix(r.Property, "prop:"); ok {
			prop, key = customProperty, k
		}
		f.Property, f.Key = append(f.Property, prop), append(f.Key, key)
		f.Op, f.Values = append(f.Op, r.Op), append(f.Values, strings.Join(r.Values, ", "))
	}
	return f
}

// applyTo copies the form onto the settings. An inbox that does not exist is refused here
// (the settings document cannot know the inboxes); everything else is the model's to validate.
func (f ticketSettingsForm) applyTo(p models.PortalSettings, inboxes []models.Inbox) (models.PortalSettings, error) {
	p.TicketVisibility, p.ShowCustomStages = f.Visibility, f.ShowStages
	p.TicketFilters = []models.FilterRule{}
	for _, r := range f.rows() {
		p.TicketFilters = append(p.TicketFilters, r.rule())
	}
	p.DefaultInboxID = 0
	if f.DefaultInbox != "" && f.DefaultInbox != "0" {
		id, err := strconv.ParseInt(f.DefaultInbox, 10, 64)
		if err != nil || !slices.ContainsFunc(inboxes, func(in models.Inbox) bool { return in.ID == id }) {
			return p, models.Invalid("default_inbox_id", "ticketadmin.error.inbox")
		}
		p.DefaultInboxID = id
	}
	return p, nil
}

// ticketOption is one choice of a select.
type ticketOption struct {
	Value, Label string
	Selected     bool
}

// ticketRuleRow is one rule row of the form.
type ticketRuleRow struct {
	Index, Number int // Index names the inputs, Number is shown (1-based)
	Properties    []ticketOption
	Ops           []ticketOption
	Key, Values   string
	Error         string // why this row is refused, translated
}

// ticketPreview is what one contact would see with the submitted settings.
type ticketPreview struct {
	Email     string
	Own, Org  int64
	HasOrg    bool // the contact gets an Organisation view
	OwnText   string
	OrgText   string
	NoOrgText string
}

// ticketSettingsPage is the view model of the portal ticket settings page.
type ticketSettingsPage struct {
	portalAdmin
	OwnOnly, Company bool
	ShowStages       bool
	Inboxes          []ticketOption // the first is "no default inbox"
	Rules            []ticketRuleRow
	PipelineHint     string
	PreviewEmail     string
	Preview          *ticketPreview
}

// showPortalTicketSettings renders the saved ticket settings.
func (h *Handler) showPortalTicketSettings(c *fiber.Ctx) error {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderTicketSettings(c, ticketSettingsFormOf(p), nil, nil)
}

// savePortalTicketSettings saves the ticket settings, or with the Preview button only counts
// what the chosen contact would see under them. A refused value shows the form again (200)
// and saves nothing.
func (h *Handler) savePortalTicketSettings(c *fiber.Ctx) error {
	var f ticketSettingsForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	ctx := c.UserContext()
	inboxes, err := h.app.Stores.Inboxes.All(ctx)
	if err != nil {
		return err
	}
	saved, err := h.app.Portal(ctx)
	if err != nil {
		return err
	}
	p, err := f.applyTo(saved, inboxes)
	if err == nil && f.Preview != "" {
		preview, err := h.previewTickets(c, p, f.PreviewEmail)
		return h.renderTicketSettings(c, f, preview, err)
	}
	if err == nil {
		err = h.app.SavePortal(ctx, p)
	}
	if err != nil {
		return h.renderTicketSettings(c, f, nil, err)
	}
	h.setFlash(c, "info", "flash.portal_tickets_saved")
	return redirect(c, "/admin/portal/tickets")
}

// previewTickets counts the tickets the contact with that address would see under p, in each
// view it would have. The settings are validated first, exactly as saving would.
func (h *Handler) previewTickets(c *fiber.Ctx, p models.PortalSettings, email string) (*ticketPreview, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	contact, err := h.app.Stores.Contacts.ByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || strings.TrimSpace(email) == "" {
		return nil, models.Invalid("preview_email", "ticketadmin.error.preview_email")
	}
	if err != nil {
		return nil, err
	}
	scope := h.app.PortalScope(p, contact)
	out := &ticketPreview{Email: contact.Email, HasOrg: scope.CompanyID != 0}
	if out.Own, err = h.app.Stores.Tickets.CountForPortal(ctx, scope, models.ViewMine); err != nil {
		return nil, err
	}
	if out.HasOrg {
		if out.Org, err = h.app.Stores.Tickets.CountForPortal(ctx, scope, models.ViewOrg); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ticketSettingsFields are the fields the page shows errors beside; rule errors all go to the
// filters.
var ticketSettingsFields = []string{"ticket_visibility", "default_inbox_id", "filters", "preview_email"}

func (h *Handler) renderTicketSettings(c *fiber.Ctx, f ticketSettingsForm, preview *ticketPreview, failed error) error {
	ctx := c.UserContext()
	inboxes, err := h.app.Stores.Inboxes.All(ctx)
	if err != nil {
		return err
	}
	pipelines, err := h.app.Stores.Pipelines.All(ctx)
	if err != nil {
		return err
	}
	vm := ticketSettingsPage{portalAdmin: h.portalAdminBase(c, "ticketadmin.title", "tickets"),
		OwnOnly: f.Visibility != models.VisibilityCompany, Company: f.Visibility == models.VisibilityCompany,
		ShowStages: f.ShowStages, PreviewEmail: f.PreviewEmail, Preview: preview}
	var ve *models.ValidationError
	if errors.As(failed, &ve) && slices.Contains([]string{"property", "op", "values", "ticket_filters"}, ve.Field) {
		failed = models.Invalid("filters", ve.Code)
	}
	if err := vm.fieldErrors(failed, ticketSettingsFields...); err != nil {
		return err
	}
	vm.Inboxes = inboxOptions(vm.Base, inboxes, f.DefaultInbox)
	vm.Rules = ruleRows(vm.Base, f.rows(), vm.Errors["filters"] != "")
	vm.PipelineHint = pipelineHint(vm.Base, pipelines)
	if preview != nil {
		preview.OwnText = vm.T("ticketadmin.preview_own", "Email", preview.Email, "Count", preview.Own)
		preview.OrgText = vm.T("ticketadmin.preview_org", "Count", preview.Org)
		preview.NoOrgText = vm.T("ticketadmin.preview_no_org")
	}
	return h.render(c, fiber.StatusOK, "pages/admin/portal_tickets", vm)
}

// inboxOptions lists "no default inbox" and every inbox, the chosen one selected.
func inboxOptions(b Base, inboxes []models.Inbox, chosen string) []ticketOption {
	out := []ticketOption{{Value: "0", Label: b.T("ticketadmin.inbox_none"), Selected: chosen == "" || chosen == "0"}}
	for _, in := range inboxes {
		id := strconv.FormatInt(in.ID, 10)
		out = append(out, ticketOption{Value: id, Label: in.Name, Selected: id == chosen})
	}
	return out
}

// ruleRows builds the rule rows: the typed ones (each refused one with its reason when the
// form was refused), then ticketFilterEmptyRows empty ones.
func ruleRows(b Base, typed []ticketRuleInput, refused bool) []ticketRuleRow {
	props := append([]string{""}, append(models.FilterProperties(), customProperty)...)
	ops := []string{models.OpIs, models.OpIsNot, models.OpAnyOf}
	var out []ticketRuleRow
	for i := range len(typed) + ticketFilterEmptyRows {
		var in ticketRuleInput
		if i < len(typed) {
			in = typed[i]
		}
		row := ticketRuleRow{Index: i, Number: i + 1, Key: in.Key, Values: in.Values}
		for _, p := range props {
			label := b.T("ticketadmin.property_none")
			if p != "" {
				label = b.T("ticketadmin.property." + p)
			}
			row.Properties = append(row.Properties, ticketOption{Value: p, Label: label, Selected: p == in.Property})
		}
		for _, o := range ops {
			row.Ops = append(row.Ops, ticketOption{Value: o, Label: b.T("ticketadmin.op." + o), Selected: o == in.Op})
		}
		if refused && i < len(typed) {
			var ve *models.ValidationError
			if errors.As(in.rule().Validate(), &ve) {
				row.Error = b.T(ve.Code)
			}
		}
		out = append(out, row)
	}
	return out
}

// pipelineHint names the pipelines' numbers, which pipeline rules take as values.
func pipelineHint(b Base, pipelines []models.Pipeline) string {
	if len(pipelines) == 0 {
		return ""
	}
	names := make([]string, len(pipelines))
	for i, p := range pipelines {
		names[i] = p.Name + " = " + strconv.FormatInt(p.ID, 10)
	}
	return b.T("ticketadmin.pipelines_hint", "List", strings.Join(names, ", "))
}
