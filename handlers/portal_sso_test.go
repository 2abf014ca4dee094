package handlers

// SPEC P-7 and SECURITY SSO-01 … SSO-03, LOG-01 for single sign-on: JWT and SAML logins through
// the HTTP layer, the negative cases (nothing signs in), SSO-02's linking rule, audience lists
// and the admin settings page. SAML runs against crewjam's IdentityProvider in-process: the test
// plays the IdP, signing responses with its own key, and can sign whatever it likes.

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/golang-jwt/jwt/v5"
	dsig "github.com/russellhaering/goxmldsig"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// ssoEnv is a test server with keys for both SSO methods and an in-process identity provider.
type ssoEnv struct {
	s      *testServer
	secret string
	rsaKey *rsa.PrivateKey
	pubPEM string
	idp    *ssoTestIdP
	logs   *lockedBuffer
}

func newSSOEnv(t *testing.T, db *models.DB) *ssoEnv {
	t.Helper()
	logs := &lockedBuffer{}
	s := newTestServerWithLog(t, db, testConfig(t), slog.New(slog.NewTextHandler(logs, nil)))
	e := &ssoEnv{s: s, secret: "canary-sso-secret-" + strings.Repeat("7", 20), rsaKey: ssoRSAKey(t), logs: logs}
	der, err := x509.MarshalPKIXPublicKey(&e.rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	e.pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	e.idp = newSSOTestIdP(t)
	return e
}

func ssoRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// configure edits the stored SSO settings directly (the admin page has its own tests).
func (e *ssoEnv) configure(t *testing.T, edit func(p *models.PortalSettings)) {
	t.Helper()
	ctx := context.Background()
	p, err := e.s.app.Stores.Settings.Portal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	edit(&p)
	if err := e.s.app.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func (e *ssoEnv) enableHS256(t *testing.T) {
	e.configure(t, func(p *models.PortalSettings) {
		p.SSO.JWTEnabled, p.SSO.JWTAlgorithm, p.SSO.JWTSecret = true, models.JWTHS256, e.secret
	})
}

func (e *ssoEnv) enableRS256(t *testing.T) {
	e.configure(t, func(p *models.PortalSettings) {
		p.SSO.JWTEnabled, p.SSO.JWTAlgorithm, p.SSO.JWTPublicKey = true, models.JWTRS256, e.pubPEM
		p.SSO.JWTIssuer, p.SSO.JWTAudience = "https://app.example.com", "portico"
	})
}

// enableSAML points the SP at the test IdP and aligns the app's clock with crewjam's (it reads
// the real time).
func (e *ssoEnv) enableSAML(t *testing.T) {
	t.Helper()
	e.s.clock.Set(time.Now().UTC())
	e.configure(t, func(p *models.PortalSettings) {
		p.SSO.SAMLEnabled, p.SSO.SAMLIdPMetadata = true, e.idp.metadataXML(t)
	})
	resp := e.s.browser().get("/portal/sso/saml/metadata")
	wantStatus(t, resp, http.StatusOK)
	var md saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(readBody(t, resp)), &md); err != nil {
		t.Fatal(err)
	}
	e.idp.sp = &md
}

// claims are valid SSO claims at the app's clock; edit changes them.
func (e *ssoEnv) claims(edit func(jwt.MapClaims)) jwt.MapClaims {
	now := e.s.clock.Now()
	c := jwt.MapClaims{"email": "ana@example.com", "name": "Ana Lima", "iat": now.Unix(),
		"exp": now.Add(2 * time.Minute).Unix(), "jti": app.NewToken(),
		"iss": "https://app.example.com", "aud": "portico"}
	if edit != nil {
		edit(c)
	}
	return c
}

func ssoMint(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *ssoEnv) hs(t testing.TB, edit func(jwt.MapClaims)) string {
	return ssoMint(t, jwt.SigningMethodHS256, []byte(e.secret), e.claims(edit), nil)
}

func (e *ssoEnv) rs(t testing.TB, edit func(jwt.MapClaims)) string {
	return ssoMint(t, jwt.SigningMethodRS256, e.rsaKey, e.claims(edit), nil)
}

// jwtURL is the portal's JWT endpoint with a token (and a return path).
func ssoJWTURL(token, returnTo string) string {
	u := "/portal/sso/jwt?jwt=" + url.QueryEscape(token)
	if returnTo != "" {
		u += "&return_to=" + url.QueryEscape(returnTo)
	}
	return u
}

// contactSessions counts signed-in customer sessions.
func ssoContactSessions(t testing.TB, db *models.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm.Table("sessions").Where("user_kind = ?", models.KindContact).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// wantSSOSignedIn checks a login answer: a redirect to to, and a live customer session for email.
func wantSSOSignedIn(t *testing.T, s *testServer, b *browser, resp *http.Response, to, email string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; body:\n%s", resp.StatusCode, readBody(t, resp))
	}
	if loc := resp.Header.Get("Location"); loc != to {
		t.Fatalf("redirected to %q, want %q", loc, to)
	}
	sess, err := s.app.ResolveSession(context.Background(), b.sessionCookie(), 0)
	if err != nil || sess.UserKind != models.KindContact {
		t.Fatalf("no customer session after SSO: %+v, %v", sess, err)
	}
	c, err := s.app.Stores.Contacts.ByID(context.Background(), sess.UserID)
	if err != nil || c.Email != email || !c.IsVerified() {
		t.Fatalf("signed in as %+v (%v), want verified %s", c, err, email)
	}
}

func TestSSOJWTSignsInAndLandsInThePortal(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		e := newSSOEnv(t, db)
		e.enableHS256(t)
		b := e.s.browser()
		wantSSOSignedIn(t, e.s, b, b.get(ssoJWTURL(e.hs(t, nil), "")), "/portal", "ana@example.com")

		// RS256 under another slug, with a return path inside the portal.
		e.enableRS256(t)
		e.configure(t, func(p *models.PortalSettings) { p.Slug = "help" })
		b = e.s.browser()
		resp := b.get("/help/sso/jwt?jwt=" + e.rs(t, func(c jwt.MapClaims) { c["email"] = "Bo@Example.com" }) +
			"&return_to=" + url.QueryEscape("/help/tickets?open=1"))
		wantSSOSignedIn(t, e.s, b, resp, "/help/tickets?open=1", "bo@example.com")

		// Return paths outside the portal go to its front page.
		for _, rt := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "/admin", "javascript:alert(1)"} {
			b := e.s.browser()
			wantSSOSignedIn(t, e.s, b, b.get("/help/sso/jwt?jwt="+e.rs(t, nil)+"&return_to="+url.QueryEscape(rt)), "/help", "ana@example.com")
		}
		if !strings.Contains(e.logs.String(), `msg="sso login" method=jwt outcome=success`) {
			t.Errorf("no success event in the log:\n%s", e.logs.String())
		}
	})
}

// ssoNegative is one attack that must not sign anyone in. setup, when set, runs first (a
// legitimate login to replay later) and is not part of the check.
type ssoNegative struct {
	name  string
	do    func(t *testing.T) *http.Response
	setup func(t *testing.T)
}

// ssoGet sends a GET as b would, except that a request fasthttp refuses to read (a URL beyond
// its 4 KB header buffer) counts as the 431 the real server answers, not as a test failure.
func ssoGet(t *testing.T, b *browser, target string, extra ...string) *http.Response {
	t.Helper()
	if len(target) < 3500 {
		return b.get(target, extra...)
	}
	resp, err := b.s.fiber.Test(httptest.NewRequest("GET", target, nil), -1)
	if err != nil {
		if !strings.Contains(err.Error(), "small read buffer") {
			t.Fatal(err)
		}
		return &http.Response{StatusCode: http.StatusRequestHeaderFieldsTooLarge, Body: io.NopCloser(strings.NewReader(""))}
	}
	return resp
}

// runSSONegatives runs each case on a fresh browser and checks that it was refused (a 4xx, the
// generic page for 400/403) and that no customer session appeared. It returns how many it tried
// and how many were accepted.
func runSSONegatives(t *testing.T, s *testServer, cases []ssoNegative) (tried, accepted int) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tried++
			if tc.setup != nil {
				tc.setup(t)
			}
			before := ssoContactSessions(t, s.app.Stores.DB)
			resp := tc.do(t)
			body := readBody(t, resp)
			after := ssoContactSessions(t, s.app.Stores.DB)
			refused := resp.StatusCode >= 400 && resp.StatusCode < 500 && after == before
			if !refused {
				accepted++
				t.Errorf("status %d, customer sessions %d → %d; want a refusal and none new", resp.StatusCode, before, after)
			}
			if resp.StatusCode == http.StatusBadRequest && !strings.Contains(body, `id="sso-error-message"`) {
				t.Errorf("400 without the branded SSO error page:\n%s", body)
			}
		})
	}
	return tried, accepted
}

func TestSSONegativeCases(t *testing.T) {
	t.Parallel()
	var tried, accepted int

	t.Run("jwt", func(t *testing.T) {
		e := newSSOEnv(t, dbtest.SQLite(t))
		e.enableHS256(t)
		attacker := ssoRSAKey(t)
		attackerDER, _ := x509.MarshalPKIXPublicKey(&attacker.PublicKey)
		jwk := map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()), "e": "AQAB"}
		get := func(token string) func(t *testing.T) *http.Response {
			return func(t *testing.T) *http.Response { return ssoGet(t, e.s.browser(), ssoJWTURL(token, "")) }
		}
		hsCases := []ssoNegative{
			{name: "alg none", do: get(ssoMint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, e.claims(nil), nil))},
			{name: "alg none with an empty signature and alg NONE", do: get(strings.TrimSuffix(ssoMint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, e.claims(nil), map[string]any{"alg": "NONE"}), "."))},
			{name: "RS256 token while HS256 is pinned", do: get(e.rs(t, nil))},
			{name: "HS384 with the right secret", do: get(ssoMint(t, jwt.SigningMethodHS384, []byte(e.secret), e.claims(nil), nil))},
			{name: "wrong secret", do: get(ssoMint(t, jwt.SigningMethodHS256, []byte(strings.Repeat("w", 32)), e.claims(nil), nil))},
			{name: "kid injection", do: get(ssoMint(t, jwt.SigningMethodHS256, []byte(""), e.claims(nil), map[string]any{"kid": "../../../../dev/null"}))},
			{name: "kid pointing at an attacker secret", do: get(ssoMint(t, jwt.SigningMethodHS256, []byte("attacker-secret-attacker-secret-!"), e.claims(nil), map[string]any{"kid": "attacker"}))},
			{name: "jku injection", do: get(ssoMint(t, jwt.SigningMethodRS256, attacker, e.claims(nil), map[string]any{"jku": "https://evil.example/jwks.json"}))},
			{name: "x5u injection", do: get(ssoMint(t, jwt.SigningMethodRS256, attacker, e.claims(nil), map[string]any{"x5u": "https://evil.example/cert.pem"}))},
			{name: "jwk injection", do: get(ssoMint(t, jwt.SigningMethodRS256, attacker, e.claims(nil), map[string]any{"jwk": jwk}))},
			{name: "tampered payload", do: get(func() string {
				parts := strings.Split(e.hs(t, nil), ".")
				parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"email":"admin@example.com","iat":1,"exp":9999999999,"jti":"x"}`))
				return strings.Join(parts, ".")
			}())},
			{name: "no exp", do: get(e.hs(t, func(c jwt.MapClaims) { delete(c, "exp") }))},
			{name: "expired by 1 s", do: get(e.hs(t, func(c jwt.MapClaims) { c["exp"] = e.s.clock.Now().Add(-time.Second).Unix() }))},
			{name: "no iat", do: get(e.hs(t, func(c jwt.MapClaims) { delete(c, "iat") }))},
			{name: "iat too old", do: get(e.hs(t, func(c jwt.MapClaims) {
				c["iat"], c["exp"] = e.s.clock.Now().Add(-7*time.Minute).Unix(), e.s.clock.Now().Add(time.Minute).Unix()
			}))},
			{name: "future iat", do: get(e.hs(t, func(c jwt.MapClaims) { c["iat"] = e.s.clock.Now().Add(2 * time.Minute).Unix() }))},
			{name: "future nbf", do: get(e.hs(t, func(c jwt.MapClaims) { c["nbf"] = e.s.clock.Now().Add(2 * time.Minute).Unix() }))},
			{name: "lifetime over 10 min", do: get(e.hs(t, func(c jwt.MapClaims) { c["exp"] = e.s.clock.Now().Add(11 * time.Minute).Unix() }))},
			{name: "missing jti", do: get(e.hs(t, func(c jwt.MapClaims) { delete(c, "jti") }))},
			{name: "missing email", do: get(e.hs(t, func(c jwt.MapClaims) { delete(c, "email") }))},
			{name: "invalid email", do: get(e.hs(t, func(c jwt.MapClaims) { c["email"] = "ana@example.com\r\nBcc: x@evil.example" }))},
			{name: "email with a display name", do: get(e.hs(t, func(c jwt.MapClaims) { c["email"] = "Eve <ana@example.com>" }))},
			{name: "exp as text", do: get(e.hs(t, func(c jwt.MapClaims) { c["exp"] = "never" }))},
			{name: "no token", do: get("")},
			{name: "Bearer prefix", do: get("Bearer " + e.hs(t, nil))},
			{name: "1 MB token", do: get(strings.Repeat("A", 1<<20))},
			{name: "Bearer + 100k dots", do: get("Bearer " + strings.Repeat(".", 100000))},
			{name: "8 KB + 1 token", do: get(strings.Repeat("A", 4000) + "." + strings.Repeat("B", 4000) + "." + strings.Repeat("C", 200))},
			{name: "X-Remote-User header alone", do: func(t *testing.T) *http.Response {
				return e.s.browser().get("/portal/sso/jwt", "X-Remote-User", "ana@example.com", "X-Forwarded-User", "ana@example.com")
			}},
		}
		usedJTI := app.NewToken()
		replayed := e.hs(t, func(c jwt.MapClaims) { c["jti"] = usedJTI })
		hsCases = append(hsCases, ssoNegative{name: "replayed jti", do: get(replayed), setup: func(t *testing.T) {
			b := e.s.browser()
			wantSSOSignedIn(t, e.s, b, b.get(ssoJWTURL(replayed, "")), "/portal", "ana@example.com")
		}}, ssoNegative{name: "same jti in a new token", do: get(e.hs(t, func(c jwt.MapClaims) {
			c["jti"], c["name"] = usedJTI, "Someone Else"
		}))})
		tr, acc := runSSONegatives(t, e.s, hsCases)
		tried, accepted = tried+tr, accepted+acc

		// RS256 pinned: the classic key confusion and the claims bound to the settings.
		e.enableRS256(t)
		pubPKCS1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&e.rsaKey.PublicKey)})
		rsCases := []ssoNegative{
			{name: "HS256 signed with the RSA public key (PEM)", do: get(ssoMint(t, jwt.SigningMethodHS256, []byte(e.pubPEM), e.claims(nil), nil))},
			{name: "HS256 signed with the RSA public key (PKCS1 PEM)", do: get(ssoMint(t, jwt.SigningMethodHS256, pubPKCS1, e.claims(nil), nil))},
			{name: "HS256 signed with the RSA public key (DER)", do: get(ssoMint(t, jwt.SigningMethodHS256, attackerDER, e.claims(nil), nil))},
			{name: "RS256 by another key", do: get(ssoMint(t, jwt.SigningMethodRS256, attacker, e.claims(nil), nil))},
			{name: "PS256 by the right key", do: get(ssoMint(t, jwt.SigningMethodPS256, e.rsaKey, e.claims(nil), nil))},
			{name: "wrong iss", do: get(e.rs(t, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }))},
			{name: "no iss", do: get(e.rs(t, func(c jwt.MapClaims) { delete(c, "iss") }))},
			{name: "wrong aud", do: get(e.rs(t, func(c jwt.MapClaims) { c["aud"] = []string{"other-app"} }))},
			{name: "no aud", do: get(e.rs(t, func(c jwt.MapClaims) { delete(c, "aud") }))},
		}
		tr, acc = runSSONegatives(t, e.s, rsCases)
		tried, accepted = tried+tr, accepted+acc

		// LOG-01: a refused token appears nowhere in the error page, even in the layout's
		// "return to this page" field of the language switcher.
		e.configure(t, func(p *models.PortalSettings) { p.VisitorLanguages, p.Languages = true, []string{"en", "pt-BR"} })
		refused := e.rs(t, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })
		resp := e.s.browser().get(ssoJWTURL(refused, ""))
		if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || strings.Contains(body, refused) || strings.Contains(body, url.QueryEscape(refused)) {
			t.Errorf("status %d; the refused token is echoed in the error page", resp.StatusCode)
		}

		out := e.logs.String()
		if strings.Contains(out, replayed) || strings.Contains(out, refused) || strings.Contains(out, e.secret) {
			t.Error("a token or the secret reached the log")
		}
		if n := strings.Count(out, `msg="sso refused" method=jwt`); n < len(hsCases)-3 {
			t.Errorf("only %d refusal events logged for %d refused tokens", n, len(hsCases)+len(rsCases))
		}
	})

	t.Run("saml", func(t *testing.T) {
		e := newSSOEnv(t, dbtest.SQLite(t))
		e.enableSAML(t)
		tr, acc := runSSONegatives(t, e.s, e.samlNegatives(t))
		tried, accepted = tried+tr, accepted+acc
		out := e.logs.String()
		if !regexp.MustCompile(`msg="sso refused" method=saml outcome=refused reason=saml_replay`).MatchString(out) {
			t.Errorf("no replay refusal in the log:\n%s", out)
		}
	})

	t.Logf("SAML + JWT negative cases tried / accepted: %d / %d", tried, accepted)
	if tried < 40 {
		t.Errorf("only %d negative cases tried, want at least 40", tried)
	}
}

// ---------------------------------------------------------------------------------------------
// The in-process identity provider.

// ssoTestIdP is crewjam's IdentityProvider with its own key; it trusts the SP metadata the
// portal serves.
type ssoTestIdP struct {
	idp  *saml.IdentityProvider
	key  *rsa.PrivateKey
	cert *x509.Certificate
	sp   *saml.EntityDescriptor
}

func ssoSelfSigned(t testing.TB, key *rsa.PrivateKey, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func newSSOTestIdP(t testing.TB) *ssoTestIdP {
	t.Helper()
	key := ssoRSAKey(t)
	cert := ssoSelfSigned(t, key, "Test IdP")
	md, _ := url.Parse("https://idp.example.test/metadata")
	sso, _ := url.Parse("https://idp.example.test/sso")
	ip := &ssoTestIdP{key: key, cert: cert}
	ip.idp = &saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *md, SSOURL: *sso,
		ServiceProviderProvider: ip, SignatureMethod: dsig.RSASHA256SignatureMethod}
	return ip
}

// GetServiceProvider answers crewjam's IdP with the portal's metadata.
func (ip *ssoTestIdP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if ip.sp == nil || ip.sp.EntityID != id {
		return nil, os.ErrNotExist
	}
	return ip.sp, nil
}

func (ip *ssoTestIdP) metadataXML(t testing.TB) string {
	t.Helper()
	b, err := xml.Marshal(ip.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// samlOpts shape one IdP response.
type samlOpts struct {
	email           string
	noEncrypt       bool                                    // plain assertion even though the SP offers an encryption key
	unsignedAssert  bool                                    // leave the assertion unsigned
	unsignedResp    bool                                    // leave the response unsigned
	signer          *rsa.PrivateKey                         // sign with another key
	assertion       func(a *saml.Assertion)                 // before signing
	response        func(r *saml.Response)                  // before signing
	document        func(t *testing.T, doc *etree.Document) // after signing
	raw             func(b []byte) []byte                   // the final bytes
	inResponseToOff bool                                    // answer no request (IdP-initiated)
}

// samlStart asks the portal to start a login and returns crewjam's parsed request.
func (e *ssoEnv) samlStart(t *testing.T, b *browser, returnTo string) *saml.IdpAuthnRequest {
	t.Helper()
	target := "/portal/sso/saml/login"
	if returnTo != "" {
		target += "?return_to=" + url.QueryEscape(returnTo)
	}
	resp := b.get(target)
	wantStatus(t, resp, http.StatusFound)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "https://idp.example.test/sso?SAMLRequest=") || !strings.Contains(loc, "&Signature=") {
		t.Fatalf("login redirects to %q, want the IdP with a signed request", loc)
	}
	req, err := saml.NewIdpAuthnRequest(e.idp.idp, httptest.NewRequest("GET", loc, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatalf("the IdP refuses the portal's request: %v", err)
	}
	return req
}

// samlResponse builds the IdP's answer to req, base64 for the POST binding.
func (e *ssoEnv) samlResponse(t *testing.T, req *saml.IdpAuthnRequest, o samlOpts) string {
	t.Helper()
	if o.email == "" {
		o.email = "ana@example.com"
	}
	now := saml.TimeNow()
	session := &saml.Session{ID: "s1", CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: o.email, NameIDFormat: string(saml.EmailAddressNameIDFormat), UserEmail: o.email, UserCommonName: "Ana Lima"}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		t.Fatal(err)
	}
	if o.inResponseToOff {
		req.Assertion.Subject.SubjectConfirmations[0].SubjectConfirmationData.InResponseTo = ""
	}
	if o.assertion != nil {
		o.assertion(req.Assertion)
	}
	idp := *e.idp.idp
	if o.signer != nil {
		idp.Key, idp.Certificate = o.signer, ssoSelfSigned(t, o.signer, "Attacker")
	}
	req.IDP = &idp
	spMeta := *req.SPSSODescriptor
	if o.noEncrypt {
		var kds []saml.KeyDescriptor
		for _, kd := range spMeta.KeyDescriptors {
			if kd.Use != "encryption" {
				kds = append(kds, kd)
			}
		}
		spMeta.KeyDescriptors = kds
		req.SPSSODescriptor = &spMeta
	}
	if o.unsignedAssert {
		el := req.Assertion.Element()
		if !o.noEncrypt {
			t.Fatal("unsigned assertions are built unencrypted: set noEncrypt")
		}
		req.AssertionEl = el
	} else if err := req.MakeAssertionEl(); err != nil {
		t.Fatal(err)
	}
	resp := &saml.Response{Destination: req.ACSEndpoint.Location, ID: "id-resp-" + app.NewToken()[:16],
		InResponseTo: req.Request.ID, IssueInstant: now, Version: "2.0",
		Issuer: &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: idp.MetadataURL.String()},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}}}
	if o.inResponseToOff {
		resp.InResponseTo = ""
	}
	if o.response != nil {
		o.response(resp)
	}
	el := resp.Element()
	el.AddChild(req.AssertionEl)
	if !o.unsignedResp {
		signed, err := ssoSigningContext(t, &idp).SignEnveloped(el)
		if err != nil {
			t.Fatal(err)
		}
		resp.Signature = signed.ChildElements()[len(signed.ChildElements())-1]
		el = resp.Element()
		el.AddChild(req.AssertionEl)
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	if o.document != nil {
		o.document(t, doc)
	}
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if o.raw != nil {
		b = o.raw(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ssoSigningContext signs as crewjam's IdP does (exclusive C14N, RSA-SHA256).
func ssoSigningContext(t testing.TB, idp *saml.IdentityProvider) *dsig.SigningContext {
	t.Helper()
	ks := dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{idp.Certificate.Raw},
		PrivateKey: idp.Key, Leaf: idp.Certificate})
	ctx := dsig.NewDefaultSigningContext(ks)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// samlPost posts a response to the ACS as the IdP's auto-submitting form would: from the IdP's
// origin, without the portal's cookies (SameSite=Lax keeps them off a cross-site POST).
func (e *ssoEnv) samlPost(b *browser, samlResponse, relayState string) *http.Response {
	form := url.Values{"SAMLResponse": {samlResponse}}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	return b.do("POST", "/portal/sso/saml/acs", form, "Origin", "https://idp.example.test", "Sec-Fetch-Site", "cross-site")
}

// samlLogin runs a whole SP-initiated login with opts and returns the ACS answer.
func (e *ssoEnv) samlLogin(t *testing.T, o samlOpts) *http.Response {
	t.Helper()
	b := e.s.browser()
	req := e.samlStart(t, b, "")
	return e.samlPost(b, e.samlResponse(t, req, o), "")
}

func TestSSOSAMLSignsIn(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		e := newSSOEnv(t, db)
		e.enableSAML(t)
		for _, tc := range []struct {
			name string
			o    samlOpts
		}{
			{"encrypted, assertion and response signed", samlOpts{}},
			{"plain, assertion signed only", samlOpts{noEncrypt: true, unsignedResp: true}},
			{"plain, response signed only", samlOpts{noEncrypt: true, unsignedAssert: true}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := e.s.browser()
				req := e.samlStart(t, b, "/portal/tickets")
				if req.RelayState != "/portal/tickets" {
					t.Fatalf("RelayState at the IdP = %q", req.RelayState)
				}
				resp := e.samlPost(b, e.samlResponse(t, req, tc.o), req.RelayState)
				wantSSOSignedIn(t, e.s, b, resp, "/portal/tickets", "ana@example.com")
			})
		}
		c, err := e.s.app.Stores.Contacts.ByEmail(context.Background(), "ana@example.com")
		if err != nil || c.Name != "Ana Lima" {
			t.Fatalf("contact from SAML = %+v, %v", c, err)
		}
		// The metadata offers only the POST binding and carries the SP certificate.
		md := readBody(t, e.s.browser().get("/portal/sso/saml/metadata"))
		if strings.Contains(md, "HTTP-Artifact") || !strings.Contains(md, "HTTP-POST") || !strings.Contains(md, "X509Certificate") {
			t.Fatalf("SP metadata:\n%s", md)
		}
		if strings.Contains(md, "PRIVATE KEY") {
			t.Fatal("the SP metadata carries the private key")
		}
	})
}

// samlNegatives are SSO-01's attacks, each on its own SP-initiated login unless it needs more.
func (e *ssoEnv) samlNegatives(t *testing.T) []ssoNegative {
	plain := samlOpts{noEncrypt: true}
	with := func(edit func(o *samlOpts)) func(t *testing.T) *http.Response {
		return func(t *testing.T) *http.Response {
			o := plain
			edit(&o)
			return e.samlLogin(t, o)
		}
	}
	past := func() time.Time { return saml.TimeNow().Add(-4 * time.Minute) }
	future := func() time.Time { return saml.TimeNow().Add(4 * time.Minute) }
	assertionEl := func(doc *etree.Document) *etree.Element {
		return doc.Root().FindElement("./Assertion")
	}
	other := ssoRSAKey(t)
	replayed, reusedID := "", "id-reused-"+app.NewToken()[:12]
	return []ssoNegative{
		{name: "unsigned response and assertion", do: with(func(o *samlOpts) { o.unsignedAssert, o.unsignedResp = true, true })},
		{name: "signed by another key", do: with(func(o *samlOpts) { o.signer = other })},
		{name: "assertion changed after signing (response unsigned)", do: with(func(o *samlOpts) {
			o.unsignedResp = true
			o.document = func(t *testing.T, doc *etree.Document) {
				nid := assertionEl(doc).FindElement("./Subject/NameID")
				nid.SetText("admin@example.com")
				for _, v := range assertionEl(doc).FindElements(".//AttributeValue") {
					v.SetText("admin@example.com")
				}
			}
		})},
		{name: "response changed after signing", do: with(func(o *samlOpts) {
			o.document = func(t *testing.T, doc *etree.Document) {
				doc.Root().CreateAttr("Consent", "urn:oasis:names:tc:SAML:2.0:consent:obtained")
			}
		})},
		{name: "wrong audience", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) {
				a.Conditions.AudienceRestrictions[0].Audience.Value = "https://other-sp.example/metadata"
			}
		})},
		{name: "no audience restriction", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) { a.Conditions.AudienceRestrictions = nil }
		})},
		{name: "wrong recipient", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "https://other-sp.example/acs"
			}
		})},
		{name: "no subject confirmation", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) { a.Subject.SubjectConfirmations = nil }
		})},
		{name: "wrong destination", do: with(func(o *samlOpts) {
			o.response = func(r *saml.Response) { r.Destination = "https://other-sp.example/acs" }
		})},
		{name: "expired NotOnOrAfter", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) { a.Conditions.NotOnOrAfter = past() }
		})},
		{name: "expired subject confirmation", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter = past()
			}
		})},
		{name: "NotBefore beyond the skew", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) { a.Conditions.NotBefore = future() }
		})},
		{name: "old IssueInstant", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) { a.IssueInstant = past() }
		})},
		{name: "wrong issuer", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) { a.Issuer.Value = "https://evil-idp.example/metadata" }
		})},
		{name: "status not success", do: with(func(o *samlOpts) {
			o.response = func(r *saml.Response) { r.Status.StatusCode.Value = saml.StatusRequester }
		})},
		{name: "InResponseTo of a forged request ID", do: with(func(o *samlOpts) {
			o.response = func(r *saml.Response) {
				r.InResponseTo = "id-00112233445566778899aabbccddeeff-1700000000-00112233445566778899aabbccddeeff"
			}
			o.assertion = func(a *saml.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.InResponseTo = "id-00112233445566778899aabbccddeeff-1700000000-00112233445566778899aabbccddeeff"
			}
		})},
		{name: "InResponseTo mismatch between response and assertion", do: func(t *testing.T) *http.Response {
			b := e.s.browser()
			first := e.samlStart(t, b, "")
			second := e.samlStart(t, b, "")
			return e.samlPost(b, e.samlResponse(t, second, samlOpts{noEncrypt: true, response: func(r *saml.Response) {
				r.InResponseTo = first.Request.ID
			}}), "")
		}},
		{name: "unsolicited (IdP-initiated) response", do: with(func(o *samlOpts) { o.inResponseToOff = true })},
		{name: "replayed response", setup: func(t *testing.T) {
			b := e.s.browser()
			replayed = e.samlResponse(t, e.samlStart(t, b, ""), plain)
			wantSSOSignedIn(t, e.s, b, e.samlPost(b, replayed, ""), "/portal", "ana@example.com")
		}, do: func(t *testing.T) *http.Response { return e.samlPost(e.s.browser(), replayed, "") }},
		{name: "replayed assertion ID in a new response", setup: func(t *testing.T) {
			b := e.s.browser()
			r := e.samlResponse(t, e.samlStart(t, b, ""), samlOpts{noEncrypt: true, assertion: func(a *saml.Assertion) { a.ID = reusedID }})
			wantSSOSignedIn(t, e.s, b, e.samlPost(b, r, ""), "/portal", "ana@example.com")
		}, do: func(t *testing.T) *http.Response {
			b := e.s.browser()
			return e.samlPost(b, e.samlResponse(t, e.samlStart(t, b, ""), samlOpts{noEncrypt: true, assertion: func(a *saml.Assertion) { a.ID = reusedID }}), "")
		}},
		{name: "two signed assertions (CVE-2022-41912)", do: with(func(o *samlOpts) {
			o.document = func(t *testing.T, doc *etree.Document) {
				doc.Root().AddChild(assertionEl(doc).Copy())
			}
		})},
		{name: "second assertion for another user after the signed one", do: with(func(o *samlOpts) {
			o.unsignedResp = true
			o.document = func(t *testing.T, doc *etree.Document) {
				evil := assertionEl(doc).Copy()
				evil.CreateAttr("ID", "id-evil")
				evil.RemoveChild(evil.FindElement("./Signature"))
				evil.FindElement("./Subject/NameID").SetText("admin@example.com")
				doc.Root().InsertChildAt(assertionEl(doc).Index(), evil)
			}
		})},
		{name: "signature wrapping: signed assertion moved into Extensions", do: with(func(o *samlOpts) {
			o.unsignedResp = true
			o.document = func(t *testing.T, doc *etree.Document) {
				orig := assertionEl(doc)
				evil := orig.Copy()
				evil.RemoveChild(evil.FindElement("./Signature"))
				evil.FindElement("./Subject/NameID").SetText("admin@example.com")
				doc.Root().RemoveChild(orig)
				ext := doc.Root().CreateElement("samlp:Extensions")
				ext.AddChild(orig)
				doc.Root().AddChild(evil)
			}
		})},
		{name: "signature wrapping: signed assertion inside the evil one's Signature", do: with(func(o *samlOpts) {
			o.unsignedResp = true
			o.document = func(t *testing.T, doc *etree.Document) {
				orig := assertionEl(doc)
				evil := orig.Copy()
				evil.FindElement("./Subject/NameID").SetText("admin@example.com")
				obj := evil.FindElement("./Signature").CreateElement("ds:Object")
				doc.Root().RemoveChild(orig)
				obj.AddChild(orig)
				doc.Root().AddChild(evil)
			}
		})},
		{name: "comment in NameID", do: with(func(o *samlOpts) {
			o.email = "ana@example.com.evil.example"
			o.raw = func(b []byte) []byte {
				return bytes.ReplaceAll(b, []byte("ana@example.com.evil.example"), []byte("ana@example.com<!---->.evil.example"))
			}
		})},
		{name: "DTD with an external entity (XXE)", do: with(func(o *samlOpts) {
			o.raw = func(b []byte) []byte {
				return append([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`), b...)
			}
		})},
		{name: "billion laughs", do: func(t *testing.T) *http.Response {
			doc := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
				`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
				`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol3;</samlp:Response>`
			return e.samlPost(e.s.browser(), base64.StdEncoding.EncodeToString([]byte(doc)), "")
		}},
		{name: "deflate bomb", do: func(t *testing.T) *http.Response {
			var buf bytes.Buffer
			w, _ := flate.NewWriter(&buf, flate.BestCompression)
			w.Write(bytes.Repeat([]byte("A"), 10<<20))
			w.Close()
			return e.samlPost(e.s.browser(), base64.StdEncoding.EncodeToString(buf.Bytes()), "")
		}},
		{name: "no e-mail in the assertion", do: with(func(o *samlOpts) {
			o.assertion = func(a *saml.Assertion) {
				a.Subject.NameID.Value, a.Subject.NameID.Format = "opaque-id-17", string(saml.PersistentNameIDFormat)
				a.AttributeStatements = nil
			}
		})},
		{name: "not base64", do: func(t *testing.T) *http.Response { return e.samlPost(e.s.browser(), "%%%not base64%%%", "") }},
		{name: "no SAMLResponse", do: func(t *testing.T) *http.Response { return e.samlPost(e.s.browser(), "", "") }},
		{name: "oversized SAMLResponse", do: func(t *testing.T) *http.Response {
			return e.samlPost(e.s.browser(), strings.Repeat("A", 600<<10), "")
		}},
		{name: "response by the redirect binding (GET)", do: func(t *testing.T) *http.Response {
			return ssoGet(t, e.s.browser(), "/portal/sso/saml/acs?SAMLResponse="+url.QueryEscape(e.samlResponse(t, e.samlStart(t, e.s.browser(), ""), plain)))
		}},
		{name: "X-Remote-User header on the ACS", do: func(t *testing.T) *http.Response {
			return e.s.browser().do("POST", "/portal/sso/saml/acs", url.Values{}, "X-Remote-User", "ana@example.com")
		}},
	}
}

func TestSSOSAMLRelayStateStaysLocal(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t, dbtest.SQLite(t))
	e.enableSAML(t)
	for _, relay := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "/admin"} {
		b := e.s.browser()
		req := e.samlStart(t, b, relay)
		if req.RelayState != "" {
			t.Errorf("login passed RelayState %q to the IdP for return_to %q", req.RelayState, relay)
		}
		resp := e.samlPost(b, e.samlResponse(t, req, samlOpts{}), relay)
		wantSSOSignedIn(t, e.s, b, resp, "/portal", "ana@example.com")
	}
}

// Over HTTPS the login sets a SameSite=None cookie with its request ID, and a response counts
// only in the browser that started it: an attacker cannot make a victim's browser post the
// attacker's own response (login CSRF).
func TestSSOSAMLBindsTheBrowser(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.BaseURL = "https://help.example.com"
	logs := &lockedBuffer{}
	s := newTestServerWithLog(t, dbtest.SQLite(t), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	e := &ssoEnv{s: s, idp: newSSOTestIdP(t), logs: logs}
	e.enableSAML(t)

	victim := e.s.browser()
	resp := victim.get("/portal/sso/saml/login")
	wantStatus(t, resp, http.StatusFound)
	var raw string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, samlCookie+"=") {
			raw = strings.ToLower(v)
		}
	}
	for _, want := range []string{"; secure", "; httponly", "; samesite=none", "; path=/"} {
		if !strings.Contains(raw, want) {
			t.Fatalf("binding cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "; domain=") {
		t.Fatalf("binding cookie has a Domain: %q", raw)
	}

	attacker := e.s.browser()
	attackerResp := e.samlResponse(t, e.samlStart(t, attacker, ""), samlOpts{})
	cases := []ssoNegative{
		{name: "attacker's response in a browser that started no login", do: func(t *testing.T) *http.Response {
			return e.samlPost(e.s.browser(), attackerResp, "")
		}},
		{name: "attacker's response in a browser that started its own login", do: func(t *testing.T) *http.Response {
			b := e.s.browser()
			e.samlStart(t, b, "")
			return e.samlPost(b, attackerResp, "")
		}},
	}
	if _, accepted := runSSONegatives(t, e.s, cases); accepted != 0 {
		t.Fatalf("%d cross-browser responses accepted", accepted)
	}
	if !strings.Contains(logs.String(), "reason=saml_other_browser") {
		t.Errorf("no saml_other_browser refusal logged:\n%s", logs.String())
	}
	// The browser that started the login signs in.
	b := e.s.browser()
	wantSSOSignedIn(t, e.s, b, e.samlPost(b, e.samlResponse(t, e.samlStart(t, b, ""), samlOpts{}), ""), "/portal", "ana@example.com")
	if _, ok := b.cookies[samlCookie]; ok {
		t.Error("the binding cookie outlived its login")
	}
}

// ---------------------------------------------------------------------------------------------
// SSO-02: no silent linking, no header trust, endpoints gone when off.

func TestSSOExistingPasswordAccount(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		e := newSSOEnv(t, db)
		e.enableHS256(t)
		ctx := context.Background()
		hash, err := app.HashPassword("a long customer password")
		if err != nil {
			t.Fatal(err)
		}
		c := models.Contact{Email: "ana@example.com", Name: "Ana", PasswordHash: hash, Active: true}
		if err := e.s.app.Stores.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		before := ssoContactSessions(t, db)
		resp := e.s.browser().get(ssoJWTURL(e.hs(t, nil), ""))
		wantStatus(t, resp, http.StatusForbidden)
		body := readBody(t, resp)
		if !strings.Contains(body, "Sign in with your password") || !strings.Contains(body, `href="/portal/login"`) {
			t.Fatalf("the refusal does not send them to the password sign-in:\n%s", body)
		}
		if ssoContactSessions(t, db) != before {
			t.Fatal("a session was created for a refused SSO login")
		}
		if got, _ := e.s.app.Stores.Contacts.ByID(ctx, c.ID); got.IsVerified() || got.LastLoginAt != nil {
			t.Fatalf("the refused login changed the contact: %+v", got)
		}
		if !strings.Contains(e.logs.String(), "reason=existing_password_account") {
			t.Errorf("refusal not logged with its reason:\n%s", e.logs.String())
		}

		e.configure(t, func(p *models.PortalSettings) { p.SSO.TrustEmail = true })
		b := e.s.browser()
		wantSSOSignedIn(t, e.s, b, b.get(ssoJWTURL(e.hs(t, nil), "")), "/portal", "ana@example.com")
		if got, _ := e.s.app.Stores.Contacts.ByID(ctx, c.ID); got.PasswordHash != hash {
			t.Fatal("linking changed the password")
		}
	})
}

func TestSSODisabledEndpointsAre404AndHeadersIgnored(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t, dbtest.SQLite(t))
	admin, _ := e.s.staff(models.RoleAdmin, "ada@example.com")
	ctx := context.Background()
	ana := models.Contact{Email: "ana@example.com", Name: "Ana", Active: true}
	if err := e.s.app.Stores.Contacts.Create(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	token := e.hs(t, nil)
	spoof := []string{"X-Remote-User", admin.Email, "X-Forwarded-User", "ana@example.com", "Remote-User", "ana@example.com"}
	for _, r := range []struct{ method, path string }{
		{"GET", ssoJWTURL(token, "")}, {"GET", "/portal/sso/saml/metadata"},
		{"GET", "/portal/sso/saml/login"}, {"POST", "/portal/sso/saml/acs"},
	} {
		var form url.Values
		if r.method == "POST" {
			form = url.Values{"SAMLResponse": {"PHg+"}}
		}
		wantStatus(t, e.s.browser().do(r.method, r.path, form, spoof...), http.StatusNotFound)
	}
	// The headers sign nobody in anywhere.
	before := countRows(t, e.s.app.Stores.DB, "sessions")
	for _, p := range []string{"/", "/portal", "/desk", "/login"} {
		e.s.browser().get(p, spoof...)
	}
	wantLoginRedirect(t, e.s.browser().get("/admin", spoof...))
	if got := ssoContactSessions(t, e.s.app.Stores.DB); got != 0 {
		t.Fatalf("%d customer sessions after header-only requests", got)
	}
	if after := countRows(t, e.s.app.Stores.DB, "sessions"); after != before {
		t.Fatalf("sessions %d → %d after header-only requests", before, after)
	}
	// Turned on, JWT works while SAML stays 404.
	e.enableHS256(t)
	b := e.s.browser()
	wantSSOSignedIn(t, e.s, b, b.get(ssoJWTURL(token, "")), "/portal", "ana@example.com")
	wantStatus(t, e.s.browser().get("/portal/sso/saml/login"), http.StatusNotFound)
}

func TestSSOAudienceLists(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		e := newSSOEnv(t, db)
		ctx := context.Background()
		st := e.s.app.Stores
		vip := models.ContactList{Name: "VIP", Kind: models.ListStatic}
		if err := st.Contacts.CreateList(ctx, &vip); err != nil {
			t.Fatal(err)
		}
		in := models.Contact{Email: "in@example.com", Name: "In", Active: true}
		out := models.Contact{Email: "out@example.com", Name: "Out", Active: true}
		for _, c := range []*models.Contact{&in, &out} {
			if err := st.Contacts.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Contacts.AddToList(ctx, vip.ID, []int64{in.ID}, e.s.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.enableHS256(t)
		e.configure(t, func(p *models.PortalSettings) { p.SSO.AudienceLists = []int64{vip.ID} })
		contacts := countRows(t, db, "contacts")
		for _, email := range []string{"out@example.com", "new@example.com"} {
			resp := e.s.browser().get(ssoJWTURL(e.hs(t, func(c jwt.MapClaims) { c["email"] = email }), ""))
			wantStatus(t, resp, http.StatusForbidden)
			if body := readBody(t, resp); !strings.Contains(body, "does not have access") {
				t.Fatalf("%s: not the access-denied message:\n%s", email, body)
			}
		}
		if got := countRows(t, db, "contacts"); got != contacts || ssoContactSessions(t, db) != 0 {
			t.Fatalf("refused audience logins created contacts (%d → %d) or sessions", contacts, got)
		}
		b := e.s.browser()
		wantSSOSignedIn(t, e.s, b, b.get(ssoJWTURL(e.hs(t, func(c jwt.MapClaims) { c["email"] = "in@example.com" }), "")), "/portal", "in@example.com")
	})
}

// ---------------------------------------------------------------------------------------------
// The admin settings page.

// ssoMultipart posts a multipart form with the browser's cookies.
func ssoMultipart(t *testing.T, b *browser, target string, fields url.Values, files map[string][]byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, err := w.CreateFormFile(name, name+".xml")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	req := httptest.NewRequest("POST", target, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.send(req)
}

func TestSSOAdminPage(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t, dbtest.SQLite(t))
	// The SAML part checks metadata by the real time (crewjam reads it): the app's clock is put
	// on it before anyone signs in, as a jump later would expire their sessions.
	e.s.clock.Set(time.Now().UTC())
	e.s.staff(models.RoleAdmin, "ada@example.com")
	e.s.staff(models.RoleAgent, "bob@example.com")
	ctx := context.Background()
	vip := models.ContactList{Name: "VIP customers", Kind: models.ListStatic}
	if err := e.s.app.Stores.Contacts.CreateList(ctx, &vip); err != nil {
		t.Fatal(err)
	}
	admin := e.s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	agent := e.s.browser()
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)

	page := readBody(t, admin.get("/admin/portal/sso"))
	for _, want := range []string{`id="sso-settings-form"`, `enctype="multipart/form-data"`, "VIP customers",
		"http://localhost:8080/portal/sso/jwt", "http://localhost:8080/portal/sso/saml/acs", "No secret is set"} {
		if !strings.Contains(page, want) {
			t.Fatalf("admin page lacks %q:\n%s", want, page)
		}
	}
	ssoCheckLabels(t, page)

	// Agents may neither see nor save.
	wantStatus(t, agent.get("/admin/portal/sso"), http.StatusForbidden)
	wantStatus(t, agent.do("POST", "/admin/portal/sso", url.Values{CSRFField: {agent.csrf("/desk")}, "jwt_enabled": {"1"}}), http.StatusForbidden)

	token := admin.csrf("/admin/portal/sso")
	save := func(fields url.Values, files map[string][]byte) *http.Response {
		fields.Set(CSRFField, token)
		return ssoMultipart(t, admin, "/admin/portal/sso", fields, files)
	}
	// A valid HS256 setup with an audience list.
	resp := save(url.Values{"jwt_enabled": {"1"}, "jwt_algorithm": {"HS256"}, "jwt_secret": {e.secret},
		"jwt_issuer": {"https://app.example.com"}, "audience_lists": {fmt.Sprint(vip.ID)}, "trust_email": {"1"}}, nil)
	wantStatus(t, resp, http.StatusSeeOther)
	p, _ := e.s.app.Stores.Settings.Portal(ctx)
	if !p.SSO.JWTEnabled || p.SSO.JWTSecret != e.secret || !p.SSO.TrustEmail || len(p.SSO.AudienceLists) != 1 || p.SSO.JWTIssuer != "https://app.example.com" {
		t.Fatalf("saved settings: %+v", p.SSO)
	}
	page = readBody(t, admin.get("/admin/portal/sso"))
	if strings.Contains(page, e.secret) {
		t.Fatal("the secret is echoed into the page")
	}
	if !strings.Contains(page, "A secret is set") || !strings.Contains(page, "Single sign-on settings saved.") ||
		!regexp.MustCompile(`<option value="\d+" selected>VIP customers`).MatchString(page) {
		t.Fatalf("after saving:\n%s", page)
	}
	if !strings.Contains(page, "BEGIN CERTIFICATE") || strings.Contains(page, "PRIVATE KEY") {
		t.Fatal("the SP certificate is missing or the private key is shown")
	}
	// An empty secret field keeps the stored secret.
	wantStatus(t, save(url.Values{"jwt_enabled": {"1"}, "jwt_algorithm": {"HS256"}}, nil), http.StatusSeeOther)
	if p, _ = e.s.app.Stores.Settings.Portal(ctx); p.SSO.JWTSecret != e.secret || !p.SSO.JWTEnabled {
		t.Fatalf("an empty secret field lost the secret: %+v", p.SSO)
	}

	// Invalid input: the form again with the field's error, nothing stored, no secret echoed.
	invalid := []struct {
		name, field string
		fields      url.Values
		files       map[string][]byte
	}{
		{"PEM that is no key", "jwt_public_key", url.Values{"jwt_algorithm": {"RS256"}, "jwt_public_key": {"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"}}, nil},
		{"private key as public key", "jwt_public_key", url.Values{"jwt_algorithm": {"RS256"}, "jwt_public_key": {string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(e.rsaKey)}))}}, nil},
		{"RS256 on without key", "jwt_public_key", url.Values{"jwt_enabled": {"1"}, "jwt_algorithm": {"RS256"}}, nil},
		{"short secret", "jwt_secret", url.Values{"jwt_algorithm": {"HS256"}, "jwt_secret": {"short-canary-secret"}}, nil},
		{"algorithm none", "jwt_algorithm", url.Values{"jwt_algorithm": {"none"}}, nil},
		{"SAML without metadata", "saml_idp_metadata", url.Values{"saml_enabled": {"1"}}, nil},
		{"metadata with a DTD", "saml_idp_metadata", url.Values{"saml_idp_metadata": {`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`}}, nil},
		{"metadata URL instead of XML", "saml_idp_metadata", url.Values{"saml_idp_metadata": {"http://169.254.169.254/metadata"}}, nil},
		{"uploaded metadata over 1 MB", "saml_idp_metadata", url.Values{}, map[string][]byte{"saml_idp_metadata_file": bytes.Repeat([]byte("x"), models.MaxSAMLMetadataBytes+1)}},
		{"unknown audience list", "audience_lists", url.Values{"audience_lists": {"999999"}}, nil},
		{"issuer with spaces", "jwt_issuer", url.Values{"jwt_issuer": {"my app"}}, nil},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.s.app.Stores.Settings.Portal(ctx)
			resp := save(tc.fields, tc.files)
			wantStatus(t, resp, http.StatusOK)
			body := readBody(t, resp)
			if !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `class="field-error"`) {
				t.Fatalf("no field error shown:\n%s", body)
			}
			if !regexp.MustCompile(`name="` + tc.field + `"[^>]*aria-invalid="true"`).MatchString(body) {
				t.Fatalf("the error is not on %s", tc.field)
			}
			if strings.Contains(body, "short-canary-secret") || strings.Contains(body, e.secret) {
				t.Fatal("a secret is echoed into the re-rendered form")
			}
			after, _ := e.s.app.Stores.Settings.Portal(ctx)
			if fmt.Sprint(after.SSO) != fmt.Sprint(before.SSO) {
				t.Fatalf("invalid input changed the settings:\n%+v\n%+v", before.SSO, after.SSO)
			}
		})
	}

	// SAML by uploaded metadata; the SP metadata is served afterwards.
	resp = save(url.Values{"saml_enabled": {"1"}, "saml_entity_id": {"urn:portico:test"}},
		map[string][]byte{"saml_idp_metadata_file": []byte(e.idp.metadataXML(t))})
	wantStatus(t, resp, http.StatusSeeOther)
	md := e.s.browser().get("/portal/sso/saml/metadata")
	wantStatus(t, md, http.StatusOK)
	if body := readBody(t, md); !strings.Contains(body, `entityID="urn:portico:test"`) {
		t.Fatalf("SP metadata does not use the chosen entity ID:\n%s", body)
	}
	if !strings.Contains(readBody(t, admin.get("/admin/portal/sso")), "https://idp.example.test/metadata") {
		t.Fatal("the stored IdP metadata is not shown back")
	}
	if strings.Contains(e.logs.String(), e.secret) || strings.Contains(e.logs.String(), "short-canary-secret") {
		t.Fatal("a secret reached the log")
	}
}

// ssoCheckLabels checks that every visible form control has a label.
func ssoCheckLabels(t *testing.T, page string) {
	t.Helper()
	controls := regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`).FindAllString(page, -1)
	for _, c := range controls {
		if strings.Contains(c, `type="hidden"`) {
			continue
		}
		m := regexp.MustCompile(`id="([^"]+)"`).FindStringSubmatch(c)
		if m == nil || !strings.Contains(page, `for="`+m[1]+`"`) {
			t.Errorf("control without a label: %s", c)
		}
	}
	if strings.Contains(page, "style=") || strings.Contains(page, "onclick=") || regexp.MustCompile(`<script>`).MatchString(page) {
		t.Error("inline style or script on the page (strict CSP)")
	}
}

// ssoEmptyViewModel is the empty view model of each SSO template, for TestEveryTemplateRenders
// (views_test.go: emptyViewModel can ask it first, like portalEmptyViewModel).
func ssoEmptyViewModel(name string, b Base) (any, bool) {
	switch name {
	case "pages/admin/sso":
		return ssoSettingsPage{portalAdmin: portalAdmin{Base: b}}, true
	case "pages/portal/sso_error":
		b.Portal = &PortalView{} // base sets it for the "portal" area
		return ssoErrorPage{Base: b}, true
	}
	return nil, false
}

func TestSSOTemplatesRender(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	for _, lang := range []string{"en", "pt-BR"} {
		for _, name := range []string{"pages/admin/sso", "pages/portal/sso_error"} {
			vm, ok := ssoEmptyViewModel(name, Base{Lang: lang, Viewer: &Viewer{}, tr: s.h.tr})
			if !ok {
				t.Fatalf("no empty view model for %s", name)
			}
			var buf bytes.Buffer
			if err := engine.Render(&buf, name, vm); err != nil {
				t.Fatalf("%s (%s): %v", name, lang, err)
			}
			if out := buf.String(); strings.Contains(out, "<no value>") || regexp.MustCompile(`>\s*sso\.[a-z_.]+\s*<`).MatchString(out) {
				t.Fatalf("%s (%s) shows an untranslated or missing value:\n%s", name, lang, out)
			}
		}
		// The refusal messages chosen at run time exist in every language.
		for _, id := range []string{"sso.error.invalid", "sso.error.use_password", "sso.error.denied", "sso.error.heading"} {
			if !s.h.tr.Has(lang, id) {
				t.Errorf("%s lacks %s", lang, id)
			}
		}
	}
}
