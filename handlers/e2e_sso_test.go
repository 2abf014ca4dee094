package handlers

// End-to-end single sign-on journeys in a real headless Chromium (harness in browser_test.go,
// JWT and SAML helpers in portal_sso_test.go): an admin configures SSO on the settings page in
// the browser, then visitors reach the portal signed in, through a token from "their
// application" or through a SAML identity provider that runs inside the test, on another site
// (idp.localhost) with a sign-in form of its own. Replays and forgeries get the SSO error page
// and no session. Like the other journeys, each test fails on any JavaScript error or CSP
// violation.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/crewjam/saml"
	"github.com/golang-jwt/jwt/v5"
	dsig "github.com/russellhaering/goxmldsig"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// The texts the visitor reads on the SSO error page.
const (
	ssoE2EErrorHeading = "We could not sign you in"
	ssoE2EErrorInvalid = "The sign-in link is invalid or has expired. Go back to the site you came from and try again."
)

// TestE2ESSOJWT: the admin turns on JWT sign-in with a shared secret on the settings page, by
// keyboard; a visitor sent by "the customer's application" to the JWT address with a signed
// token lands on the portal home signed in, as a new verified contact. The same link opened
// again in another browser, and a token signed with another secret, show the error page and
// sign nobody in.
func TestE2ESSOJWT(t *testing.T) {
	began := time.Now()
	db := dbtest.SQLite(t)
	s := newLiveServer(t, db)
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	ctx := context.Background()
	secret := "e2e-throwaway-" + app.NewToken() // the app's random token: well over 32 bytes
	if len(secret) < models.MinJWTSecretBytes {
		t.Fatalf("test secret has %d bytes, want at least %d", len(secret), models.MinJWTSecretBytes)
	}
	first := newBrowser(t, s.url)

	// The admin configures JWT SSO on the settings page.
	admin := first
	admin.open("/login")
	admin.signIn("ada@example.com", pw)
	admin.waitPath("/admin")
	if status := admin.open("/admin/portal/sso"); status != http.StatusOK {
		t.Fatalf("GET /admin/portal/sso: status %d", status)
	}
	if got := admin.text("main h1"); got != "Single sign-on for the customer portal" {
		t.Fatalf("SSO settings heading = %q", got)
	}
	if got := admin.text("#sso-jwt-url"); got != s.url+"/portal/sso/jwt" {
		t.Fatalf("the page gives the JWT address as %q, want %s/portal/sso/jwt", got, s.url)
	}
	if got := admin.text("#sso-jwt-secret-state"); !strings.HasPrefix(got, "No secret is set") {
		t.Fatalf("secret state before saving = %q", got)
	}
	if admin.ssoChecked("sso-jwt-enabled") {
		t.Fatal("JWT sign-in is on before the admin turned it on")
	}
	if got := run(admin, "read the algorithm", chromedp.Value(chromedp.ID("sso-jwt-algorithm"))); got != "HS256" {
		t.Fatalf("algorithm preselected = %q, want HS256", got)
	}
	admin.do("tick JWT sign-in with the keyboard",
		chromedp.Focus(chromedp.ID("sso-jwt-enabled")),
		chromedp.KeyEvent(" "),
	)
	if !admin.ssoChecked("sso-jwt-enabled") {
		t.Fatal("Space did not tick the JWT checkbox")
	}
	admin.ssoMarkPage()
	// Enter in the secret field submits the form (implicit submission).
	admin.do("type the secret and press Enter", chromedp.SendKeys(chromedp.ID("sso-jwt-secret"), secret+kb.Enter))
	admin.ssoWaitSaved()
	p, err := s.app.Stores.Settings.Portal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !p.SSO.JWTEnabled || p.SSO.JWTAlgorithm != models.JWTHS256 || p.SSO.JWTSecret != secret || p.SSO.SAMLEnabled {
		t.Fatalf("stored SSO settings after the form: jwt %v, alg %q, secret stored %v, saml %v",
			p.SSO.JWTEnabled, p.SSO.JWTAlgorithm, p.SSO.JWTSecret == secret, p.SSO.SAMLEnabled)
	}
	if !admin.ssoChecked("sso-jwt-enabled") {
		t.Fatal("the saved page shows JWT sign-in off")
	}
	if got := admin.text("#sso-jwt-secret-state"); !strings.HasPrefix(got, "A secret is set") {
		t.Fatalf("secret state after saving = %q", got)
	}
	if got := run(admin, "read the secret field", chromedp.Value(chromedp.ID("sso-jwt-secret"))); got != "" {
		t.Fatal("the secret field is filled in again after saving")
	}
	if eval[bool](admin, "document.documentElement.outerHTML.includes("+ssoJSString(secret)+")") {
		t.Fatal("the secret is in the settings page")
	}

	// The customer's application signs a token and redirects the visitor's browser with it.
	now := s.clock.Now()
	claims := jwt.MapClaims{"email": "nia@example.com", "name": "Nia Okafor", "iat": now.Unix(),
		"exp": now.Add(2 * time.Minute).Unix(), "jti": app.NewToken()}
	link := "/portal/sso/jwt?jwt=" + url.QueryEscape(ssoMint(t, jwt.SigningMethodHS256, []byte(secret), claims, nil))

	visitor := first.newContext(t, "visitor")
	if status := visitor.open(link); status != http.StatusOK {
		t.Fatalf("the SSO link ended on status %d, want the portal home's 200", status)
	}
	visitor.waitPath("/portal")
	if loc := visitor.location(); loc != s.url+"/portal" {
		t.Fatalf("after SSO the browser is at %s, want %s/portal (the token must not stay in the address)", loc, s.url)
	}
	if got := visitor.text("main p"); got != "Welcome, Nia Okafor." {
		t.Fatalf("portal home greeting = %q", got)
	}
	if got := visitor.text("header form.signout .who"); got != "Nia Okafor" {
		t.Fatalf("signed-in name in the header = %q", got)
	}
	c, err := s.app.Stores.Contacts.ByEmail(ctx, "nia@example.com")
	if err != nil || !c.IsVerified() || !c.Active || c.Name != "Nia Okafor" || c.PasswordHash != "" {
		t.Fatalf("contact after SSO = %+v, %v; want an active, verified Nia Okafor without a password", c, err)
	}
	if n := ssoContactSessions(t, db); n != 1 {
		t.Fatalf("%d customer sessions after one SSO login, want 1", n)
	}

	first.expect("status of 400") // the error page's status, as Chromium logs it

	t.Run("the same link again", func(t *testing.T) {
		replay := first.newContext(t, "replay")
		if status := replay.open(link); status != http.StatusBadRequest {
			t.Fatalf("replayed SSO link: status %d, want 400", status)
		}
		replay.ssoWantErrorPage(link)
	})

	t.Run("a token signed with another secret", func(t *testing.T) {
		forged := first.newContext(t, "forged")
		claims := jwt.MapClaims{"email": "eve@example.com", "name": "Eve", "iat": now.Unix(),
			"exp": now.Add(2 * time.Minute).Unix(), "jti": app.NewToken()}
		other := "another-secret-of-enough-length-" + app.NewToken()
		link := "/portal/sso/jwt?jwt=" + url.QueryEscape(ssoMint(t, jwt.SigningMethodHS256, []byte(other), claims, nil))
		if status := forged.open(link); status != http.StatusBadRequest {
			t.Fatalf("token with another secret: status %d, want 400", status)
		}
		forged.ssoWantErrorPage(link)
		if _, err := s.app.Stores.Contacts.ByEmail(ctx, "eve@example.com"); err == nil {
			t.Fatal("the forged token created a contact")
		}
	})

	if n := ssoContactSessions(t, db); n != 1 {
		t.Fatalf("%d customer sessions at the end, want only the first login's", n)
	}
	ssoE2ETimed(t, began)
}

// TestE2ESSOSAML: the admin pastes an identity provider's metadata into the settings page and
// turns SAML on; the portal publishes its service-provider metadata, which the IdP registers.
// A visitor starts at the portal's SAML login, is sent to the IdP, signs in on its form, and
// the IdP's page posts the response back to the portal (a cross-site POST, as with a real
// IdP), which signs them in. The same response posted again from another browser is refused.
func TestE2ESSOSAML(t *testing.T) {
	began := time.Now()
	db := dbtest.SQLite(t)
	s := newLiveServer(t, db)
	// crewjam dates requests and assertions by the real time: put the app's clock on it.
	s.clock.Set(time.Now().UTC())
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	ctx := context.Background()
	idp := newSSOE2EIdP(t) // before the browser, so that it closes after it
	metadata := idp.metadataXML(t)
	first := newBrowser(t, s.url)

	// The admin pastes the IdP's metadata and turns SAML on.
	admin := first
	admin.open("/login")
	admin.signIn("ada@example.com", pw)
	admin.waitPath("/admin")
	admin.open("/admin/portal/sso")
	if got := admin.text("#sso-sp-acs"); got != s.url+"/portal/sso/saml/acs" {
		t.Fatalf("the page gives the ACS address as %q", got)
	}
	admin.do("tick SAML sign-in with the keyboard",
		chromedp.Focus(chromedp.ID("sso-saml-enabled")),
		chromedp.KeyEvent(" "),
	)
	if !admin.ssoChecked("sso-saml-enabled") {
		t.Fatal("Space did not tick the SAML checkbox")
	}
	admin.ssoPaste("sso-saml-metadata", metadata)
	admin.ssoMarkPage()
	admin.do("click Save settings", chromedp.Click(chromedp.CSS(`#sso-settings-form button[type="submit"]`)))
	admin.ssoWaitSaved()
	p, err := s.app.Stores.Settings.Portal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !p.SSO.SAMLEnabled || p.SSO.JWTEnabled || p.SSO.SAMLIdPMetadata != strings.TrimSpace(metadata) {
		t.Fatalf("stored SSO settings after the form: saml %v, jwt %v, metadata stored as pasted %v",
			p.SSO.SAMLEnabled, p.SSO.JWTEnabled, p.SSO.SAMLIdPMetadata == strings.TrimSpace(metadata))
	}
	if !admin.ssoChecked("sso-saml-enabled") {
		t.Fatal("the saved page shows SAML sign-in off")
	}
	if got := run(admin, "read the metadata field", chromedp.Value(chromedp.ID("sso-saml-metadata"))); !strings.Contains(got, `entityID="`+idp.url+`/metadata"`) {
		t.Fatalf("the saved page does not show the IdP metadata back: %.200q", got)
	}
	if got := admin.text("#sso-sp-certificate"); !strings.HasPrefix(got, "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("the SP certificate shown after the first save = %.80q", got)
	}
	if got := admin.text("#sso-sp-metadata"); got != s.url+"/portal/sso/saml/metadata" {
		t.Fatalf("the page gives the SP metadata address as %q", got)
	}

	// The IdP's administrator registers the portal from its published metadata.
	idp.register(t, s.url+"/portal/sso/saml/metadata", s.url+"/portal/sso/saml/acs")

	// A visitor signs in through the IdP.
	visitor := first.newContext(t, "visitor")
	visitorSites := visitor.ssoRecordSites()
	if status := visitor.open("/portal/sso/saml/login"); status != http.StatusOK {
		t.Fatalf("SAML login start ended on status %d, want the IdP's sign-in form", status)
	}
	atIdP := *visitor
	atIdP.base = idp.url
	atIdP.waitPath("/sso")
	if loc := visitor.location(); !strings.HasPrefix(loc, idp.url+"/sso?SAMLRequest=") || !strings.Contains(loc, "&Signature=") {
		t.Fatalf("the portal sent the browser to %s, want the IdP with a signed request", loc)
	}
	if got := atIdP.text("h1"); got != "Test IdP sign-in" {
		t.Fatalf("IdP page heading = %q", got)
	}
	atIdP.do("sign in at the IdP",
		chromedp.SendKeys(chromedp.ID("idp-user"), "ana"),
		chromedp.SendKeys(chromedp.ID("idp-password"), ssoE2EIdPPassword+kb.Enter),
	)
	visitor.waitPath("/portal")
	if got := visitor.text("main p"); got != "Welcome, Ana Lima." {
		t.Fatalf("portal home greeting = %q (at %s)", got, visitor.location())
	}
	if got := visitor.text("header form.signout .who"); got != "Ana Lima" {
		t.Fatalf("signed-in name in the header = %q", got)
	}
	if posts := visitor.requestsTo("POST", "/portal/sso/saml/acs"); len(posts) != 1 {
		t.Fatalf("the browser posted to the ACS %d times, want once", len(posts))
	}
	if got := visitorSites.of("POST", s.url+"/portal/sso/saml/acs"); len(got) != 1 || got[0] != "cross-site" {
		t.Fatalf("Sec-Fetch-Site of the IdP's post to the ACS = %q, want cross-site", got)
	}
	c, err := s.app.Stores.Contacts.ByEmail(ctx, "ana@example.com")
	if err != nil || !c.IsVerified() || !c.Active || c.Name != "Ana Lima" {
		t.Fatalf("contact after SAML = %+v, %v; want an active, verified Ana Lima", c, err)
	}
	if n := ssoContactSessions(t, db); n != 1 {
		t.Fatalf("%d customer sessions after one SAML login, want 1", n)
	}

	// The response the IdP's page posted, posted again from another browser by a page that
	// auto-submits it (as a stolen response or a browser's form resubmission would).
	t.Run("the same response again", func(t *testing.T) {
		raw, err := base64.StdEncoding.DecodeString(idp.captured())
		if err != nil || !bytes.HasPrefix(raw, []byte("<samlp:Response ")) || !bytes.Contains(raw, []byte(` InResponseTo="id-`)) {
			t.Fatalf("the IdP's captured response is not a SAML response to the portal's request (%v): %.200q", err, raw)
		}
		first.expect("status of 400")
		replay := first.newContext(t, "replay")
		replaySites := replay.ssoRecordSites()
		// Page.navigate returns once the page is on its way: the replay page leaves at once.
		if _, err := chromedp.Call(replay.ctx, page.Navigate, page.NavigateParams{URL: idp.url + "/replay"}); err != nil {
			t.Fatalf("open the replay page: %v", err)
		}
		replay.waitPath("/portal/sso/saml/acs")
		if posts := replay.requestsTo("POST", "/portal/sso/saml/acs"); len(posts) != 1 {
			t.Fatalf("the replay page posted to the ACS %d times, want once", len(posts))
		}
		if got := replaySites.of("POST", s.url+"/portal/sso/saml/acs"); len(got) != 1 || got[0] != "cross-site" {
			t.Fatalf("Sec-Fetch-Site of the replayed post = %q, want cross-site", got)
		}
		replay.ssoWantErrorPage(idp.captured())
	})
	if n := ssoContactSessions(t, db); n != 1 {
		t.Fatalf("%d customer sessions at the end, want only the first login's", n)
	}
	ssoE2ETimed(t, began)
}

// ssoE2ETimed logs a journey's duration (its budget is about 30 s; browserTestTimeout is the
// hard limit).
func ssoE2ETimed(t *testing.T, began time.Time) {
	t.Helper()
	t.Logf("journey took %s", time.Since(began).Round(time.Millisecond))
}

// ssoWantErrorPage checks that the tab shows the SSO error page, that it does not echo the
// token or response it refused, and that following its link to the portal finds the visitor
// signed out.
func (b *tab) ssoWantErrorPage(refused string) {
	b.t.Helper()
	if got := b.text("main h1"); got != ssoE2EErrorHeading {
		b.t.Fatalf("%s: error page heading = %q", b.name, got)
	}
	if got := b.text("#sso-error-message"); got != ssoE2EErrorInvalid {
		b.t.Fatalf("%s: error message = %q", b.name, got)
	}
	if n := eval[int](b, `document.querySelectorAll("header form.signout").length`); n != 0 {
		b.t.Fatalf("%s: the error page shows a signed-in header", b.name)
	}
	if eval[bool](b, "document.documentElement.outerHTML.includes("+ssoJSString(refused[len(refused)-40:])+")") {
		b.t.Fatalf("%s: the error page echoes what it refused", b.name)
	}
	if got := b.text(`main a[href="/portal"]`); got != "Go to the portal" {
		b.t.Fatalf("%s: link to the portal = %q", b.name, got)
	}
	b.do("follow the link to the portal", chromedp.Click(chromedp.CSS(`main a[href="/portal"]`)))
	b.waitPath("/portal/login?next=%2Fportal")
}

// ssoChecked reads whether the checkbox with this id is checked.
func (b *tab) ssoChecked(id string) bool {
	b.t.Helper()
	return run(b, "read #"+id+".checked", chromedp.JavascriptAttribute[bool](chromedp.ID(id), "checked"))
}

// ssoPaste puts text into the field with this id the way a paste does: one insertion at the
// caret after clicking into the field, not a key press per character.
func (b *tab) ssoPaste(id, text string) {
	b.t.Helper()
	b.do("click into #"+id, chromedp.Click(chromedp.ID(id)))
	if _, err := chromedp.Call(b.ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		b.t.Fatalf("%s: paste into #%s: %v", b.name, id, err)
	}
	if got := run(b, "read #"+id, chromedp.Value(chromedp.ID(id))); got != text {
		b.t.Fatalf("%s: #%s holds %d characters after pasting %d", b.name, id, len(got), len(text))
	}
}

// ssoMarkPage marks the current document, so that ssoWaitSaved can tell the page that answers a
// form (at the same address) from the one that sent it.
func (b *tab) ssoMarkPage() {
	b.t.Helper()
	eval[chromedp.Void](b, "window.__ssoE2EMarker = 1")
}

// ssoWaitSaved waits for the SSO settings page to come back after saving, with its flash.
func (b *tab) ssoWaitSaved() {
	b.t.Helper()
	b.ssoPoll("the saved settings page", `!window.__ssoE2EMarker && document.readyState === "complete" &&
		location.pathname === "/admin/portal/sso" &&
		(document.querySelector("#flash [role=status]") || {}).textContent === "Single sign-on settings saved."`)
	if n := eval[int](b, `document.querySelectorAll("[aria-invalid=true], .field-error").length`); n != 0 {
		b.t.Fatalf("%s: the saved page shows %d field errors", b.name, n)
	}
}

// ssoPoll waits until a JavaScript expression is true. Unlike eval, a failed evaluation (the
// document being replaced by a navigation) is only a reason to try again.
func (b *tab) ssoPoll(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: waited %s for %s (last error %v), at %s", b.name, waitTimeout, what, err, b.location())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// ssoE2ESites records the Sec-Fetch-Site header of each request a tab sends, which says whether
// the browser saw it as same-site or cross-site.
type ssoE2ESites struct {
	mu    sync.Mutex
	sent  map[network.RequestID][]string // "METHOD URL" of each hop (redirects keep the ID)
	sites map[network.RequestID][]string // Sec-Fetch-Site of each hop, in the same order
}

func (b *tab) ssoRecordSites() *ssoE2ESites {
	b.t.Helper()
	r := &ssoE2ESites{sent: map[network.RequestID][]string{}, sites: map[network.RequestID][]string{}}
	err := chromedp.Listen(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			r.mu.Lock()
			r.sent[ev.RequestID] = append(r.sent[ev.RequestID], ev.Request.Method+" "+ev.Request.URL)
			r.mu.Unlock()
		case *network.EventRequestWillBeSentExtraInfo:
			site := ""
			for k, v := range ev.Headers {
				if strings.EqualFold(k, "Sec-Fetch-Site") {
					site = fmt.Sprint(v)
				}
			}
			r.mu.Lock()
			r.sites[ev.RequestID] = append(r.sites[ev.RequestID], site)
			r.mu.Unlock()
		}
	})
	if err != nil {
		b.t.Fatalf("listen to %s: %v", b.name, err)
	}
	return r
}

// of lists the Sec-Fetch-Site values of the requests sent with method to url.
func (r *ssoE2ESites) of(method, url string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, hops := range r.sent {
		for i, h := range hops {
			if h != method+" "+url {
				continue
			}
			site := "(no extra info)"
			if i < len(r.sites[id]) {
				site = r.sites[id][i]
			}
			out = append(out, site)
		}
	}
	return out
}

// ssoJSString quotes s as a JavaScript string literal.
func ssoJSString(s string) string {
	var buf bytes.Buffer
	buf.WriteByte('"')
	template.JSEscape(&buf, []byte(s))
	buf.WriteByte('"')
	return buf.String()
}

// ---------------------------------------------------------------------------------------------
// The identity provider: crewjam's IdentityProvider on a port of 127.0.0.1 that the browser
// reaches as idp.localhost, with a sign-in form of its own, one user, and a record of the
// responses it sent.

const ssoE2EIdPPassword = "idp password for ana"

type ssoE2EIdP struct {
	url string // http://idp.localhost:<port>
	idp *saml.IdentityProvider

	mu   sync.Mutex
	sp   *saml.EntityDescriptor
	sent []ssoE2EPost // the responses the IdP's pages posted, oldest first
}

// ssoE2EPost is one response form the IdP sent a browser.
type ssoE2EPost struct {
	Action, SAMLResponse, RelayState string
}

func newSSOE2EIdP(t *testing.T) *ssoE2EIdP {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux) // listens already: its address is known before it serves
	// Chromium resolves *.localhost to the loopback address by itself; idp.localhost is another
	// site than 127.0.0.1, so the IdP's post to the portal is cross-site, as it is in real life.
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ip := &ssoE2EIdP{url: "http://idp.localhost:" + port}
	key := ssoRSAKey(t)
	md, _ := url.Parse(ip.url + "/metadata")
	sso, _ := url.Parse(ip.url + "/sso")
	ip.idp = &saml.IdentityProvider{Key: key, Certificate: ssoSelfSigned(t, key, "E2E test IdP"),
		MetadataURL: *md, SSOURL: *sso, ServiceProviderProvider: ip, SessionProvider: ip,
		SignatureMethod: dsig.RSASHA256SignatureMethod, Logger: log.New(ssoE2ELogWriter{t}, "test IdP: ", 0)}
	mux.HandleFunc("/metadata", ip.idp.ServeMetadata)
	mux.HandleFunc("/sso", ip.serveSSO)
	mux.HandleFunc("/replay", ip.serveReplay)
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv.Start()
	t.Cleanup(srv.Close)
	return ip
}

func (ip *ssoE2EIdP) metadataXML(t *testing.T) string {
	t.Helper()
	b, err := xml.Marshal(ip.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// register fetches the portal's SP metadata as the IdP's administrator would and trusts it.
func (ip *ssoE2EIdP) register(t *testing.T, metadataURL, wantACS string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: waitTimeout}).Get(metadataURL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/samlmetadata+xml") {
		t.Fatalf("GET %s: status %d, type %q", metadataURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal(body, &md); err != nil {
		t.Fatalf("SP metadata: %v\n%s", err, body)
	}
	if md.EntityID != metadataURL || len(md.SPSSODescriptors) != 1 {
		t.Fatalf("SP metadata: entity %q, %d SP descriptors", md.EntityID, len(md.SPSSODescriptors))
	}
	acs := md.SPSSODescriptors[0].AssertionConsumerServices
	if len(acs) != 1 || acs[0].Binding != saml.HTTPPostBinding || acs[0].Location != wantACS {
		t.Fatalf("SP metadata ACS = %+v, want only HTTP-POST at %s", acs, wantACS)
	}
	ip.mu.Lock()
	ip.sp = &md
	ip.mu.Unlock()
}

// GetServiceProvider answers crewjam with the registered portal.
func (ip *ssoE2EIdP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if ip.sp == nil || ip.sp.EntityID != id {
		return nil, os.ErrNotExist // what crewjam expects for an unknown SP
	}
	return ip.sp, nil
}

// GetSession signs in the one user from the IdP's form, or shows the form (again).
func (ip *ssoE2EIdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	if r.Method == http.MethodPost && r.PostForm.Get("username") == "ana" && r.PostForm.Get("password") == ssoE2EIdPPassword {
		now := saml.TimeNow()
		return &saml.Session{ID: app.NewToken(), CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
			NameID: "ana@example.com", NameIDFormat: string(saml.EmailAddressNameIDFormat),
			UserEmail: "ana@example.com", UserCommonName: "Ana Lima", UserGivenName: "Ana", UserSurname: "Lima"}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := ssoE2ELoginForm.Execute(w, map[string]any{
		"Action": ip.idp.SSOURL.String(), "Failed": r.Method == http.MethodPost,
		// The form posts the request back by the POST binding: plain base64, not deflated.
		"SAMLRequest": base64.StdEncoding.EncodeToString(req.RequestBuffer), "RelayState": req.RelayState,
	}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	return nil
}

var ssoE2ELoginForm = template.Must(template.New("idp-login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP</title></head>
<body><main>
<h1>Test IdP sign-in</h1>
{{if .Failed}}<p role="alert">Wrong user name or password.</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="SAMLRequest" value="{{.SAMLRequest}}">
<input type="hidden" name="RelayState" value="{{.RelayState}}">
<p><label for="idp-user">User name</label> <input id="idp-user" name="username" autocomplete="username"></p>
<p><label for="idp-password">Password</label> <input id="idp-password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit">Sign in</button></p>
</form>
</main><footer>Test IdP</footer></body></html>`))

// serveSSO is crewjam's SSO endpoint, recording the response form it sends.
func (ip *ssoE2EIdP) serveSSO(w http.ResponseWriter, r *http.Request) {
	rec := &ssoE2ERecorder{ResponseWriter: w}
	ip.idp.ServeSSO(rec, r)
	if m := ssoE2EFormRe.FindStringSubmatch(rec.body.String()); m != nil {
		ip.mu.Lock()
		ip.sent = append(ip.sent, ssoE2EPost{Action: html.UnescapeString(m[1]),
			SAMLResponse: html.UnescapeString(m[2]), RelayState: html.UnescapeString(m[3])})
		ip.mu.Unlock()
	}
}

// ssoE2EFormRe reads crewjam's auto-submitting response form.
var ssoE2EFormRe = regexp.MustCompile(`<form method="post" action="([^"]*)" id="SAMLResponseForm">` +
	`<input type="hidden" name="SAMLResponse" value="([^"]*)" />` +
	`<input type="hidden" name="RelayState" value="([^"]*)" />`)

// captured is the last SAMLResponse the IdP sent, or "".
func (ip *ssoE2EIdP) captured() string {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if len(ip.sent) == 0 {
		return ""
	}
	return ip.sent[len(ip.sent)-1].SAMLResponse
}

// serveReplay posts the last response the IdP sent to where it went, again, by a page that
// submits itself.
func (ip *ssoE2EIdP) serveReplay(w http.ResponseWriter, _ *http.Request) {
	ip.mu.Lock()
	var last ssoE2EPost
	if len(ip.sent) > 0 {
		last = ip.sent[len(ip.sent)-1]
	}
	ip.mu.Unlock()
	if last.Action == "" {
		http.Error(w, "nothing to replay", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := ssoE2EReplayPage.Execute(w, last); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

var ssoE2EReplayPage = template.Must(template.New("idp-replay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Replay</title></head>
<body><main>
<form method="post" action="{{.Action}}" id="replay">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
<input type="hidden" name="RelayState" value="{{.RelayState}}">
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.getElementById("replay").submit();</script>
</main><footer>Test IdP</footer></body></html>`))

// ssoE2ERecorder passes a response through and keeps a copy of its body.
type ssoE2ERecorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *ssoE2ERecorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// ssoE2ELogWriter sends crewjam's log lines to the test log.
type ssoE2ELogWriter struct{ t *testing.T }

func (w ssoE2ELogWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}
