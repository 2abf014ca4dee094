package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"

	"portico/app"
	"portico/models"
)

// This file is the only one that knows gorilla/sessions. Sessions are server-side rows
// (models.Session): the cookie carries a random 256-bit token and the database only its
// SHA-256, so any session can be revoked and a database dump holds no usable cookie. A visitor
// who is not signed in gets a token with no row, which only anchors the CSRF token.

const (
	localViewer = "viewer"
	valueKind   = "kind"
	valueUserID = "uid"
	// valueAccount holds the models.SessionUser read by New, so that loadUser needs no query
	// of its own; it never goes into the cookie (only the token does).
	valueAccount = "account"
)

// Viewer is who is making the request.
type Viewer struct {
	Token   string          // the session cookie's token; may belong to no row (anonymous)
	Kind    models.UserKind // empty when not signed in
	Staff   *models.StaffUser
	Contact *models.Contact

	cookieDirty bool // Token changed: write the cookie at the end of the request
	clear       bool // delete the cookie at the end of the request
}

// SignedIn reports whether the viewer is a signed-in staff user or contact.
func (v *Viewer) SignedIn() bool { return v.Staff != nil || v.Contact != nil }

// IsStaff reports whether the viewer is a signed-in admin or agent.
func (v *Viewer) IsStaff() bool { return v.Staff != nil }

// IsAdmin reports whether the viewer is a signed-in admin.
func (v *Viewer) IsAdmin() bool { return v.Staff != nil && v.Staff.IsAdmin() }

// Name is the signed-in person's display name.
func (v *Viewer) Name() string {
	switch {
	case v.Staff != nil:
		return v.Staff.Name
	case v.Contact != nil:
		return v.Contact.Name
	}
	return ""
}

// viewer returns the request's viewer (never nil after loadSession).
func (h *Handler) viewer(c *fiber.Ctx) *Viewer {
	if v, ok := c.Locals(localViewer).(*Viewer); ok {
		return v
	}
	return &Viewer{}
}

// loadSession resolves the session cookie into a Viewer before the handler runs and writes the
// cookie back after it, once, if the handler changed it.
func (h *Handler) loadSession(c *fiber.Ctx) error {
	r := bridgeRequest(c)
	sess, err := h.sessions.Get(r, h.cookieName)
	if err != nil {
		// The database did not answer: say so, rather than treat a signed-in user as a stranger.
		h.log.Error("load session", "err", err)
		return fiber.ErrServiceUnavailable
	}
	v := &Viewer{Token: sess.ID}
	if !sess.IsNew {
		if err := h.loadUser(c, v, sess); err != nil {
			return err
		}
	}
	c.Locals(localViewer, v)
	err = c.Next()
	if v.cookieDirty || v.clear {
		sess.ID = v.Token
		if v.clear {
			sess.Options.MaxAge = -1
		}
		w := &headerWriter{h: http.Header{}}
		if serr := h.sessions.Save(r, w, sess); serr != nil && err == nil {
			err = serr
		}
		for _, ck := range w.h.Values("Set-Cookie") {
			c.Response().Header.Add(fiber.HeaderSetCookie, ck)
		}
	}
	return err
}

// loadUser fills the viewer from a live session; a disabled account ends the session.
func (h *Handler) loadUser(c *fiber.Ctx, v *Viewer, sess *sessions.Session) error {
	kind, _ := sess.Values[valueKind].(models.UserKind)
	id, _ := sess.Values[valueUserID].(int64)
	ctx := c.UserContext()
	if su, ok := sess.Values[valueAccount].(models.SessionUser); ok && su.UserKind == kind && su.UserID == id {
		switch {
		case kind == models.KindStaff && su.Staff != nil && su.Staff.Active:
			v.Kind, v.Staff = kind, su.Staff
			return nil
		case kind == models.KindContact && su.Contact != nil && su.Contact.Active:
			v.Kind, v.Contact = kind, su.Contact
			return nil
		}
	}
	switch kind {
	case models.KindStaff:
		u, err := h.app.Stores.Staff.ByID(ctx, id)
		if err == nil && u.Active {
			v.Kind, v.Staff = kind, &u
			return nil
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
	case models.KindContact:
		ct, err := h.app.Stores.Contacts.ByID(ctx, id)
		if err == nil && ct.Active {
			v.Kind, v.Contact = kind, &ct
			return nil
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
	}
	// The account is gone or disabled: end the session and start over anonymous.
	if err := h.app.EndSession(ctx, v.Token); err != nil {
		return err
	}
	v.Token, v.cookieDirty = app.NewToken(), true
	return nil
}

// signIn starts a new session for a staff user or contact. The token is always fresh: whatever
// the browser carried before (anonymous, someone else's planted id) is ended, so a session can
// never be fixed in advance (SESS-01).
func (h *Handler) signIn(c *fiber.Ctx, kind models.UserKind, userID int64) error {
	v := h.viewer(c)
	ctx := c.UserContext()
	if err := h.app.EndSession(ctx, v.Token); err != nil {
		return err
	}
	token, err := h.app.StartSession(ctx, kind, userID, h.clientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	v.Token, v.Kind, v.cookieDirty = token, kind, true
	return nil
}

// signOut ends the current session and clears the cookie.
func (h *Handler) signOut(c *fiber.Ctx) error {
	v := h.viewer(c)
	if err := h.app.EndSession(c.UserContext(), v.Token); err != nil {
		return err
	}
	v.Token, v.Kind, v.Staff, v.Contact, v.clear = "", "", nil, nil, true
	return nil
}

// ensureToken gives an anonymous visitor a token (for the CSRF token of a form) and returns it.
func (h *Handler) ensureToken(c *fiber.Ctx) string {
	v := h.viewer(c)
	if v.Token == "" {
		v.Token, v.cookieDirty = app.NewToken(), true
	}
	return v.Token
}

// dbStore is a gorilla/sessions Store over app's server-side sessions.
type dbStore struct {
	h       *Handler
	options sessions.Options
}

func newDBStore(h *Handler) *dbStore {
	return &dbStore{h: h, options: sessions.Options{
		Path:     "/",
		MaxAge:   0, // a browser-session cookie: the server decides how long a session lives
		Secure:   h.cfg.SecureCookies(),
		HttpOnly: true,
		// gorilla/sessions v1.4.0 defaults to SameSite=None; Lax keeps the cookie off
		// cross-site POSTs while links from e-mails still arrive signed in.
		SameSite: http.SameSiteLaxMode,
	}}
}

// Get returns the session named in the request's cookie.
func (s *dbStore) Get(r *http.Request, name string) (*sessions.Session, error) { return s.New(r, name) }

// New resolves the cookie's token. A live session fills Values with the user; an unknown,
// expired or malformed token gives a new anonymous session (never one with the client's id
// adopted into a row).
func (s *dbStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.options
	sess.Options = &opts
	sess.IsNew = true
	ck, err := r.Cookie(name)
	if err != nil || !wellFormedToken(ck.Value) {
		return sess, nil
	}
	sess.ID = ck.Value
	row, err := s.h.app.ResolveSessionUser(r.Context(), ck.Value, 0)
	switch {
	case err == nil:
		sess.IsNew = false
		sess.Values[valueKind] = row.UserKind
		sess.Values[valueUserID] = row.UserID
		sess.Values[valueAccount] = row // the account, read with the session (loadUser)
	case errors.Is(err, models.ErrNotFound):
		// Unknown or ended: the token stays only as an anonymous CSRF anchor.
	default:
		return sess, err
	}
	return sess, nil
}

// Save writes the cookie (or deletes it when MaxAge < 0). The row itself is written by
// app.StartSession / EndSession.
func (s *dbStore) Save(_ *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	value := sess.ID
	if sess.Options.MaxAge < 0 {
		value = ""
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), value, sess.Options))
	return nil
}

// wellFormedToken accepts only what app.NewToken makes: 43 URL-safe base64 characters.
func wellFormedToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// bridgeRequest builds the small net/http request gorilla/sessions reads: the Cookie header and
// the request's context. It is the one place fasthttp meets net/http.
func bridgeRequest(c *fiber.Ctx) *http.Request {
	r := &http.Request{Method: c.Method(), Header: http.Header{}, URL: &url.URL{Path: c.Path()}}
	if ck := c.Get(fiber.HeaderCookie); ck != "" {
		r.Header.Set("Cookie", ck)
	}
	return r.WithContext(c.UserContext())
}

// headerWriter captures the headers gorilla/sessions writes.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}

// safeNext returns a local path to go to after sign-in, or fallback for anything that could
// leave the site (//evil, /\evil, absolute URLs).
func safeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	return next
}
