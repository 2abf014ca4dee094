package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// CSRF protection is a synchronizer token derived from the session token:
// HMAC-SHA256(secret key, session token). It needs no storage, changes whenever the session
// does (sign-in, sign-out), and a token from another session never matches. Forms carry it in
// the _csrf field; htmx requests in the X-CSRF-Token header set by hx-headers on <body>. On top
// of the token, a request whose Origin (or Sec-Fetch-Site) says it came from another site is
// refused. Fiber's csrf middleware keeps its own cookie and storage beside our sessions; one
// mechanism bound to the session is easier to reason about.

// errCSRF is a forged or expired form submission.
var errCSRF = errors.New("csrf: token missing or invalid")

// CSRFField is the form field holding the token.
const CSRFField = "_csrf"

// CSRFHeader is the header htmx sends the token in.
const CSRFHeader = "X-CSRF-Token"

func csrfKeyFrom(secretHex string) ([]byte, error) {
	key, err := hex.DecodeString(secretHex)
	if err != nil || len(key) < 32 {
		return nil, errors.New("handlers: the secret key must be at least 32 bytes of hex")
	}
	return key, nil
}

// csrfToken returns the token for the viewer's session, giving an anonymous visitor a session
// token first (so the login form itself is protected against login CSRF).
func (h *Handler) csrfToken(c *fiber.Ctx) string {
	return h.csrfFor(h.ensureToken(c))
}

func (h *Handler) csrfFor(sessionToken string) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte("csrf\x00"))
	m.Write([]byte(sessionToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses state-changing requests without a valid token or from another origin.
// Safe methods never change state (no GET route mutates), so they pass.
func (h *Handler) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Method() == fiber.MethodPost && csrfExempt[c.Path()] {
		return c.Next()
	}
	if !h.sameOrigin(c) {
		h.log.Warn("csrf: cross-origin request refused", "origin", c.Get(fiber.HeaderOrigin), "ip", h.clientIP(c))
		return errCSRF
	}
	token := h.viewer(c).Token
	sent := c.Get(CSRFHeader)
	if sent == "" {
		sent = formToken(c)
	}
	if token == "" || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(h.csrfFor(token))) != 1 {
		// The route pattern, never the raw path: a path may carry a token of its own.
		h.log.Warn("csrf: token missing or invalid", "ip", h.clientIP(c), "route", c.Route().Path)
		return errCSRF
	}
	return c.Next()
}

// formToken reads the token from the request body only. c.FormValue would also take it from
// the query string, which would invite tokens into URLs, logs and Referer headers.
func formToken(c *fiber.Ctx) string {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		if mf, err := c.MultipartForm(); err == nil && len(mf.Value[CSRFField]) > 0 {
			return mf.Value[CSRFField][0]
		}
		return ""
	}
	return string(c.Request().PostArgs().Peek(CSRFField))
}

// sameOrigin checks the browser's own statement of where a request comes from. Browsers send
// Origin on every cross-site POST; "null" (sandboxed frames, some redirects) is refused.
func (h *Handler) sameOrigin(c *fiber.Ctx) bool {
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" {
		return false
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true // not a browser, or an old one: the token alone decides
	}
	if origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	base, _ := url.Parse(h.cfg.BaseURL)
	if strings.EqualFold(u.Scheme+"://"+u.Host, base.Scheme+"://"+base.Host) {
		return true
	}
	// Also accept the host the request was addressed to (a custom portal domain, or a local
	// run reached as 127.0.0.1 instead of localhost), with the scheme the request came in on.
	return strings.EqualFold(u.Host, c.Hostname()) && u.Scheme == c.Protocol()
}
