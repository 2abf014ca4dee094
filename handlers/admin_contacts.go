package handlers

// The admin's contacts (SPEC A-5): a searchable, keyset-paged list, the new-contact form, and
// the contact's page, which is also where the contact is edited, deactivated or deleted, with
// their consent records, lists and latest tickets. Forms are structs of their own (STYLE 5):
// password, verification and ownership are never read from a request.

import (
	"context"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/app/i18n"
	"portico/models"
)

// contactTicketLimit is how many of a contact's tickets their page lists.
const contactTicketLimit = 20

// companyOptionLimit is how many company names a company field suggests.
const companyOptionLimit = 20

// blankKVRows is how many empty property rows a form offers for new properties.
const blankKVRows = 3

// adminPager holds the links to a list's neighbouring pages ("" when there is none).
type adminPager struct {
	Prev, Next string
}

// adminPageLink builds a list page's address from its filters and one cursor.
func adminPageLink(path string, filters url.Values, cursorName, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := url.Values{}
	for k, v := range filters {
		if len(v) > 0 && v[0] != "" {
			q.Set(k, v[0])
		}
	}
	q.Set(cursorName, cursor)
	return path + "?" + q.Encode()
}

// contactsPage is the view model of the contact list (and of its table fragment).
type contactsPage struct {
	Base
	Query         string
	Company       string // the company filter as typed
	CompanyAbsent bool   // the filter names no company
	Rows          []models.ContactRow
	Pager         adminPager
	Companies     []models.CompanyRow // suggestions for the company filter
}

// showAdminContacts lists contacts, searched by e-mail or name and filtered by company, one
// keyset page at a time; an htmx search gets the table alone.
func (h *Handler) showAdminContacts(c *fiber.Ctx) error {
	ctx := c.UserContext()
	vm := contactsPage{Base: h.base(c, "contacts.title", "admin"), Query: strings.TrimSpace(c.Query("q")),
		Company: strings.TrimSpace(c.Query("company"))}
	q := models.ContactQuery{Search: vm.Query, After: c.Query("after"), Before: c.Query("before")}
	if vm.Company != "" {
		found, err := h.app.Stores.Companies.ByNames(ctx, []string{vm.Company})
		if err != nil {
			return err
		}
		co, ok := found[strings.ToLower(vm.Company)]
		vm.CompanyAbsent = !ok
		q.CompanyID = co.ID
	}
	if !vm.CompanyAbsent {
		page, err := h.app.Stores.Contacts.Search(ctx, q)
		if err != nil {
			return err
		}
		vm.Rows = page.Rows
		filters := url.Values{"q": {vm.Query}, "company": {vm.Company}}
		vm.Pager = adminPager{Prev: adminPageLink("/admin/contacts", filters, "before", page.PrevCursor),
			Next: adminPageLink("/admin/contacts", filters, "after", page.NextCursor)}
	}
	cos, err := h.app.Stores.Companies.Search(ctx, models.CompanyQuery{Search: vm.Company, Limit: companyOptionLimit})
	if err != nil {
		return err
	}
	vm.Companies = cos.Rows
	return h.page(c, fiber.StatusOK, "pages/admin/contacts", "partials/admin/contact_table", vm)
}

// ---------------------------------------------------------------------------------------------
// The contact form, shared by the new-contact page and the contact's page.

// contactForm is the contact form; only these fields are read.
type contactForm struct {
	Email     string   `form:"email"`
	Name      string   `form:"name"`
	Phone     string   `form:"phone"`
	Company   string   `form:"company"`
	Language  string   `form:"language"`
	Active    string   `form:"active"`
	PropKey   []string `form:"prop_key"`
	PropValue []string `form:"prop_value"`
}

// input turns the form into the app's input.
func (f contactForm) input() app.ContactInput {
	return app.ContactInput{Email: f.Email, Name: f.Name, Phone: f.Phone, Company: f.Company,
		Language: f.Language, Active: f.Active == "yes", Properties: kvRows(f.PropKey, f.PropValue)}
}

// kvRows pairs the key and value columns of a properties editor.
func kvRows(keys, values []string) []app.PropRow {
	out := make([]app.PropRow, 0, len(keys))
	for i, k := range keys {
		var v string
		if i < len(values) {
			v = values[i]
		}
		out = append(out, app.PropRow{Key: k, Value: v})
	}
	return out
}

// kvRow is one row of a properties editor as a form shows it.
type kvRow struct {
	Index      int
	Key, Value string
}

// kvEditorRows lists the given rows followed by blank ones for new properties.
func kvEditorRows(rows []app.PropRow) []kvRow {
	out := []kvRow{}
	for _, r := range rows {
		if strings.TrimSpace(r.Key) != "" || strings.TrimSpace(r.Value) != "" {
			out = append(out, kvRow{Index: len(out) + 1, Key: r.Key, Value: r.Value})
		}
	}
	for range blankKVRows {
		out = append(out, kvRow{Index: len(out) + 1})
	}
	return out
}

// sortedKV lists stored properties in key order.
func sortedKV(p models.Props) []app.PropRow {
	out := make([]app.PropRow, 0, len(p))
	for k, v := range p {
		out = append(out, app.PropRow{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b app.PropRow) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// contactLanguageOption is one choice of a language select.
type contactLanguageOption struct {
	Tag, Name string
	Selected  bool
}

// contactLanguages lists the shipped languages for a contact, with the current one selected.
func contactLanguages(current string) []contactLanguageOption {
	out := []contactLanguageOption{}
	for _, l := range i18n.Supported {
		out = append(out, contactLanguageOption{Tag: l.Tag, Name: l.Name, Selected: l.Tag == current})
	}
	return out
}

// contactFormView is what the contact form partial shows.
type contactFormView struct {
	Action    string
	Form      contactForm
	Props     []kvRow
	Languages []contactLanguageOption
	Companies []models.CompanyRow // suggestions for the company field
	Errors    map[string]string
	IsNew     bool
}

// contactFormFields are the fields the form shows errors next to.
var contactFormFields = []string{"email", "name", "phone", "company", "language", "properties"}

// newContactFormView fills the form's view; failed may be a validation error to show.
func (h *Handler) newContactFormView(c *fiber.Ctx, b Base, action string, f contactForm, failed error) (contactFormView, error) {
	v := contactFormView{Action: action, Form: f, Props: kvEditorRows(kvRows(f.PropKey, f.PropValue)),
		Languages: contactLanguages(f.Language)}
	var err error
	if v.Errors, err = kbFieldErrors(b, failed, contactFormFields...); err != nil {
		return v, err
	}
	cos, err := h.app.Stores.Companies.Search(c.UserContext(), models.CompanyQuery{Search: f.Company, Limit: companyOptionLimit})
	if err != nil {
		return v, err
	}
	v.Companies = cos.Rows
	return v, nil
}

// contactNewPage is the view model of the new-contact page.
type contactNewPage struct {
	Base
	contactFormView
}

// showNewContact shows the empty contact form.
func (h *Handler) showNewContact(c *fiber.Ctx) error {
	return h.renderNewContact(c, contactForm{Active: "yes"}, nil)
}

// createContact creates a contact; invalid input shows the form again.
func (h *Handler) createContact(c *fiber.Ctx) error {
	var f contactForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	ct, err := h.app.SaveContact(c.UserContext(), 0, f.input())
	if err != nil {
		return h.renderNewContact(c, f, err)
	}
	h.setFlash(c, "info", "flash.contacts_created")
	return redirect(c, "/admin/contacts/"+strconv.FormatInt(ct.ID, 10))
}

func (h *Handler) renderNewContact(c *fiber.Ctx, f contactForm, failed error) error {
	vm := contactNewPage{Base: h.base(c, "contacts.new.title", "admin")}
	var err error
	if vm.contactFormView, err = h.newContactFormView(c, vm.Base, "/admin/contacts/new", f, failed); err != nil {
		return err
	}
	vm.IsNew = true
	return h.render(c, fiber.StatusOK, "pages/admin/contact_new", vm)
}

// ---------------------------------------------------------------------------------------------
// The contact's page: who the contact is, the consent they gave, the edit form, their lists
// and their latest tickets.

// consentRow is one consent record as the contact page shows it.
type consentRow struct {
	Version int
	At      time.Time
	IP      string
	Notice  template.HTML // the exact notice shown, sanitised again for display
	Label   string
}

// contactPage is the view model of the admin's contact page.
type contactPage struct {
	Base
	contactFormView
	Contact  models.Contact
	Company  string
	Verified bool
	Records  []consentRow
	Lists    []models.ListSummary
	Tickets  []models.ContactTicket
}

// showAdminContact renders one contact with their consent records, lists and tickets, and the
// form to edit them. Unknown and malformed ids are 404.
func (h *Handler) showAdminContact(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ct, err := h.app.Stores.Contacts.ByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return h.renderContact(c, ct, h.contactFormOf(c, ct), nil)
}

// contactFormOf fills the form with a contact as stored.
func (h *Handler) contactFormOf(c *fiber.Ctx, ct models.Contact) contactForm {
	f := contactForm{Email: ct.Email, Name: ct.Name, Phone: ct.Phone, Language: ct.Language}
	if ct.Active {
		f.Active = "yes"
	}
	if ct.CompanyID != nil {
		if co, err := h.app.Stores.Companies.ByID(c.UserContext(), *ct.CompanyID); err == nil {
			f.Company = co.Name
		}
	}
	for _, p := range sortedKV(ct.Properties) {
		f.PropKey, f.PropValue = append(f.PropKey, p.Key), append(f.PropValue, p.Value)
	}
	return f
}

// saveContact updates a contact from their page; invalid input shows the page again with the
// form as typed.
func (h *Handler) saveContact(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ct, err := h.app.Stores.Contacts.ByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	var f contactForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	if _, err := h.app.SaveContact(c.UserContext(), id, f.input()); err != nil {
		return h.renderContact(c, ct, f, err)
	}
	h.setFlash(c, "info", "flash.contacts_saved")
	return redirect(c, "/admin/contacts/"+strconv.FormatInt(id, 10))
}

func (h *Handler) renderContact(c *fiber.Ctx, ct models.Contact, f contactForm, failed error) error {
	ctx := c.UserContext()
	vm := contactPage{Base: h.base(c, "admin.contact.title", "admin"), Contact: ct, Verified: ct.IsVerified()}
	if vm.Title = ct.Name; vm.Title == "" {
		vm.Title = ct.Email
	}
	var err error
	action := "/admin/contacts/" + strconv.FormatInt(ct.ID, 10)
	if vm.contactFormView, err = h.newContactFormView(c, vm.Base, action, f, failed); err != nil {
		return err
	}
	if ct.CompanyID != nil {
		if co, err := h.app.Stores.Companies.ByID(ctx, *ct.CompanyID); err == nil {
			vm.Company = co.Name
		}
	}
	recs, err := h.app.Stores.Consent.ForContact(ctx, ct.ID)
	if err != nil {
		return err
	}
	for _, r := range recs {
		vm.Records = append(vm.Records, consentRow{Version: r.Version, At: r.CreatedAt, IP: r.IP,
			Notice: template.HTML(app.SanitizeConsent(r.Notice)), Label: r.CheckboxLabel})
	}
	if vm.Lists, err = h.app.Stores.Contacts.ListsOf(ctx, ct.ID); err != nil {
		return err
	}
	if vm.Tickets, err = h.app.Stores.Contacts.RecentTickets(ctx, ct.ID, contactTicketLimit); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/contact", vm)
}

// deactivateContact switches a contact off and ends their portal sessions.
func (h *Handler) deactivateContact(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.app.DeactivateContact(c.UserContext(), id); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.contacts_deactivated")
	return redirect(c, "/admin/contacts/"+strconv.FormatInt(id, 10))
}

// deleteContact deletes a contact once the confirmation box is ticked; their tickets stay.
func (h *Handler) deleteContact(c *fiber.Ctx) error {
	return h.deleteConfirmed(c, deletion{
		exists: func(ctx context.Context, id int64) error { _, err := h.app.Stores.Contacts.ByID(ctx, id); return err },
		remove: h.app.DeleteContact, page: "/admin/contacts/", done: "/admin/contacts",
		unconfirmed: "flash.contacts_delete_unconfirmed", deleted: "flash.contacts_deleted"})
}
