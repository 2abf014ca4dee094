package handlers

import (
	"github.com/gofiber/fiber/v2"
)

// policy is the access rule of a route. Every route declares one; a test walks the table and
// requests each route as each kind of visitor.
type policy string

const (
	public   policy = "public" // anyone, signed in or not
	anyStaff policy = "staff"  // signed-in admins and agents
	admins   policy = "admin"  // signed-in admins only
	portal   policy = "portal" // the customer portal: public pages now, contacts' pages later
	assets   policy = "static" // static files (no session work at all)
)

// routeInfo records one route for the route-walking tests.
type routeInfo struct {
	Method, Path, Name string
	Policy             policy
}

// registerRoutes declares every route, grouped by area, with its access rule on the same line.
func (h *Handler) registerRoutes(f *fiber.App) {
	f.Use(h.recoverPanics, h.requestLog, h.securityHeaders)
	h.add(f, "GET", "/static/*", assets, "static", h.serveStatic)
	h.add(f, "GET", "/healthz", assets, "health", h.showHealth)

	f.Use(h.loadSession, h.checkCSRF)

	// Staff sign-in (SPEC P-12): separate from the customer portal's sign-in.
	h.add(f, "GET", "/", public, "home", h.showHome)
	h.add(f, "GET", "/login", public, "auth.login", h.showLogin)
	h.add(f, "POST", "/login", public, "auth.login.submit", h.submitLogin)
	h.add(f, "POST", "/logout", public, "auth.logout", h.submitLogout)

	// Admin area.
	h.add(f, "GET", "/admin", admins, "admin.home", h.showAdminHome)

	// Agents' desk.
	h.add(f, "GET", "/desk", anyStaff, "desk.home", h.showDeskHome)

	// Customer portal (sign-in, tickets and branding arrive with the portal issues).
	h.add(f, "GET", "/portal", portal, "portal.home", h.showPortalHome)

	f.Use(h.notFound)
}

// add registers one route behind its policy's guard and records it.
func (h *Handler) add(f *fiber.App, method, path string, p policy, name string, handler fiber.Handler) {
	chain := []fiber.Handler{}
	switch p {
	case anyStaff:
		chain = append(chain, h.requireStaff)
	case admins:
		chain = append(chain, h.requireAdmin)
	case public, portal, assets:
	default:
		panic("handlers: route " + path + " has unknown policy " + string(p))
	}
	chain = append(chain, handler)
	f.Add(method, path, chain...).Name(name)
	h.routes = append(h.routes, routeInfo{Method: method, Path: path, Name: name, Policy: p})
}

// Routes lists every registered route with its policy.
func (h *Handler) Routes() []routeInfo { return append([]routeInfo(nil), h.routes...) }
