package handlers

import (
	"github.com/gofiber/fiber/v2"
)

// policy is the access rule of a route. Every route declares one; a test walks the table and
// requests each route as each kind of visitor.
type policy string

const (
	public    policy = "public"   // anyone, signed in or not
	anyStaff  policy = "staff"    // signed-in admins and agents
	admins    policy = "admin"    // signed-in admins only
	portal    policy = "portal"   // customer portal pages open to visitors (sign-in, register, …)
	customers policy = "customer" // customer portal pages for signed-in contacts (or an admin previewing)
	assets    policy = "static"   // static files (no session work at all)
)

// routeInfo records one route for the route-walking tests.
type routeInfo struct {
	Method, Path, Name string
	Policy             policy
}

// registerRoutes declares every route, grouped by area, with its access rule on the same line.
func (h *Handler) registerRoutes(f *fiber.App) {
	// portalRouting must stay the first route after these three middlewares: it rewrites
	// /<slug>/… and custom-domain paths to /portal/… before any route is matched.
	f.Use(h.recoverPanics, h.requestLog, h.securityHeaders)
	f.Use(h.portalRouting)
	h.add(f, "GET", "/static/*", assets, "static", h.serveStatic)
	h.add(f, "GET", "/healthz", assets, "health", h.showHealth)

	f.Use(h.loadSession, h.checkCSRF)

	// Staff sign-in (SPEC P-12): separate from the customer portal's sign-in.
	h.add(f, "GET", "/", public, "home", h.showHome)
	h.add(f, "GET", "/login", public, "auth.login", h.showLogin)
	h.add(f, "POST", "/login", public, "auth.login.submit", h.submitLogin)
	h.add(f, "POST", "/logout", public, "auth.logout", h.submitLogout)
	h.add(f, "GET", "/branding/:id", public, "branding.file", h.serveBrandingFile)

	// Admin area.
	h.add(f, "GET", "/admin", admins, "admin.home", h.showAdminHome)
	h.add(f, "GET", "/admin/portal", admins, "admin.portal", h.showPortalSettings)
	h.add(f, "POST", "/admin/portal", admins, "admin.portal.save", h.savePortalSettings)
	h.add(f, "GET", "/admin/portal/access", admins, "admin.portal.access", h.showPortalAccess)
	h.add(f, "POST", "/admin/portal/access", admins, "admin.portal.access.save", h.savePortalAccess)
	h.add(f, "GET", "/admin/portal/consent", admins, "admin.portal.consent", h.showConsentSettings)
	h.add(f, "POST", "/admin/portal/consent", admins, "admin.portal.consent.save", h.saveConsentSettings)
	h.add(f, "GET", "/admin/portal/branding", admins, "admin.portal.branding", h.showBranding)
	h.add(f, "POST", "/admin/portal/branding", admins, "admin.portal.branding.save", h.saveBranding)
	h.add(f, "GET", "/admin/portal/sso", admins, "admin.portal.sso", h.showSSOSettings)
	h.add(f, "POST", "/admin/portal/sso", admins, "admin.portal.sso.save", h.saveSSOSettings)
	h.add(f, "GET", "/admin/portal/tickets", admins, "admin.portal.tickets", h.showPortalTicketSettings)
	h.add(f, "POST", "/admin/portal/tickets", admins, "admin.portal.tickets.save", h.savePortalTicketSettings)
	h.add(f, "GET", "/admin/portal/form", admins, "admin.portal.form", h.showSupportFormSettings)
	h.add(f, "POST", "/admin/portal/form", admins, "admin.portal.form.save", h.saveSupportFormSettings)
	h.registerAdminModelRoutes(f)   // pipelines, properties, staff, teams, inboxes (admin_model_routes.go)
	h.registerAdminContactRoutes(f) // contacts, companies, lists, CSV import (admin_contact_routes.go)
	h.add(f, "GET", "/admin/outbox", admins, "admin.outbox", h.showOutbox)
	h.add(f, "GET", "/admin/outbox/:id", admins, "admin.outbox.email", h.showOutboxEmail)

	h.add(f, "GET", "/admin/kb", admins, "admin.kb", h.showAdminKB)
	h.add(f, "GET", "/admin/kb/categories/new", admins, "admin.kb.category.new", h.showKBCategoryForm)
	h.add(f, "POST", "/admin/kb/categories/new", admins, "admin.kb.category.create", h.saveKBCategory)
	h.add(f, "GET", "/admin/kb/categories/:id", admins, "admin.kb.category", h.showKBCategoryForm)
	h.add(f, "POST", "/admin/kb/categories/:id", admins, "admin.kb.category.save", h.saveKBCategory)
	h.add(f, "POST", "/admin/kb/categories/:id/delete", admins, "admin.kb.category.delete", h.deleteKBCategory)
	h.add(f, "GET", "/admin/kb/articles/new", admins, "admin.kb.article.new", h.showKBArticleForm)
	h.add(f, "POST", "/admin/kb/articles/new", admins, "admin.kb.article.create", h.saveKBArticle)
	h.add(f, "GET", "/admin/kb/articles/:id", admins, "admin.kb.article", h.showKBArticleForm)
	h.add(f, "POST", "/admin/kb/articles/:id", admins, "admin.kb.article.save", h.saveKBArticle)
	h.add(f, "POST", "/admin/kb/articles/:id/delete", admins, "admin.kb.article.delete", h.deleteKBArticle)

	// Knowledge base (public; published articles only).
	h.add(f, "GET", "/kb", public, "kb.home", h.showKBHome)
	h.add(f, "GET", "/kb/search", public, "kb.search", h.showKBSearch)
	h.add(f, "GET", "/kb/suggest", public, "kb.suggest", h.showKBSuggestions)
	h.add(f, "GET", "/kb/:category", public, "kb.category", h.showKBCategory)
	h.add(f, "GET", "/kb/:category/:article", public, "kb.article", h.showKBArticle)
	h.add(f, "POST", "/kb/:category/:article/feedback", public, "kb.article.feedback", h.submitKBFeedback)

	// Agents' desk.
	h.registerDeskRoutes(f) // desk_routes.go

	// Customer portal, at /<slug> (or / on the custom domain), routed here as /portal; while it
	// is switched off every portal page is the "unavailable" page, except for admins.
	f.Use("/portal", h.portalGate)
	h.add(f, "GET", "/portal", customers, "portal.home", h.showPortalHome)
	h.add(f, "GET", "/portal/tickets/:ref", customers, "portal.ticket", h.showPortalTicket)
	h.add(f, "GET", "/portal/tickets/:ref/thread", customers, "portal.ticket.thread", h.showPortalThread)
	h.add(f, "POST", "/portal/tickets/:ref/reply", customers, "portal.ticket.reply", h.submitPortalReply)
	h.add(f, "GET", "/portal/events", customers, "portal.events", h.portalEvents)
	h.add(f, "GET", "/portal/new", customers, "portal.new", h.showSupportForm)
	h.add(f, "POST", "/portal/new", customers, "portal.new.submit", h.submitSupportForm)
	h.add(f, "GET", "/portal/attachments/:id", customers, "portal.attachment", h.servePortalAttachment)
	h.add(f, "GET", "/portal/login", portal, "portal.login", h.showPortalLogin)
	h.add(f, "POST", "/portal/login", portal, "portal.login.submit", h.submitPortalLogin)
	h.add(f, "POST", "/portal/logout", portal, "portal.logout", h.submitPortalLogout)
	h.add(f, "GET", "/portal/register", portal, "portal.register", h.showRegister)
	h.add(f, "POST", "/portal/register", portal, "portal.register.submit", h.submitRegister)
	h.add(f, "GET", "/portal/verify/:token", portal, "portal.verify", h.showVerify)
	h.add(f, "POST", "/portal/verify/:token", portal, "portal.verify.submit", h.submitVerify)
	h.add(f, "GET", "/portal/invite/:token", portal, "portal.invite", h.showInvite)
	h.add(f, "POST", "/portal/invite/:token", portal, "portal.invite.submit", h.submitInvite)
	h.add(f, "GET", "/portal/password/forgot", portal, "portal.forgot", h.showForgotPassword)
	h.add(f, "POST", "/portal/password/forgot", portal, "portal.forgot.submit", h.submitForgotPassword)
	h.add(f, "GET", "/portal/password/reset/:token", portal, "portal.reset", h.showResetPassword)
	h.add(f, "POST", "/portal/password/reset/:token", portal, "portal.reset.submit", h.submitResetPassword)
	h.add(f, "GET", "/portal/denied", portal, "portal.denied", h.showAccessDenied)
	h.add(f, "POST", "/portal/language", portal, "portal.language", h.submitPortalLanguage)
	h.add(f, "GET", "/portal/sso/jwt", portal, "portal.sso.jwt", h.ssoJWT)
	h.add(f, "GET", "/portal/sso/saml/metadata", portal, "portal.sso.saml.metadata", h.samlMetadata)
	h.add(f, "GET", "/portal/sso/saml/login", portal, "portal.sso.saml.login", h.samlLogin)
	// The IdP posts the SAML response from its own origin: no CSRF token is possible, and
	// the signed assertion with its InResponseTo and one-time ID is the protection instead.
	h.add(f, "POST", "/portal/sso/saml/acs", portal, "portal.sso.saml.acs", h.samlACS)

	f.Use(h.notFound)
}

// csrfExempt lists the only routes that accept a POST without a CSRF token, each with its reason
// beside the route above.
var csrfExempt = map[string]bool{"/portal/sso/saml/acs": true}

// add registers one route behind its policy's guard and records it.
func (h *Handler) add(f *fiber.App, method, path string, p policy, name string, handler fiber.Handler) {
	chain := []fiber.Handler{}
	switch p {
	case anyStaff:
		chain = append(chain, h.requireStaff)
	case admins:
		chain = append(chain, h.requireAdmin)
	case customers:
		chain = append(chain, h.requireContact)
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
