package handlers

// The admin's companies (SPEC A-5): a searchable, keyset-paged list with each company's number
// of contacts (one grouped query per page), the company form, its contacts one page at a time,
// and deletion, after which its contacts and tickets stay without a company.

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// companiesPage is the view model of the company list (and of its table fragment).
type companiesPage struct {
	Base
	Query string
	Rows  []models.CompanyRow
	Pager adminPager
}

// showAdminCompanies lists companies, searched by name or domain, one keyset page at a time;
// an htmx search gets the table alone.
func (h *Handler) showAdminCompanies(c *fiber.Ctx) error {
	vm := companiesPage{Base: h.base(c, "companies.title", "admin"), Query: strings.TrimSpace(c.Query("q"))}
	page, err := h.app.Stores.Companies.Search(c.UserContext(), models.CompanyQuery{Search: vm.Query,
		After: c.Query("after"), Before: c.Query("before")})
	if err != nil {
		return err
	}
	vm.Rows = page.Rows
	filters := url.Values{"q": {vm.Query}}
	vm.Pager = adminPager{Prev: adminPageLink("/admin/companies", filters, "before", page.PrevCursor),
		Next: adminPageLink("/admin/companies", filters, "after", page.NextCursor)}
	return h.page(c, fiber.StatusOK, "pages/admin/companies", "partials/admin/company_table", vm)
}

// companyOptionsView is the company name suggestions of a company field.
type companyOptionsView struct {
	Base
	Companies []models.CompanyRow
}

// showCompanyOptions answers a company field's typing with matching names (a datalist) for
// htmx; without htmx it leads to the company list searched for the same text.
func (h *Handler) showCompanyOptions(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("company"))
	if !isFragment(c) {
		return c.Redirect("/admin/companies?"+url.Values{"q": {q}}.Encode(), fiber.StatusSeeOther)
	}
	page, err := h.app.Stores.Companies.Search(c.UserContext(), models.CompanyQuery{Search: q, Limit: companyOptionLimit})
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "partials/admin/company_options", companyOptionsView{Base: h.base(c, "companies.title", "admin"), Companies: page.Rows})
}

// companyForm is the company form; only these fields are read.
type companyForm struct {
	Name      string   `form:"name"`
	Domain    string   `form:"domain"`
	PropKey   []string `form:"prop_key"`
	PropValue []string `form:"prop_value"`
}

// companyPage is the view model of the company page: the form, and for a company that exists
// its contacts, a page at a time.
type companyPage struct {
	Base
	ID       int64 // 0 for a new company
	Action   string
	Form     companyForm
	Props    []kvRow
	Errors   map[string]string
	Contacts []models.ContactRow
	Pager    adminPager
}

// showCompany shows the empty form at /new, else the company's form and contacts.
func (h *Handler) showCompany(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderCompany(c, models.Company{}, companyForm{}, nil)
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	co, err := h.app.Stores.Companies.ByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	f := companyForm{Name: co.Name, Domain: co.Domain}
	for _, p := range sortedKV(co.Properties) {
		f.PropKey, f.PropValue = append(f.PropKey, p.Key), append(f.PropValue, p.Value)
	}
	return h.renderCompany(c, co, f, nil)
}

// saveCompany creates or updates a company; invalid input shows the form again.
func (h *Handler) saveCompany(c *fiber.Ctx) error {
	var saved models.Company
	if c.Params("id") != "" {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		if saved, err = h.app.Stores.Companies.ByID(c.UserContext(), id); err != nil {
			return err
		}
	}
	var f companyForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	co, err := h.app.SaveCompany(c.UserContext(), saved.ID, app.CompanyInput{Name: f.Name, Domain: f.Domain,
		Properties: kvRows(f.PropKey, f.PropValue)})
	if err != nil {
		return h.renderCompany(c, saved, f, err)
	}
	h.setFlash(c, "info", "flash.companies_saved")
	return redirect(c, "/admin/companies/"+strconv.FormatInt(co.ID, 10))
}

func (h *Handler) renderCompany(c *fiber.Ctx, co models.Company, f companyForm, failed error) error {
	vm := companyPage{Base: h.base(c, "companies.new.title", "admin"), ID: co.ID, Form: f, Action: "/admin/companies/new",
		Props: kvEditorRows(kvRows(f.PropKey, f.PropValue))}
	var err error
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "name", "domain", "properties"); err != nil {
		return err
	}
	if co.ID == 0 {
		return h.render(c, fiber.StatusOK, "pages/admin/company", vm)
	}
	vm.Title = co.Name
	vm.Action = "/admin/companies/" + strconv.FormatInt(co.ID, 10)
	page, err := h.app.Stores.Contacts.Search(c.UserContext(), models.ContactQuery{CompanyID: co.ID,
		After: c.Query("after"), Before: c.Query("before")})
	if err != nil {
		return err
	}
	vm.Contacts = page.Rows
	vm.Pager = adminPager{Prev: adminPageLink(vm.Action, nil, "before", page.PrevCursor), Next: adminPageLink(vm.Action, nil, "after", page.NextCursor)}
	return h.render(c, fiber.StatusOK, "pages/admin/company", vm)
}

// deleteCompany deletes a company once the confirmation box is ticked; its contacts and
// tickets stay, without a company.
func (h *Handler) deleteCompany(c *fiber.Ctx) error {
	return h.deleteConfirmed(c, deletion{
		exists: func(ctx context.Context, id int64) error { _, err := h.app.Stores.Companies.ByID(ctx, id); return err },
		remove: h.app.Stores.Companies.Delete, page: "/admin/companies/", done: "/admin/companies",
		unconfirmed: "flash.companies_delete_unconfirmed", deleted: "flash.companies_deleted"})
}
