package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/models"
	"portico/models/dbtest"
)

// ssoPortal is the default portal with HS256 JWT SSO on.
func ssoPortal(secret string) models.PortalSettings {
	p := models.DefaultPortalSettings()
	p.SSO = models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTHS256, JWTSecret: secret}
	return p
}

// wantSSO checks err is an SSO refusal of the given kind and reason.
func wantSSO(t *testing.T, err error, kind SSOFailure, reason string) {
	t.Helper()
	var se *SSOError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want an SSO refusal %q", err, reason)
	}
	if se.Kind != kind || (reason != "" && se.Reason != reason) {
		t.Fatalf("refusal = kind %d reason %q, want kind %d reason %q", se.Kind, se.Reason, kind, reason)
	}
}

func TestSSOContactRules(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		p := ssoPortal(strings.Repeat("k", 32))
		mk := func(email, hash string, active bool) models.Contact {
			c := models.Contact{Email: email, Name: "", PasswordHash: hash, Active: active}
			if err := a.Stores.Contacts.Create(ctx, &c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		withPassword := mk("pat@example.com", "$argon2id$stub", true)
		invited := mk("ivy@example.com", "", true)
		disabled := mk("dan@example.com", "", false)

		// A new address becomes a verified contact named from the identity.
		c, created, err := a.ssoContact(ctx, p, SSOIdentity{Email: "new@example.com", Name: "Nora New"})
		if err != nil || !created || c.Name != "Nora New" || !c.IsVerified() || !c.Active {
			t.Fatalf("new contact = %+v, created %v, %v", c, created, err)
		}
		// A contact without a password is linked and marked verified.
		c, created, err = a.ssoContact(ctx, p, SSOIdentity{Email: "IVY@example.com", Name: "Ivy"})
		if err != nil || created || c.ID != invited.ID {
			t.Fatalf("invited contact = %+v, created %v, %v", c, created, err)
		}
		if got, _ := a.Stores.Contacts.ByID(ctx, invited.ID); !got.IsVerified() || got.Name != "Ivy" || got.LastLoginAt == nil {
			t.Fatalf("after SSO the invited contact is %+v", got)
		}
		// SSO-02: a password account is not linked silently.
		_, _, err = a.ssoContact(ctx, p, SSOIdentity{Email: "pat@example.com"})
		wantSSO(t, err, SSOUsePassword, "existing_password_account")
		if got, _ := a.Stores.Contacts.ByID(ctx, withPassword.ID); got.IsVerified() || got.LastLoginAt != nil {
			t.Fatalf("a refused login changed the contact: %+v", got)
		}
		trusted := p
		trusted.SSO.TrustEmail = true
		if c, _, err = a.ssoContact(ctx, trusted, SSOIdentity{Email: "pat@example.com"}); err != nil || c.ID != withPassword.ID {
			t.Fatalf("trusted IdP: %+v, %v", c, err)
		}
		// A disabled contact is refused.
		_, _, err = a.ssoContact(ctx, trusted, SSOIdentity{Email: disabled.Email})
		wantSSO(t, err, SSODenied, "contact_inactive")

		// Audience lists: members only; a new address is refused before anything is written.
		vip := models.ContactList{Name: "VIP", Kind: models.ListStatic}
		if err := a.Stores.Contacts.CreateList(ctx, &vip); err != nil {
			t.Fatal(err)
		}
		if err := a.Stores.Contacts.AddToList(ctx, vip.ID, []int64{invited.ID}, a.Now()); err != nil {
			t.Fatal(err)
		}
		aud := trusted
		aud.SSO.AudienceLists = []int64{vip.ID}
		if _, _, err := a.ssoContact(ctx, aud, SSOIdentity{Email: invited.Email}); err != nil {
			t.Fatalf("list member refused: %v", err)
		}
		_, _, err = a.ssoContact(ctx, aud, SSOIdentity{Email: withPassword.Email})
		wantSSO(t, err, SSODenied, "audience")
		before := countTable(t, db, "contacts")
		_, _, err = a.ssoContact(ctx, aud, SSOIdentity{Email: "stranger@example.com"})
		wantSSO(t, err, SSODenied, "audience")
		// The portal's own access lists apply too.
		lists := trusted
		lists.AccessMode, lists.AccessLists = models.AccessLists, []int64{vip.ID}
		_, _, err = a.ssoContact(ctx, lists, SSOIdentity{Email: "stranger2@example.com"})
		wantSSO(t, err, SSODenied, "portal_access")
		_, _, err = a.ssoContact(ctx, lists, SSOIdentity{Email: withPassword.Email})
		wantSSO(t, err, SSODenied, "portal_access")
		if after := countTable(t, db, "contacts"); after != before {
			t.Fatalf("refused logins created contacts: %d → %d", before, after)
		}
	})
}

// mintJWT signs claims (map) with method and key, adding header fields.
func mintJWT(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
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

func TestVerifySSOJWT(t *testing.T) {
	a := newTestApp(dbtest.SQLite(t))
	now := a.Now()
	secret := strings.Repeat("0123456789abcdef", 2)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	hs := models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTHS256, JWTSecret: secret}
	rs := models.SSOSettings{JWTEnabled: true, JWTAlgorithm: models.JWTRS256, JWTPublicKey: pubPEM,
		JWTIssuer: "https://app.example.com", JWTAudience: "portico"}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"email": "Ana@Example.com", "name": "Ana\x00 Lima", "iat": now.Unix(),
			"exp": now.Add(2 * time.Minute).Unix(), "jti": "j-1", "iss": "https://app.example.com", "aud": "portico"}
		if edit != nil {
			edit(c)
		}
		return c
	}
	hsTok := func(edit func(jwt.MapClaims)) string {
		return mintJWT(t, jwt.SigningMethodHS256, []byte(secret), claims(edit), nil)
	}

	id, c, err := a.verifySSOJWT(hs, hsTok(nil))
	if err != nil || id.Email != "ana@example.com" || id.Name != "" || c.ID != "j-1" {
		t.Fatalf("valid HS256: %+v %+v %v", id, c, err)
	}
	if id, _, err := a.verifySSOJWT(rs, mintJWT(t, jwt.SigningMethodRS256, rsaKey, claims(func(c jwt.MapClaims) { c["name"] = "Ana Lima" }), nil)); err != nil || id.Name != "Ana Lima" {
		t.Fatalf("valid RS256: %+v %v", id, err)
	}
	// Skew: iat and nbf up to 60 s ahead are fine; exp gets none.
	if _, _, err := a.verifySSOJWT(hs, hsTok(func(c jwt.MapClaims) {
		c["iat"] = now.Add(59 * time.Second).Unix()
		c["nbf"] = now.Add(59 * time.Second).Unix()
	})); err != nil {
		t.Fatalf("iat/nbf within the skew refused: %v", err)
	}

	cases := []struct {
		name, reason string
		s            models.SSOSettings
		token        string
	}{
		{"empty", "jwt_missing", hs, ""},
		{"1 MB", "jwt_too_large", hs, strings.Repeat("a", 1<<20)},
		{"Bearer + 100k dots", "jwt_too_large", hs, "Bearer " + strings.Repeat(".", 100000)},
		{"many dots, short", "jwt_malformed", hs, "a.b.c.d.e"},
		{"Bearer prefix", "jwt_malformed", hs, "Bearer " + hsTok(nil)},
		{"alg none", "jwt_signature", hs, mintJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil), nil)},
		{"HS256 with the RSA public key", "jwt_signature", rs, mintJWT(t, jwt.SigningMethodHS256, []byte(pubPEM), claims(nil), nil)},
		{"RS256 when HS256 is pinned", "jwt_signature", hs, mintJWT(t, jwt.SigningMethodRS256, rsaKey, claims(nil), nil)},
		{"wrong secret", "jwt_signature", hs, mintJWT(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), claims(nil), nil)},
		{"no exp", "jwt_exp_missing", hs, hsTok(func(c jwt.MapClaims) { delete(c, "exp") })},
		{"expired by 1 s", "jwt_expired", hs, hsTok(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })},
		{"no iat", "jwt_iat_missing", hs, hsTok(func(c jwt.MapClaims) { delete(c, "iat") })},
		{"iat 61 s ahead", "jwt_iat_future", hs, hsTok(func(c jwt.MapClaims) { c["iat"] = now.Add(61 * time.Second).Unix() })},
		{"iat 6 min 1 s old", "jwt_iat_too_old", hs, hsTok(func(c jwt.MapClaims) { c["iat"] = now.Add(-361 * time.Second).Unix() })},
		{"lives 11 min", "jwt_lifetime", hs, hsTok(func(c jwt.MapClaims) { c["exp"] = now.Add(11 * time.Minute).Unix() })},
		{"nbf 61 s ahead", "jwt_not_yet_valid", hs, hsTok(func(c jwt.MapClaims) { c["nbf"] = now.Add(61 * time.Second).Unix() })},
		{"wrong iss", "jwt_issuer", rs, mintJWT(t, jwt.SigningMethodRS256, rsaKey, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), nil)},
		{"wrong aud", "jwt_audience", rs, mintJWT(t, jwt.SigningMethodRS256, rsaKey, claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }), nil)},
		{"no jti", "jwt_jti", hs, hsTok(func(c jwt.MapClaims) { delete(c, "jti") })},
		{"no email", "jwt_email", hs, hsTok(func(c jwt.MapClaims) { delete(c, "email") })},
		{"bad email", "jwt_email", hs, hsTok(func(c jwt.MapClaims) { c["email"] = "Ana <ana@example.com>" })},
		{"exp as text", "jwt_malformed", hs, hsTok(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := a.verifySSOJWT(tc.s, tc.token)
			wantSSO(t, err, SSOInvalid, tc.reason)
		})
	}
}

func TestJWTReplayAndLog(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		var logs strings.Builder
		a.Log = newBufferLogger(&logs)
		ctx := context.Background()
		secret := strings.Repeat("s", 40)
		p := ssoPortal(secret)
		tok := mintJWT(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"email": "ana@example.com",
			"iat": a.Now().Unix(), "exp": a.Now().Add(time.Minute).Unix(), "jti": "once"}, nil)
		if _, err := a.SignInWithJWT(ctx, p, tok, "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		_, err := a.SignInWithJWT(ctx, p, tok, "203.0.113.9")
		wantSSO(t, err, SSOInvalid, "jwt_replay")
		out := logs.String()
		if strings.Count(out, "sso login") != 1 || strings.Count(out, "sso refused") != 1 ||
			!strings.Contains(out, "reason=jwt_replay") || !strings.Contains(out, "ip=203.0.113.9") {
			t.Fatalf("log events:\n%s", out)
		}
		if strings.Contains(out, tok) || strings.Contains(out, secret) {
			t.Fatal("the token or the secret is in the log")
		}
		// Expired replay rows are cleaned up.
		a.advance(3 * time.Minute)
		if err := a.CleanupSSO(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countTable(t, db, "sso_replays"); n != 0 {
			t.Fatalf("%d replay rows left after cleanup", n)
		}
	})
}

func TestSAMLRequestIDs(t *testing.T) {
	key := []byte("k")
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	id := newSAMLRequestID(key, now)
	if _, ok := checkSAMLRequestID(key, id, now.Add(5*time.Minute)); !ok {
		t.Fatal("own fresh request ID refused")
	}
	bad := []struct{ name, id string }{
		{"other key", newSAMLRequestID([]byte("other"), now)},
		{"crewjam-style", "id-0123456789abcdef0123456789abcdef01234567"},
		{"time changed", strings.Replace(id, "-"+itoa64(now.Unix())+"-", "-"+itoa64(now.Unix()+3600)+"-", 1)},
		{"empty", ""},
		{"huge", "id-" + strings.Repeat("a", 500)},
	}
	for _, b := range bad {
		if _, ok := checkSAMLRequestID(key, b.id, now); ok {
			t.Errorf("%s: accepted", b.name)
		}
	}
	if _, ok := checkSAMLRequestID(key, id, now.Add(samlRequestTTL+time.Second)); ok {
		t.Error("stale request ID accepted")
	}
}

func TestParseIdPMetadata(t *testing.T) {
	kp, err := generateSPKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(kp.CertificatePEM))
	cert := base64.StdEncoding.EncodeToString(blk.Bytes)
	md := func(sso, certData string) string {
		return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/md">` +
			`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + certData +
			`</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
			`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + sso + `"/>` +
			`</IDPSSODescriptor></EntityDescriptor>`
	}
	good := md("https://idp.example.com/sso", cert)
	if _, err := parseIdPMetadata(good); err != nil {
		t.Fatalf("good metadata refused: %v", err)
	}
	wrapped := `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.Replace(good, ` xmlns="urn:oasis:names:tc:SAML:2.0:metadata"`, "", 1) + `</EntitiesDescriptor>`
	if _, err := parseIdPMetadata(wrapped); err != nil {
		t.Fatalf("EntitiesDescriptor refused: %v", err)
	}
	bad := map[string]string{
		"DTD with an entity":   `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + good,
		"javascript: sign-in":  md("javascript:alert(1)", cert),
		"no certificate":       md("https://idp.example.com/sso", ""),
		"broken certificate":   md("https://idp.example.com/sso", "AAAA"),
		"not XML":              "https://idp.example.com/metadata",
		"SP metadata, not IdP": `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>`,
		"too large":            good + strings.Repeat(" ", models.MaxSAMLMetadataBytes),
	}
	for name, text := range bad {
		if _, err := parseIdPMetadata(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSAMLEnvelope(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	resp := func(inner, attrs string) string {
		return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r"` + attrs + `>` + inner + `</samlp:Response>`
	}
	one := `<saml:Assertion ID="a1"></saml:Assertion>`
	if _, id, err := samlEnvelope(enc(resp(one, ` InResponseTo="id-x"`))); err != nil || id != "id-x" {
		t.Fatalf("good envelope: %q %v", id, err)
	}
	cases := []struct{ name, reason, value string }{
		{"missing", "saml_missing", ""},
		{"too large", "saml_too_large", strings.Repeat("A", samlMaxResponse+4)},
		{"not base64", "saml_encoding", "%%%"},
		{"DTD", "saml_dtd", enc(`<!DOCTYPE r [<!ENTITY x "y">]>` + resp(one, ` InResponseTo="id-x"`))},
		{"comment", "saml_comment", enc(resp(`<saml:Assertion ID="a1"><saml:Subject><saml:NameID>ana@evil.com<!---->.example.com</saml:NameID></saml:Subject></saml:Assertion>`, ` InResponseTo="id-x"`))},
		{"not a response", "saml_malformed", enc(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a"/>`)},
		{"unsolicited", "saml_unsolicited", enc(resp(one, ""))},
		{"two assertions", "saml_assertion_count", enc(resp(one+`<saml:Assertion ID="a2"></saml:Assertion>`, ` InResponseTo="id-x"`))},
		{"assertion hidden in Extensions", "saml_assertion_count", enc(resp(`<samlp:Extensions>`+one+`</samlp:Extensions><saml:Assertion ID="a2"></saml:Assertion>`, ` InResponseTo="id-x"`))},
		{"no assertion", "saml_assertion_count", enc(resp("", ` InResponseTo="id-x"`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := samlEnvelope(tc.value)
			wantSSO(t, err, SSOInvalid, tc.reason)
		})
	}
}

func newBufferLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
