package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

func TestAdminCompanies(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s, admin, agent := contactAdminServer(t, db)
		ctx := context.Background()
		st := s.app.Stores
		wantContains(t, readBody(t, admin.get("/admin/companies")), "No companies found.")
		wantStatus(t, admin.get("/admin/companies/new"), http.StatusOK)

		for _, tc := range []struct {
			form url.Values
			msg  string
		}{
			{url.Values{"name": {" "}}, "Enter a name of at most 200 characters"},
			{url.Values{"name": {"Initech"}, "domain": {"not a domain"}}, "Enter a domain such as example.com"},
			{url.Values{"name": {"Initech"}, "prop_key": {"!!!"}, "prop_value": {"x"}}, "Each property needs a key"},
		} {
			resp, body := admin.postAdmin("/admin/companies/new", tc.form)
			wantStatus(t, resp, http.StatusOK)
			wantContains(t, body, tc.msg, `aria-invalid="true"`)
		}
		resp, _ := admin.postAdmin("/admin/companies/new", url.Values{"name": {"Initech <Ltd>"}, "domain": {"Initech.Example"},
			"prop_key": {"tier"}, "prop_value": {"gold"}, "owner_id": {"1"}})
		wantStatus(t, resp, http.StatusSeeOther)
		page := resp.Header.Get("Location")
		id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/admin/companies/"), 10, 64)
		co, err := st.Companies.ByID(ctx, id)
		if err != nil || co.Name != "Initech <Ltd>" || co.Domain != "initech.example" || co.Properties["tier"] != "gold" || co.OwnerID != nil {
			t.Fatalf("created company %+v, %v", co, err)
		}

		// Contacts: counts per row in the list, a page of them on the company's page.
		var rows []models.Contact
		for i := range 55 {
			rows = append(rows, models.Contact{Email: fmt.Sprintf("c%02d@initech.example", i), Name: "C", Active: true, CompanyID: &co.ID})
		}
		st.Contacts.InsertNew(ctx, rows)
		other := models.Company{Name: "Zeta"}
		st.Companies.Create(ctx, &other)
		body := readBody(t, admin.get("/admin/companies"))
		wantContains(t, body, "Initech &lt;Ltd&gt;</a></td>\n        <td>initech.example</td>\n        <td>55</td>", "Zeta</a></td>\n        <td></td>\n        <td>0</td>")
		frag := readBody(t, admin.get("/admin/companies?q=zet", "HX-Request", "true"))
		if strings.Contains(frag, "<html") || !strings.Contains(frag, "Zeta") || strings.Contains(frag, "Initech") {
			t.Fatalf("search fragment:\n%s", frag)
		}
		body = readBody(t, admin.get(page))
		wantContains(t, body, "c00@initech.example", "c49@initech.example", `rel="next"`, `value="Initech &lt;Ltd&gt;"`)
		wantContains(t, readBody(t, admin.get(linkRel(t, body, "next"))), "c54@initech.example")

		// The company field's suggestions: a datalist for htmx, the list page without it.
		opts := readBody(t, admin.get("/admin/companies/options?company=init", "HX-Request", "true"))
		if !strings.Contains(opts, `<datalist id="company-options"><option value="Initech &lt;Ltd&gt;"></option></datalist>`) {
			t.Fatalf("options fragment: %s", opts)
		}
		wantRedirect(t, admin.get("/admin/companies/options?company=init"), "/admin/companies?q=init")

		// Saving keeps what the form holds.
		resp, _ = admin.postAdmin(page, url.Values{"name": {"Initech"}, "domain": {""}})
		wantRedirect(t, resp, page)
		if co, _ = st.Companies.ByID(ctx, id); co.Name != "Initech" || co.Domain != "" || len(co.Properties) != 0 {
			t.Fatalf("after save: %+v", co)
		}

		// CSRF refusal, then deletion behind the box: contacts stay without a company.
		wantStatus(t, admin.do("POST", page+"/delete", url.Values{"confirm": {"yes"}}), http.StatusForbidden)
		resp, _ = admin.postAdmin(page+"/delete", url.Values{})
		wantRedirect(t, resp, page)
		resp, _ = admin.postAdmin(page+"/delete", url.Values{"confirm": {"yes"}})
		wantRedirect(t, resp, "/admin/companies")
		wantStatus(t, admin.get(page), http.StatusNotFound)
		c0, err := st.Contacts.ByEmail(ctx, "c00@initech.example")
		if err != nil || c0.CompanyID != nil {
			t.Fatalf("contact after its company was deleted: %+v, %v", c0, err)
		}
		wantNoAccess(t, s, agent, []string{"/admin/companies", "/admin/companies/new", "/admin/companies/options", "/admin/companies/1"},
			[]string{"/admin/companies/new", "/admin/companies/1", "/admin/companies/1/delete"})
	})
}
