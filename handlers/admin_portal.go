package handlers

// The admin's portal settings pages (SPEC P-1, P-2, P-4, P-5, P-9, P-10, P-11); the contact page
// with its consent records moved to admin_contacts.go. Every form is a struct of its own whose
// fields are copied onto the current settings (STYLE 5, SECURITY AC-04): a field a page does not
// show cannot be set through it, whatever the request adds.

import (
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/app/i18n"
	"portico/models"
)

// portalAdmin is embedded in every portal settings page: the shared sub-navigation needs the
// current tab and the portal's public address for "View portal".
type portalAdmin struct {
	Base
	Tab       string // "general", "access", "consent", "branding" or "sso"
	PortalURL string // where "View portal" goes
	Errors    map[string]string
}

// portalAdminBase builds the common part of a portal settings page. Other portal settings
// pages (SSO) use it too, with their own tab.
func (h *Handler) portalAdminBase(c *fiber.Ctx, titleKey, tab string) portalAdmin {
	return portalAdmin{Base: h.base(c, titleKey, "admin"), Tab: tab, PortalURL: h.portalURL(c, "/")}
}

// fieldErrors turns a validation error into the translated message shown next to its field;
// an error on a field the page does not show goes to the top of the form ("form"). Any other
// error comes back for the error handler.
func (p *portalAdmin) fieldErrors(err error, fields ...string) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field := ve.Field
	if !slices.Contains(fields, field) {
		field = "form"
	}
	p.Errors = map[string]string{field: p.T(ve.Code)}
	return nil
}

// ---------------------------------------------------------------------------------------------
// General: title, address, on/off, custom domain, language, inactivity timeout, and whether the
// knowledge base links to the portal.

// generalForm is the general settings form; only these fields are read.
type generalForm struct {
	Title            string   `form:"title"`
	Slug             string   `form:"slug"`
	Enabled          bool     `form:"enabled"`
	CustomDomain     string   `form:"custom_domain"`
	Language         string   `form:"language"`
	VisitorLanguages bool     `form:"visitor_languages"`
	Languages        []string `form:"languages"`
	IdleMinutes      string   `form:"idle_minutes"` // text, so that "abc" is a field error, not a 400
	KBShowPortalLink bool     `form:"kb_show_portal_link"`
}

func generalFormOf(p models.PortalSettings) generalForm {
	return generalForm{Title: p.Title, Slug: p.Slug, Enabled: p.Enabled, CustomDomain: p.CustomDomain,
		Language: p.Language, VisitorLanguages: p.VisitorLanguages, Languages: p.Languages,
		IdleMinutes: strconv.Itoa(p.IdleMinutes), KBShowPortalLink: p.KBShowPortalLink}
}

// applyTo copies the form onto the settings. The portal's own language is always among the
// enabled ones; a timeout that is not a number becomes -1, which validation refuses.
func (f generalForm) applyTo(p models.PortalSettings) models.PortalSettings {
	p.Title, p.Slug = strings.TrimSpace(f.Title), strings.ToLower(strings.TrimSpace(f.Slug))
	p.Enabled, p.CustomDomain = f.Enabled, strings.TrimSpace(f.CustomDomain)
	p.Language, p.VisitorLanguages = f.Language, f.VisitorLanguages
	p.Languages = nil
	for _, l := range append([]string{f.Language}, f.Languages...) {
		if l != "" && !slices.Contains(p.Languages, l) {
			p.Languages = append(p.Languages, l)
		}
	}
	idle, err := strconv.Atoi(strings.TrimSpace(f.IdleMinutes))
	if err != nil {
		idle = -1
	}
	p.IdleMinutes = idle
	p.KBShowPortalLink = f.KBShowPortalLink
	return p
}

// languageOption is one language in the general settings form.
type languageOption struct {
	Tag, Name         string
	Selected, Enabled bool
}

// generalPage is the view model of the general portal settings page.
type generalPage struct {
	portalAdmin
	Form          generalForm
	Address       string // the portal's public address as saved
	PreviousSlugs []string
	Languages     []languageOption
}

var generalFields = []string{"title", "slug", "custom_domain", "language", "languages", "idle_minutes"}

// showPortalSettings renders the general portal settings.
func (h *Handler) showPortalSettings(c *fiber.Ctx) error {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderGeneral(c, p, generalFormOf(p), nil)
}

// savePortalSettings saves the general settings; invalid input shows the form again.
func (h *Handler) savePortalSettings(c *fiber.Ctx) error {
	var f generalForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	if err := h.app.SavePortal(c.UserContext(), f.applyTo(p)); err != nil {
		return h.renderGeneral(c, p, f, err)
	}
	h.setFlash(c, "info", "flash.portal_saved")
	return redirect(c, "/admin/portal")
}

func (h *Handler) renderGeneral(c *fiber.Ctx, saved models.PortalSettings, f generalForm, failed error) error {
	vm := generalPage{portalAdmin: h.portalAdminBase(c, "admin.portal.general.title", "general"), Form: f,
		Address: h.portalAddress(saved), PreviousSlugs: saved.PreviousSlugs}
	if err := vm.fieldErrors(failed, generalFields...); err != nil {
		return err
	}
	for _, l := range i18n.Supported {
		vm.Languages = append(vm.Languages, languageOption{Tag: l.Tag, Name: l.Name,
			Selected: l.Tag == f.Language, Enabled: slices.Contains(f.Languages, l.Tag)})
	}
	return h.render(c, fiber.StatusOK, "pages/admin/portal_settings", vm)
}

// portalAddress is the public address of a saved portal: its custom domain, or the slug under
// the configured base URL.
func (h *Handler) portalAddress(p models.PortalSettings) string {
	base := strings.TrimRight(h.cfg.BaseURL, "/")
	if p.CustomDomain != "" {
		scheme, _, _ := strings.Cut(base, "://")
		return scheme + "://" + p.CustomDomain + "/"
	}
	return base + "/" + p.Slug
}

// ---------------------------------------------------------------------------------------------
// Access: self-registration or specific contact lists.

// accessForm is the access form; only these fields are read.
type accessForm struct {
	Mode  string  `form:"access_mode"`
	Lists []int64 `form:"access_lists"`
}

// listOption is one contact list in the access form.
type listOption struct {
	ID      int64
	Name    string
	Members int64
	Active  bool // members by rule: the count shows chosen members only
	Checked bool
}

// accessPage is the view model of the portal access page.
type accessPage struct {
	portalAdmin
	SelfRegistration, ListsMode bool
	Lists                       []listOption
}

// showPortalAccess renders the access mode and the contact lists to choose from.
func (h *Handler) showPortalAccess(c *fiber.Ctx) error {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderAccess(c, accessForm{Mode: p.AccessMode, Lists: p.AccessLists}, nil)
}

// savePortalAccess saves the access mode and lists. Lists that do not exist are dropped.
func (h *Handler) savePortalAccess(c *fiber.Ctx) error {
	var f accessForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	ctx := c.UserContext()
	lists, err := h.app.Stores.Contacts.Lists(ctx)
	if err != nil {
		return err
	}
	before, err := h.app.Portal(ctx)
	if err != nil {
		return err
	}
	after := before
	after.AccessMode, after.AccessLists = f.Mode, knownLists(f.Lists, lists)
	if err := h.app.SavePortal(ctx, after); err != nil {
		return h.renderAccess(c, f, err)
	}
	// Members of the access lists who have no password yet get their invitation (SPEC P-4);
	// members already invited are skipped, so saving again sends nothing twice.
	if _, err := h.app.InviteAccessLists(ctx, after); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.portal_access_saved")
	return redirect(c, "/admin/portal/access")
}

// knownLists keeps the chosen list IDs that exist, each once, in the order chosen.
func knownLists(chosen []int64, lists []models.ListSummary) []int64 {
	out := []int64{}
	for _, id := range chosen {
		exists := slices.ContainsFunc(lists, func(l models.ListSummary) bool { return l.ID == id })
		if exists && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (h *Handler) renderAccess(c *fiber.Ctx, f accessForm, failed error) error {
	lists, err := h.app.Stores.Contacts.Lists(c.UserContext())
	if err != nil {
		return err
	}
	vm := accessPage{portalAdmin: h.portalAdminBase(c, "admin.portal.access.title", "access"),
		SelfRegistration: f.Mode != models.AccessLists, ListsMode: f.Mode == models.AccessLists}
	if err := vm.fieldErrors(failed, "access_mode", "access_lists"); err != nil {
		return err
	}
	for _, l := range lists {
		vm.Lists = append(vm.Lists, listOption{ID: l.ID, Name: l.Name, Members: l.Members,
			Active: l.Kind == models.ListActive, Checked: slices.Contains(f.Lists, l.ID)})
	}
	return h.render(c, fiber.StatusOK, "pages/admin/portal_access", vm)
}

// ---------------------------------------------------------------------------------------------
// Consent: the notice and checkbox label shown at registration, published as versions.

// consentForm is the consent form; only these fields are read.
type consentForm struct {
	Notice string `form:"notice"`
	Label  string `form:"checkbox_label"`
}

// consentPage is the view model of the consent settings page.
type consentPage struct {
	portalAdmin
	Form         consentForm
	HasCurrent   bool
	Version      int
	PublishedAt  time.Time
	Preview      template.HTML // the notice as the registration form will show it, sanitised
	PreviewLabel string
	HasPreview   bool
	LabelMax     int
}

// showConsentSettings renders the current consent text, if any, with a preview.
func (h *Handler) showConsentSettings(c *fiber.Ctx) error {
	cur, _, err := h.app.CurrentConsent(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderConsent(c, consentForm{Notice: cur.Notice, Label: cur.CheckboxLabel}, nil)
}

// saveConsentSettings publishes a new consent version when the text or label changed.
func (h *Handler) saveConsentSettings(c *fiber.Ctx) error {
	var f consentForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	var by int64
	if v := h.viewer(c); v.Staff != nil {
		by = v.Staff.ID
	}
	_, published, err := h.app.PublishConsent(c.UserContext(), f.Notice, f.Label, by)
	if err != nil {
		return h.renderConsent(c, f, err)
	}
	if published {
		h.setFlash(c, "info", "flash.consent_published")
	} else {
		h.setFlash(c, "info", "flash.consent_unchanged")
	}
	return redirect(c, "/admin/portal/consent")
}

func (h *Handler) renderConsent(c *fiber.Ctx, f consentForm, failed error) error {
	cur, ok, err := h.app.CurrentConsent(c.UserContext())
	if err != nil {
		return err
	}
	vm := consentPage{portalAdmin: h.portalAdminBase(c, "admin.portal.consent.title", "consent"), Form: f,
		HasCurrent: ok, Version: cur.Version, PublishedAt: cur.CreatedAt, LabelMax: app.ConsentLabelMax,
		// Sanitised here for the preview: nothing typed into the form runs in the admin's page.
		Preview: template.HTML(app.SanitizeConsent(f.Notice)), PreviewLabel: strings.TrimSpace(f.Label)}
	vm.HasPreview = vm.Preview != "" || vm.PreviewLabel != ""
	if err := vm.fieldErrors(failed, "notice", "checkbox_label"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/portal_consent", vm)
}

// ---------------------------------------------------------------------------------------------
// Branding: colours, welcome text, navigation menu, logo and favicon.

// brandingForm is the branding form; only these fields are read. Each colour comes as a text
// field and a colour picker: without JavaScript they cannot mirror each other, so the one
// the admin changed wins (see pickColour).
type brandingForm struct {
	Primary         string   `form:"primary"`
	PrimaryPicker   string   `form:"primary_picker"`
	Secondary       string   `form:"secondary"`
	SecondaryPicker string   `form:"secondary_picker"`
	Welcome         string   `form:"welcome"`
	NavLabel        []string `form:"nav_label"`
	NavURL          []string `form:"nav_url"`
	RemoveLogo      bool     `form:"remove_logo"`
	RemoveFavicon   bool     `form:"remove_favicon"`
}

// navEmptyRows is how many empty menu rows the form offers to fill in without JavaScript.
const navEmptyRows = 5

// navRow is one menu link row of the branding form.
type navRow struct {
	Index, Number int // Index names the inputs, Number is shown (1-based)
	Label, URL    string
	Invalid       bool // filled in, but refused: no label, or not a safe address
}

// brandingPage is the view model of the branding page.
type brandingPage struct {
	portalAdmin
	Primary, Secondary             string // text fields
	PrimaryPicker, SecondaryPicker string // colour pickers: always a valid #rrggbb
	Welcome                        string
	Nav                            []navRow
	LogoURL, FaviconURL            string
	LogoMaxKB, FaviconMaxKB        int
}

var brandingFields = []string{"primary", "secondary", "welcome", "nav", "logo", "favicon"}

// showBranding renders the branding form with the saved values.
func (h *Handler) showBranding(c *fiber.Ctx) error {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	b := p.Branding
	return h.renderBranding(c, b, b.Primary, b.Secondary, b.Welcome, b.Nav, nil)
}

// saveBranding saves colours, text and menu and stores new uploads; a refused value or file
// shows the form again and saves nothing.
func (h *Handler) saveBranding(c *fiber.Ctx) error {
	var f brandingForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		return err
	}
	ch := app.BrandingChange{Primary: pickColour(p.Branding.Primary, f.Primary, f.PrimaryPicker),
		Secondary: pickColour(p.Branding.Secondary, f.Secondary, f.SecondaryPicker),
		Welcome:   strings.TrimSpace(f.Welcome), Nav: navLinks(f.NavLabel, f.NavURL),
		RemoveLogo: f.RemoveLogo, RemoveFavicon: f.RemoveFavicon}
	files, err := openUploads(c, "logo", "favicon")
	if err != nil {
		return err
	}
	defer closeAll(files)
	ch.Logo, ch.Favicon = files["logo"], files["favicon"]
	if err := h.app.SaveBranding(c.UserContext(), ch); err != nil {
		return h.renderBranding(c, p.Branding, ch.Primary, ch.Secondary, ch.Welcome, ch.Nav, err)
	}
	h.setFlash(c, "info", "flash.branding_saved")
	return redirect(c, "/admin/portal/branding")
}

func (h *Handler) renderBranding(c *fiber.Ctx, saved models.Branding, primary, secondary, welcome string, nav []models.NavLink, failed error) error {
	vm := brandingPage{portalAdmin: h.portalAdminBase(c, "admin.portal.branding.title", "branding"),
		Primary: primary, Secondary: secondary, Welcome: welcome,
		PrimaryPicker: pickerValue(primary, saved.Primary), SecondaryPicker: pickerValue(secondary, saved.Secondary),
		LogoURL: brandingFileURL(saved.LogoID), FaviconURL: brandingFileURL(saved.FaviconID),
		LogoMaxKB: app.MaxLogoBytes >> 10, FaviconMaxKB: app.MaxFaviconBytes >> 10}
	if err := vm.fieldErrors(failed, brandingFields...); err != nil {
		return err
	}
	for i := range len(nav) + navEmptyRows {
		row := navRow{Index: i, Number: i + 1}
		if i < len(nav) {
			row.Label, row.URL = nav[i].Label, nav[i].URL
			row.Invalid = vm.Errors["nav"] != "" && (row.Label == "" || len(row.Label) > 60 || !models.SafeLinkURL(row.URL))
		}
		vm.Nav = append(vm.Nav, row)
	}
	return h.render(c, fiber.StatusOK, "pages/admin/portal_branding", vm)
}

// pickColour chooses between a colour's text field and its picker: the text when the admin
// edited it (it differs from the saved colour), otherwise the picker.
func pickColour(saved, text, picker string) string {
	text, picker = strings.TrimSpace(text), strings.TrimSpace(picker)
	if text != "" && !strings.EqualFold(text, saved) || picker == "" {
		return text
	}
	return picker
}

// pickerValue is what a colour picker shows: the value when it is a colour (pickers accept
// only lower-case #rrggbb), else the saved colour.
func pickerValue(value, saved string) string {
	if isColour(value) {
		return strings.ToLower(value)
	}
	if isColour(saved) {
		return strings.ToLower(saved)
	}
	return "#000000"
}

// navLinks pairs the menu rows' labels and addresses; rows left entirely empty are skipped.
func navLinks(labels, urls []string) []models.NavLink {
	out := []models.NavLink{}
	for i := range max(len(labels), len(urls)) {
		var l models.NavLink
		if i < len(labels) {
			l.Label = strings.TrimSpace(labels[i])
		}
		if i < len(urls) {
			l.URL = strings.TrimSpace(urls[i])
		}
		if l.Label != "" || l.URL != "" {
			out = append(out, l)
		}
	}
	return out
}

// openUploads opens the named file fields of a multipart form; fields without a file are
// absent from the map. The names the browser sent are never read.
func openUploads(c *fiber.Ctx, fields ...string) (map[string]io.Reader, error) {
	out := map[string]io.Reader{}
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return out, nil
	}
	mf, err := c.MultipartForm()
	if err != nil {
		return out, fiber.ErrBadRequest
	}
	for _, name := range fields {
		if len(mf.File[name]) == 0 {
			continue
		}
		f, err := mf.File[name][0].Open()
		if err != nil {
			closeAll(out)
			return map[string]io.Reader{}, err
		}
		out[name] = f
	}
	return out, nil
}

func closeAll(files map[string]io.Reader) {
	for _, f := range files {
		if mf, ok := f.(multipart.File); ok {
			mf.Close()
		}
	}
}
