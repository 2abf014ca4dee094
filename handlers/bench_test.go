package handlers

import (
	"context"
	"net/http/httptest"
	"testing"

	"portico/app"
	"portico/models"
)

// BenchmarkDeskPage renders the signed-in desk page (25 tickets) through the whole middleware
// chain: session lookup, user load, query, template.
func BenchmarkDeskPage(b *testing.B) {
	s := newSQLiteServer(b)
	if _, err := s.app.SeedDemo(context.Background(), app.DemoOptions{}); err != nil {
		b.Fatal(err)
	}
	s.staff(models.RoleAgent, "bench@example.com")
	br := s.browser()
	br.login("bench@example.com", "correct horse battery")
	cookie := s.h.cookieName + "=" + br.sessionCookie()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/desk", nil)
		req.Header.Set("Cookie", cookie)
		resp, err := s.fiber.Test(req, -1)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("status %v, %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	}
}

// BenchmarkLoginPage renders the anonymous sign-in page.
func BenchmarkLoginPage(b *testing.B) {
	s := newSQLiteServer(b)
	for b.Loop() {
		resp, err := s.fiber.Test(httptest.NewRequest("GET", "/login", nil), -1)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkPortalListing renders a customer's first page of tickets (and their
// organisation's) over demo data with 2,000 extra tickets, through the whole middleware chain.
func BenchmarkPortalListing(b *testing.B) {
	s := newSQLiteServer(b)
	if _, err := s.app.SeedDemo(context.Background(), app.DemoOptions{Tickets: 2000, Messages: 2}); err != nil {
		b.Fatal(err)
	}
	br := s.browser()
	br.portalLogin("alice@acme.example", "demo-customer-1")
	cookie := s.h.cookieName + "=" + br.sessionCookie()
	for name, path := range map[string]string{"mine": "/portal", "org": "/portal?view=org"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Cookie", cookie)
				resp, err := s.fiber.Test(req, -1)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("status %v, %v", resp.StatusCode, err)
				}
				resp.Body.Close()
			}
		})
	}
}
