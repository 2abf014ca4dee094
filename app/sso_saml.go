package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"
	dsig "github.com/russellhaering/goxmldsig"

	"portico/models"
)

// SAML 2.0 SSO (SPEC P-7, SECURITY SSO-01) with crewjam/saml as the service provider. crewjam
// verifies signatures, audience, recipient, destination and times (skew 180 s); on top of it
// this file refuses what it lets through or does not track:
//   - unsolicited responses: every response must answer a request this portal made. Request IDs
//     carry their own time and an HMAC, so starting a login writes nothing; the ID is consumed
//     when the response arrives, and each assertion ID is remembered until it expires (crewjam
//     accepted a replayed response in a test here, STACK.md);
//   - documents with a DTD or comments, or with other than exactly one assertion anywhere in
//     them (XXE, CVE-2022-41912, signature wrapping);
//   - assertions without an audience restriction or a bearer subject confirmation, which crewjam
//     would accept without checking InResponseTo and Recipient.
// The IdP metadata is pasted or uploaded by the admin and never fetched (SECURITY HOOK-01), and
// responses arrive only by the POST binding: no artifact resolution, no inflating.

const (
	// spKeyName names the SAML service provider's key pair in the SSO key table.
	spKeyName = "saml"
	// samlRequestTTL is how long after an AuthnRequest its response is accepted.
	samlRequestTTL = 10 * time.Minute
	// samlMaxResponse bounds the base64 SAMLResponse form value.
	samlMaxResponse = 512 << 10
	// samlAssertionNS and samlProtocolNS are the SAML 2.0 namespaces.
	samlAssertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
	samlProtocolNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlBearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// samlEndpoints are the service provider's public addresses.
type samlEndpoints struct {
	entityID      string
	metadata, acs url.URL
}

// samlURLs derives the SP's addresses from the portal's public address; the entity ID is the
// metadata URL unless the admin set one.
func (a *App) samlURLs(p models.PortalSettings) samlEndpoints {
	base := a.portalPublicBase(p)
	md, _ := url.Parse(base + "/sso/saml/metadata")
	acs, _ := url.Parse(base + "/sso/saml/acs")
	e := samlEndpoints{entityID: p.SSO.SAMLEntityID}
	if md != nil {
		e.metadata = *md
	}
	if acs != nil {
		e.acs = *acs
	}
	if e.entityID == "" {
		e.entityID = e.metadata.String()
	}
	return e
}

// ensureSPKey returns the SP key pair, generating and storing it the first time.
func (a *App) ensureSPKey(ctx context.Context) (models.SSOKeyPair, error) {
	kp, err := a.ssoStore().KeyPair(ctx, spKeyName)
	if err == nil || !errors.Is(err, models.ErrNotFound) {
		return kp, err
	}
	kp, err = generateSPKey(a.Now())
	if err != nil {
		return models.SSOKeyPair{}, err
	}
	kp, err = a.ssoStore().CreateKeyPairIfAbsent(ctx, kp)
	if err == nil {
		a.Log.Info("sso: SAML service provider key pair generated")
	}
	return kp, err
}

// generateSPKey makes an RSA 2048 key and a self-signed certificate valid for ten years. IdPs use
// the certificate only to carry the key; its dates and issuer are not checked by them.
func generateSPKey(now time.Time) (models.SSOKeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return models.SSOKeyPair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return models.SSOKeyPair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Portico SAML service provider"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return models.SSOKeyPair{}, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return models.SSOKeyPair{}, err
	}
	return models.SSOKeyPair{
		Name:           spKeyName,
		PrivateKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		CreatedAt:      now,
	}, nil
}

// parseKeyPair reads the stored pair back.
func parseKeyPair(kp models.SSOKeyPair) (*rsa.PrivateKey, *x509.Certificate, error) {
	kb, _ := pem.Decode([]byte(kp.PrivateKeyPEM))
	cb, _ := pem.Decode([]byte(kp.CertificatePEM))
	if kb == nil || cb == nil {
		return nil, nil, errors.New("sso: stored SAML key pair is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("sso: stored SAML key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("sso: stored SAML key is not RSA")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("sso: stored SAML certificate: %w", err)
	}
	return key, cert, nil
}

// hasDTDOrComment reports markup an IdP never needs and attacks do: a DOCTYPE (entities, XXE,
// billion laughs) or comments (NameID truncation tricks).
func hasDTDOrComment(doc []byte) (dtd, comment bool) {
	upper := bytes.ToUpper(doc)
	return bytes.Contains(upper, []byte("<!DOCTYPE")) || bytes.Contains(upper, []byte("<!ENTITY")),
		bytes.Contains(doc, []byte("<!--"))
}

// parseIdPMetadata reads IdP metadata pasted or uploaded by the admin: an EntityDescriptor, or
// the first IdP in an EntitiesDescriptor. It must name an entity, offer the redirect binding for
// sign-in at an http(s) address and carry at least one signing certificate.
func parseIdPMetadata(text string) (*saml.EntityDescriptor, error) {
	raw := []byte(strings.TrimSpace(text))
	if len(raw) == 0 || len(text) > models.MaxSAMLMetadataBytes {
		return nil, errors.New("metadata empty or too large")
	}
	if dtd, _ := hasDTDOrComment(raw); dtd {
		return nil, errors.New("metadata has a DTD")
	}
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err != nil {
		var eds saml.EntitiesDescriptor
		if err2 := xml.Unmarshal(raw, &eds); err2 != nil {
			return nil, err
		}
		found := false
		for _, e := range eds.EntityDescriptors {
			if len(e.IDPSSODescriptors) > 0 {
				ed, found = e, true
				break
			}
		}
		if !found {
			return nil, errors.New("no identity provider in the metadata")
		}
	}
	if strings.TrimSpace(ed.EntityID) == "" || len(ed.IDPSSODescriptors) == 0 {
		return nil, errors.New("not identity provider metadata")
	}
	sp := saml.ServiceProvider{IDPMetadata: &ed}
	loc, err := url.Parse(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding))
	if err != nil || (loc.Scheme != "https" && loc.Scheme != "http") || loc.Host == "" {
		return nil, errors.New("no usable redirect-binding sign-in address")
	}
	certs := 0
	for _, d := range ed.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return nil, err
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return nil, err
				}
				certs++
			}
		}
	}
	if certs == 0 {
		return nil, errors.New("no signing certificate in the metadata")
	}
	return &ed, nil
}

// serviceProvider builds the crewjam service provider for the current settings, and the key that
// signs request IDs.
func (a *App) serviceProvider(ctx context.Context, p models.PortalSettings) (*saml.ServiceProvider, []byte, error) {
	idp, err := parseIdPMetadata(p.SSO.SAMLIdPMetadata)
	if err != nil {
		return nil, nil, &SSOError{Kind: SSOInvalid, Reason: "saml_not_configured", Detail: err.Error()}
	}
	kp, err := a.ensureSPKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	key, cert, err := parseKeyPair(kp)
	if err != nil {
		return nil, nil, err
	}
	u := a.samlURLs(p)
	sp := &saml.ServiceProvider{
		EntityID:          u.entityID,
		Key:               key,
		Certificate:       cert,
		MetadataURL:       u.metadata,
		AcsURL:            u.acs,
		IDPMetadata:       idp,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		SignatureMethod:   dsig.RSASHA256SignatureMethod,
		AllowIDPInitiated: false,
	}
	mac := sha256.New()
	mac.Write([]byte("portico saml request id\x00"))
	mac.Write(x509.MarshalPKCS1PrivateKey(key))
	return sp, mac.Sum(nil), nil
}

// SAMLMetadata returns the service provider's metadata XML. Only the POST binding is offered for
// responses: the artifact binding would make the server fetch from the IdP.
func (a *App) SAMLMetadata(ctx context.Context, p models.PortalSettings) ([]byte, error) {
	sp, _, err := a.serviceProvider(ctx, p)
	if err != nil {
		return nil, a.samlSetupFailed(err)
	}
	md := sp.Metadata()
	for i := range md.SPSSODescriptors {
		var acs []saml.IndexedEndpoint
		for _, e := range md.SPSSODescriptors[i].AssertionConsumerServices {
			if e.Binding == saml.HTTPPostBinding {
				acs = append(acs, e)
			}
		}
		md.SPSSODescriptors[i].AssertionConsumerServices = acs
	}
	out, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// SAMLLoginURL starts an SP-initiated login: the IdP address with a signed AuthnRequest (redirect
// binding) and relayState, a local path the handler checked. It returns the request's ID too,
// for the handler to bind to the browser. It writes nothing: the request ID proves itself when
// the response comes back.
func (a *App) SAMLLoginURL(ctx context.Context, p models.PortalSettings, relayState string) (loginURL, requestID string, err error) {
	sp, key, err := a.serviceProvider(ctx, p)
	if err != nil {
		return "", "", a.samlSetupFailed(err)
	}
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding),
		saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", err
	}
	req.ID = newSAMLRequestID(key, a.Now())
	// crewjam appends RelayState to the query as given: escape it here.
	u, err := req.Redirect(url.QueryEscape(relayState), sp)
	if err != nil {
		return "", "", err
	}
	return u.String(), req.ID, nil
}

// SAMLBinding ties a response to the browser that started the login: the handler keeps the
// request ID in a cookie at login and hands it back with the response. When Required (the site
// runs on HTTPS, so the cookie can be SameSite=None and still reach the cross-site POST), a
// response without it, or answering another browser's request, is refused: nobody can sign a
// victim in to the attacker's account by making their browser post the attacker's response.
type SAMLBinding struct {
	Required  bool
	RequestID string
}

// samlSetupFailed logs a SAML setup that cannot be used (the IdP metadata stored no longer
// parses) and passes the error on.
func (a *App) samlSetupFailed(err error) error {
	var se *SSOError
	if errors.As(err, &se) {
		a.Log.Error("sso: SAML is enabled but its IdP metadata is unusable", "reason", se.Reason, "detail", se.Detail)
	}
	return err
}

// newSAMLRequestID makes "id-<random>-<unix time>-<mac>": unguessable, dated, and verifiable
// without storage.
func newSAMLRequestID(key []byte, now time.Time) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	body := hex.EncodeToString(b) + "-" + strconv.FormatInt(now.Unix(), 10)
	return "id-" + body + "-" + samlRequestMAC(key, body)
}

func samlRequestMAC(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// checkSAMLRequestID verifies a request ID this portal made and returns when it was made; a
// foreign, forged or stale ID returns false.
func checkSAMLRequestID(key []byte, id string, now time.Time) (time.Time, bool) {
	parts := strings.Split(id, "-")
	if len(id) > 128 || len(parts) != 4 || parts[0] != "id" {
		return time.Time{}, false
	}
	body := parts[1] + "-" + parts[2]
	if !hmac.Equal([]byte(parts[3]), []byte(samlRequestMAC(key, body))) {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	issued := time.Unix(sec, 0).UTC()
	if now.Before(issued.Add(-saml.MaxClockSkew)) || now.After(issued.Add(samlRequestTTL)) {
		return time.Time{}, false
	}
	return issued, true
}

// SignInWithSAML verifies a SAMLResponse posted to the ACS and returns the contact to sign in
// (found or created). Every outcome is logged once, with a reason code. A refusal is an
// *SSOError; other errors are infrastructure failures.
func (a *App) SignInWithSAML(ctx context.Context, p models.PortalSettings, samlResponse string, b SAMLBinding, ip string) (models.Contact, error) {
	c, created, err := a.samlSignIn(ctx, p, samlResponse, b)
	return a.ssoDecision(SSOMethodSAML, ip, c, created, err)
}

func (a *App) samlSignIn(ctx context.Context, p models.PortalSettings, encoded string, b SAMLBinding) (models.Contact, bool, error) {
	if !p.SSO.SAMLEnabled {
		return models.Contact{}, false, ssoInvalid("saml_disabled")
	}
	raw, reqID, err := samlEnvelope(encoded)
	if err != nil {
		return models.Contact{}, false, err
	}
	if b.Required && !hmac.Equal([]byte(b.RequestID), []byte(reqID)) {
		return models.Contact{}, false, ssoInvalid("saml_other_browser")
	}
	sp, key, err := a.serviceProvider(ctx, p)
	if err != nil {
		return models.Contact{}, false, err
	}
	now := a.Now()
	issued, ok := checkSAMLRequestID(key, reqID, now)
	if !ok {
		return models.Contact{}, false, ssoInvalid("saml_in_response_to")
	}
	as, err := parseSAMLResponse(sp, raw, reqID)
	if err != nil {
		return models.Contact{}, false, err
	}
	if reason := strictAssertion(as); reason != "" {
		return models.Contact{}, false, ssoInvalid(reason)
	}
	st := a.ssoStore()
	switch err := st.Consume(ctx, models.ReplayKey("saml-request", reqID), issued.Add(samlRequestTTL+saml.MaxClockSkew)); {
	case errors.Is(err, models.ErrConflict):
		return models.Contact{}, false, ssoInvalid("saml_replay")
	case err != nil:
		return models.Contact{}, false, err
	}
	until := assertionExpiry(as).Add(saml.MaxClockSkew)
	switch err := st.Consume(ctx, models.ReplayKey("saml-assertion", as.Issuer.Value+"\x00"+as.ID), until); {
	case errors.Is(err, models.ErrConflict):
		return models.Contact{}, false, ssoInvalid("saml_replay")
	case err != nil:
		return models.Contact{}, false, err
	}
	id, ok := samlIdentity(as)
	if !ok {
		return models.Contact{}, false, ssoInvalid("saml_email")
	}
	return a.ssoContact(ctx, p, id)
}

// samlEnvelope decodes the posted response and checks its shape before any signature work: size,
// no DTD or comments, a protocol Response at the root answering a request (InResponseTo), and
// exactly one assertion in the whole document.
func samlEnvelope(encoded string) ([]byte, string, error) {
	switch {
	case encoded == "":
		return nil, "", ssoInvalid("saml_missing")
	case len(encoded) > samlMaxResponse:
		return nil, "", ssoInvalid("saml_too_large")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encoded), ""))
	if err != nil {
		return nil, "", ssoInvalid("saml_encoding")
	}
	dtd, comment := hasDTDOrComment(raw)
	switch {
	case dtd:
		return nil, "", ssoInvalid("saml_dtd")
	case comment:
		return nil, "", ssoInvalid("saml_comment")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, "", ssoInvalid("saml_malformed")
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != samlProtocolNS {
		return nil, "", ssoInvalid("saml_malformed")
	}
	reqID := root.SelectAttrValue("InResponseTo", "")
	if reqID == "" {
		return nil, "", ssoInvalid("saml_unsolicited")
	}
	n := 0
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, ch := range el.ChildElements() {
			if ch.NamespaceURI() == samlAssertionNS && (ch.Tag == "Assertion" || ch.Tag == "EncryptedAssertion") {
				n++
			}
			walk(ch)
		}
	}
	walk(root)
	if n != 1 {
		return nil, "", ssoInvalid("saml_assertion_count")
	}
	return raw, reqID, nil
}

// parseSAMLResponse runs crewjam's validation. It panics on some signed but incomplete
// assertions (a missing Subject or Conditions); that is a refusal too.
func parseSAMLResponse(sp *saml.ServiceProvider, raw []byte, reqID string) (as *saml.Assertion, err error) {
	defer func() {
		if r := recover(); r != nil {
			as, err = nil, &SSOError{Kind: SSOInvalid, Reason: "saml_invalid", Detail: fmt.Sprint("library panic: ", r)}
		}
	}()
	as, err = sp.ParseXMLResponse(raw, []string{reqID}, sp.AcsURL)
	if err != nil {
		detail := ""
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			detail = ire.PrivateErr.Error()
		}
		return nil, &SSOError{Kind: SSOInvalid, Reason: "saml_invalid", Detail: detail}
	}
	return as, nil
}

// strictAssertion refuses assertions crewjam accepts without checking everything: no audience
// restriction, no bearer confirmation (then InResponseTo and Recipient go unchecked), no end time.
func strictAssertion(as *saml.Assertion) string {
	switch {
	case as == nil || as.ID == "":
		return "saml_invalid"
	case as.Conditions == nil || as.Conditions.NotOnOrAfter.IsZero() || len(as.Conditions.AudienceRestrictions) == 0:
		return "saml_conditions"
	case as.Subject == nil || len(as.Subject.SubjectConfirmations) == 0:
		return "saml_subject_confirmation"
	}
	for _, sc := range as.Subject.SubjectConfirmations {
		if sc.Method != samlBearer || sc.SubjectConfirmationData == nil || sc.SubjectConfirmationData.NotOnOrAfter.IsZero() {
			return "saml_subject_confirmation"
		}
	}
	return ""
}

// assertionExpiry is the latest time the assertion could still be accepted.
func assertionExpiry(as *saml.Assertion) time.Time {
	t := as.Conditions.NotOnOrAfter
	for _, sc := range as.Subject.SubjectConfirmations {
		if sc.SubjectConfirmationData != nil && sc.SubjectConfirmationData.NotOnOrAfter.After(t) {
			t = sc.SubjectConfirmationData.NotOnOrAfter
		}
	}
	return t
}

// samlEmailAttributes and samlNameAttributes are the attribute names (or friendly names) IdPs
// commonly use, compared case-insensitively.
var (
	samlEmailAttributes = []string{"email", "mail", "emailaddress", "e-mail", "user.email",
		"urn:oid:0.9.2342.19200300.100.1.3", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}
	samlNameAttributes = []string{"displayname", "name", "cn", "fullname", "urn:oid:2.16.840.1.113730.3.1.241",
		"urn:oid:2.5.4.3", "http://schemas.microsoft.com/identity/claims/displayname"}
	samlGivenAttributes = []string{"givenname", "firstname", "urn:oid:2.5.4.42",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"}
	samlSurnameAttributes = []string{"sn", "surname", "lastname", "urn:oid:2.5.4.4",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"}
)

// samlIdentity takes the e-mail from an e-mail attribute, else from a NameID that is an address,
// and the name from the usual attributes.
func samlIdentity(as *saml.Assertion) (SSOIdentity, bool) {
	attr := func(names []string) string {
		for _, st := range as.AttributeStatements {
			for _, at := range st.Attributes {
				for _, n := range names {
					if (strings.EqualFold(at.Name, n) || strings.EqualFold(at.FriendlyName, n)) && len(at.Values) > 0 {
						if v := strings.TrimSpace(at.Values[0].Value); v != "" {
							return v
						}
					}
				}
			}
		}
		return ""
	}
	raw := attr(samlEmailAttributes)
	if raw == "" && as.Subject != nil && as.Subject.NameID != nil {
		raw = as.Subject.NameID.Value
	}
	email, ok := ssoEmail(raw)
	if !ok {
		return SSOIdentity{}, false
	}
	name := attr(samlNameAttributes)
	if name == "" {
		name = strings.TrimSpace(attr(samlGivenAttributes) + " " + attr(samlSurnameAttributes))
	}
	return SSOIdentity{Email: email, Name: ssoName(name)}, true
}
