package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

func TestAdminProperties(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores

		if body := f.page("/admin/properties"); !strings.Contains(body, "There are no custom properties yet.") {
			t.Fatalf("empty list:\n%s", body)
		}
		if body := f.page("/admin/properties/new"); !strings.Contains(body, `<option value="select">Choice from a list</option>`) {
			t.Fatalf("kinds not offered:\n%s", body)
		}
		resp, body := f.post("/admin/properties/new", url.Values{"key": {"Order No"}, "label": {"Order"}, "kind": {"text"}})
		f.wantFieldError(resp, body, "Use 1 to 40 lower-case letters")
		resp, body = f.post("/admin/properties/new", url.Values{"key": {"resolution"}, "label": {"Resolution"}, "kind": {"select"}, "options": {"\r\n"}})
		f.wantFieldError(resp, body, "A choice from a list needs between 1 and 50 options.")
		resp, body = f.post("/admin/properties/new", url.Values{"key": {"resolution"}, "label": {"Resolution"}, "kind": {"select"}, "position": {"first"}})
		f.wantFieldError(resp, body, "Enter a whole number from 0 to 100000.")
		resp, _ = f.post("/admin/properties/new", url.Values{"key": {"resolution"}, "label": {"Resolution"}, "kind": {"select"},
			"options": {"Fixed\r\nWon't fix\r\n"}, "position": {"3"}, "id": {"42"}})
		f.wantRedirect(resp, "/admin/properties")
		resp, body = f.post("/admin/properties/new", url.Values{"key": {"resolution"}, "label": {"Again"}, "kind": {"text"}})
		f.wantFieldError(resp, body, "This key is already used")

		defs, err := st.Properties.All(ctx)
		if err != nil || len(defs) != 1 || defs[0].ID == 42 || strings.Join(defs[0].Options, "|") != "Fixed|Won't fix" || defs[0].Position != 3 {
			t.Fatalf("defs = %+v, %v", defs, err)
		}
		d := defs[0]
		body = f.page("/admin/properties")
		if !strings.Contains(body, "<code>resolution</code>") || !strings.Contains(body, "Fixed, Won&#39;t fix") {
			t.Fatalf("list:\n%s", body)
		}

		// The key cannot change, even when the request names another.
		dURL := "/admin/properties/" + strconv.FormatInt(d.ID, 10)
		body = f.page(dURL)
		if strings.Contains(body, `name="key"`) || !strings.Contains(body, `<code id="property-key">resolution</code>`) {
			t.Fatal("the edit form offers to change the key")
		}
		resp, body = f.post(dURL, url.Values{"key": {"hacked"}, "label": {""}, "kind": {"select"}, "options": {"A"}})
		f.wantFieldError(resp, body, "Enter a label of at most 80 characters.")
		if !strings.Contains(body, `<code id="property-key">resolution</code>`) {
			t.Fatal("the failed form shows another key")
		}
		resp, _ = f.post(dURL, url.Values{"key": {"hacked"}, "label": {"Outcome"}, "kind": {"checkbox"}, "options": {"A"}})
		f.wantRedirect(resp, "/admin/properties")
		if got, _ := st.Properties.ByID(ctx, d.ID); got.Key != "resolution" || got.Label != "Outcome" || got.Kind != "checkbox" || len(got.Options) != 0 {
			t.Fatalf("after edit: %+v", got)
		}

		f.wantGuarded([]string{"/admin/properties", "/admin/properties/new", dURL}, map[string]url.Values{
			"/admin/properties/new": {"key": {"forged"}, "label": {"Forged"}, "kind": {"text"}},
			dURL:                    {"label": {"Forged"}, "kind": {"text"}},
			dURL + "/delete":        {"confirm": {"yes"}},
		})
		if got, _ := st.Properties.ByID(ctx, d.ID); got.Label != "Outcome" {
			t.Fatalf("a refused request changed the property: %+v", got)
		}

		resp, _ = f.post(dURL+"/delete", url.Values{})
		f.wantRedirect(resp, dURL)
		resp, _ = f.post(dURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantRedirect(resp, "/admin/properties")
		wantStatus(t, f.admin.get(dURL), http.StatusNotFound)
	})
}
