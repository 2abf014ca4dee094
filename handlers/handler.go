// Package handlers is Portico's HTTP layer: routes, sessions, CSRF, rendering and one file per
// page area. Handlers read input, make one app or store call, and render or redirect.
package handlers

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/app/i18n"
	"portico/config"
)

// Deps is what the HTTP layer needs; main builds it.
type Deps struct {
	App        *app.App
	Config     config.Config
	Translator *i18n.Translator
	Log        *slog.Logger
	// Done is closed when shutdown starts: live-update streams end so shutdown need not wait.
	Done <-chan struct{}
}

// Handler holds everything the HTTP handlers share. It is built once and read-only afterwards.
type Handler struct {
	app        *app.App
	cfg        config.Config
	tr         *i18n.Translator
	log        *slog.Logger
	assets     *assetTable
	sessions   *dbStore
	cookieName string
	csrfKey    []byte
	proxies    []netip.Prefix
	routes     []routeInfo
	bodyRules  []routeRule // body limits per route (uploads.go)
	events     *eventStream
	views      *langViews     // the templates per language, for fragments rendered outside a response
	fragments  *fragmentCache // rendered fragments shared by viewers (fragment_cache.go)
}

// New builds the Fiber application with every route, middleware and the error handler.
func New(d Deps) (*fiber.App, *Handler, error) {
	h := &Handler{app: d.App, cfg: d.Config, tr: d.Translator, log: d.Log}
	h.events = newEventStream(d.App.Broker, d.Done)
	var err error
	if h.assets, err = loadAssets(); err != nil {
		return nil, nil, err
	}
	if h.proxies, err = parseProxies(d.Config.TrustedProxies); err != nil {
		return nil, nil, err
	}
	if h.csrfKey, err = csrfKeyFrom(d.Config.SecretKey); err != nil {
		return nil, nil, err
	}
	h.cookieName = "portico_session"
	if d.Config.SecureCookies() {
		// __Host- binds the cookie to this exact host over HTTPS: no subdomain can set or
		// shadow it (session fixation via a sibling host).
		h.cookieName = "__Host-portico_session"
	}
	h.sessions = newDBStore(h)
	views, err := newViews(h.assets, h.tr)
	if err != nil {
		return nil, nil, err
	}
	h.views, h.fragments = views, newFragmentCache(2000, time.Minute)
	f := fiber.New(fiber.Config{
		Views: views,
		// Immutable: values from c.Params/c.FormValue are copied, so they stay valid after the
		// handler returns (fasthttp reuses its buffers); stores and logs may keep them.
		Immutable: true,
		// Request bodies are streamed and read only by limitBody (uploads.go), with a limit per
		// route: ordinary forms are small, uploads go to disk part by part. With streaming,
		// BodyLimit refuses nothing (fasthttp streams an over-long body instead); it is set to
		// the largest route limit so that it states the ceiling. Pre-parsing multipart forms
		// would read every upload whole before any limit or access check, so it is off.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    int(h.maxBodyLimit()),
		ErrorHandler:                 h.handleError,
		DisableStartupMessage:        true,
		ReadTimeout:                  60 * time.Second,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  120 * time.Second,
		AppName:                      "Portico",
	})
	f.Use(h.limitBody) // first of all: nothing may read a body before its limit is set
	h.registerRoutes(f)
	if len(h.routes) == 0 {
		return nil, nil, fmt.Errorf("handlers: no routes")
	}
	if h.bodyRules, err = h.compileBodyRules(); err != nil {
		return nil, nil, err
	}
	return f, h, nil
}
