package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"portico/models"
)

func TestAdminKBEditor(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	s.staff(models.RoleAgent, "bob@example.com")
	admin := s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	agent := s.browser()
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	for _, p := range []string{"/admin/kb", "/admin/kb/categories/new", "/admin/kb/articles/new"} {
		wantStatus(t, agent.get(p), http.StatusForbidden)
	}
	token := admin.csrf("/admin/kb/categories/new")
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set(CSRFField, token)
		resp := admin.do("POST", path, form)
		return resp, readBody(t, resp)
	}

	// Categories: validation, creation, slug conflict.
	resp, body := post("/admin/kb/categories/new", url.Values{"name": {"Billing"}, "slug": {"Bad Slug!"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Use 1 to 60 lower-case") || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("bad slug: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = post("/admin/kb/categories/new", url.Values{"name": {"Billing"}, "slug": {"billing"}, "position": {"1"}})
	wantStatus(t, resp, http.StatusSeeOther)
	resp, body = post("/admin/kb/categories/new", url.Values{"name": {"Other"}, "slug": {"billing"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "already used") {
		t.Fatalf("slug conflict: %d\n%s", resp.StatusCode, body)
	}
	resp, body = post("/admin/kb/categories/new", url.Values{"name": {"Other"}, "slug": {"other"}, "position": {"x"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "whole number") {
		t.Fatalf("bad position: %d", resp.StatusCode)
	}
	cat, err := s.app.Stores.KB.CategoryBySlug(context.Background(), "billing")
	if err != nil {
		t.Fatal(err)
	}
	catID := itoa(int(cat.ID))

	// Articles: draft, preview, publish sets published_at once.
	resp, body = post("/admin/kb/articles/new", url.Values{"title": {""}, "slug": {"x"}, "category_id": {catID}, "status": {"draft"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Enter a title") {
		t.Fatalf("no title: %d", resp.StatusCode)
	}
	resp, body = post("/admin/kb/articles/new", url.Values{"title": {"T"}, "slug": {"x"}, "category_id": {"999"}, "status": {"draft"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Choose a category") {
		t.Fatalf("bad category: %d", resp.StatusCode)
	}
	resp, _ = post("/admin/kb/articles/new", url.Values{"title": {"Pay by card"}, "slug": {"pay-by-card"}, "category_id": {catID},
		"status": {"draft"}, "body": {"# Card\n\n<script>alert(1)</script>\n\n**bold**"}, "helpful_yes": {"99"}})
	wantStatus(t, resp, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	body = readBody(t, admin.get(loc))
	if !strings.Contains(body, "<strong>bold</strong>") || strings.Contains(body, "<script>alert") || !strings.Contains(body, `id="kb-draft-badge"`) {
		t.Fatalf("edit page preview:\n%s", body)
	}
	wantStatus(t, s.browser().get("/kb/billing/pay-by-card"), http.StatusNotFound)
	resp, _ = post(loc, url.Values{"title": {"Pay by card"}, "slug": {"pay-by-card"}, "category_id": {catID}, "status": {"published"}, "body": {"Now public."}})
	wantStatus(t, resp, http.StatusSeeOther)
	art, _ := s.app.Stores.KB.ArticleInCategory(context.Background(), cat.ID, "pay-by-card")
	if art.PublishedAt == nil || art.HelpfulYes != 0 || art.AuthorID == nil {
		t.Fatalf("article after publishing: %+v", art)
	}
	first := *art.PublishedAt
	post(loc, url.Values{"title": {"Pay by card"}, "slug": {"pay-by-card"}, "category_id": {catID}, "status": {"published"}, "body": {"Edited."}})
	art, _ = s.app.Stores.KB.ArticleByID(context.Background(), art.ID)
	if !art.PublishedAt.Equal(first) {
		t.Fatal("published_at moved on a later save")
	}
	wantStatus(t, s.browser().get("/kb/billing/pay-by-card"), http.StatusOK)
	if body := readBody(t, admin.get("/admin/kb")); !strings.Contains(body, "Pay by card") || !strings.Contains(body, "Yes 0, no 0") {
		t.Fatalf("list:\n%s", body)
	}

	// Deleting needs the confirmation box.
	resp, _ = post("/admin/kb/articles/"+itoa(int(art.ID))+"/delete", url.Values{})
	wantStatus(t, resp, http.StatusSeeOther)
	if _, err := s.app.Stores.KB.ArticleByID(context.Background(), art.ID); err != nil {
		t.Fatal("deleted without confirmation")
	}
	resp, _ = post("/admin/kb/articles/"+itoa(int(art.ID))+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if _, err := s.app.Stores.KB.ArticleByID(context.Background(), art.ID); err == nil {
		t.Fatal("not deleted")
	}
	resp, _ = post("/admin/kb/categories/"+catID+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, resp, http.StatusSeeOther)
	wantStatus(t, admin.get("/admin/kb/categories/"+catID), http.StatusNotFound)
	wantStatus(t, admin.get("/admin/kb/articles/abc"), http.StatusNotFound)
}
