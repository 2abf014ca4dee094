package models

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"time"
	"unicode"
)

// JWT signing algorithms the portal accepts for SSO. The admin pins one; a token signed with any
// other is refused (SECURITY SSO-03: alg none, HS256 signed with the RSA public key).
const (
	JWTHS256 = "HS256"
	JWTRS256 = "RS256"
)

// Limits on SSO settings.
const (
	// MinJWTSecretBytes is the shortest HS256 shared secret accepted (RFC 7518 §3.2: a key of at
	// least the hash size).
	MinJWTSecretBytes = 32
	// MaxSAMLMetadataBytes is the largest IdP metadata document accepted, pasted or uploaded.
	MaxSAMLMetadataBytes = 1 << 20
	// minRSABits is the smallest RSA key accepted for RS256.
	minRSABits = 2048
)

// SSOSettings configure single sign-on into the customer portal (SPEC P-7). They are part of the
// portal settings document. JWTSecret is a secret: it is stored here but never rendered; pages
// show only whether one is set.
type SSOSettings struct {
	JWTEnabled  bool `json:"jwt_enabled"`
	SAMLEnabled bool `json:"saml_enabled"`
	// AudienceLists limits SSO to contacts on these lists; empty means every SSO user.
	AudienceLists []int64 `json:"audience_lists"`
	// TrustEmail says the identity provider verifies e-mail addresses, so an SSO login may enter
	// an existing contact that has a password. Off, such a login is refused and the person is
	// told to sign in with their password: no silent linking (SECURITY SSO-02).
	TrustEmail bool `json:"trust_email"`

	JWTAlgorithm string `json:"jwt_algorithm"`  // JWTHS256 or JWTRS256
	JWTSecret    string `json:"jwt_secret"`     // HS256 shared secret
	JWTPublicKey string `json:"jwt_public_key"` // RS256 public key, PEM
	JWTIssuer    string `json:"jwt_issuer"`     // expected iss, or empty for any
	JWTAudience  string `json:"jwt_audience"`   // expected aud, or empty for any

	// SAMLIdPMetadata is the identity provider's metadata XML as the admin pasted or uploaded it.
	// It is never fetched from a URL (SECURITY HOOK-01).
	SAMLIdPMetadata string `json:"saml_idp_metadata"`
	// SAMLEntityID is this service provider's entity ID; empty means the SP metadata URL.
	SAMLEntityID string `json:"saml_entity_id"`
}

// HasJWTSecret reports whether an HS256 secret is stored.
func (s SSOSettings) HasJWTSecret() bool { return s.JWTSecret != "" }

// Validate checks what can be checked without parsing the IdP metadata (the app does that) and
// names the first bad field. Enabling a method requires its keys.
func (s SSOSettings) Validate() error {
	switch {
	case s.JWTAlgorithm != JWTHS256 && s.JWTAlgorithm != JWTRS256 && (s.JWTAlgorithm != "" || s.JWTEnabled):
		return Invalid("jwt_algorithm", "error.sso_jwt_algorithm")
	case s.JWTSecret != "" && (len(s.JWTSecret) < MinJWTSecretBytes || len(s.JWTSecret) > 1024):
		return Invalid("jwt_secret", "error.sso_jwt_secret")
	case s.JWTEnabled && s.JWTAlgorithm == JWTHS256 && s.JWTSecret == "":
		return Invalid("jwt_secret", "error.sso_jwt_secret")
	case s.JWTEnabled && s.JWTAlgorithm == JWTRS256 && strings.TrimSpace(s.JWTPublicKey) == "":
		return Invalid("jwt_public_key", "error.sso_jwt_public_key")
	case !cleanSetting(s.JWTIssuer, 500):
		return Invalid("jwt_issuer", "error.sso_jwt_issuer")
	case !cleanSetting(s.JWTAudience, 500):
		return Invalid("jwt_audience", "error.sso_jwt_audience")
	case !cleanSetting(s.SAMLEntityID, 1000):
		return Invalid("saml_entity_id", "error.sso_saml_entity_id")
	case len(s.SAMLIdPMetadata) > MaxSAMLMetadataBytes:
		return Invalid("saml_idp_metadata", "error.sso_saml_metadata_size")
	case s.SAMLEnabled && strings.TrimSpace(s.SAMLIdPMetadata) == "":
		return Invalid("saml_idp_metadata", "error.sso_saml_metadata")
	case len(s.AudienceLists) > 100:
		return Invalid("audience_lists", "error.sso_audience_lists")
	}
	if strings.TrimSpace(s.JWTPublicKey) != "" {
		if _, err := ParseRSAPublicKeyPEM(s.JWTPublicKey); err != nil {
			return Invalid("jwt_public_key", "error.sso_jwt_public_key")
		}
	}
	return nil
}

// cleanSetting accepts an empty value or one line of printable text without spaces.
func cleanSetting(v string, max int) bool {
	if len(v) > max {
		return false
	}
	for _, r := range v {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// ErrNotRSAPublicKey means a PEM text holds no usable RSA public key (or holds a private key,
// which is refused so that it is never stored).
var ErrNotRSAPublicKey = errors.New("not an RSA public key of at least 2048 bits")

// ParseRSAPublicKeyPEM reads an RSA public key from PEM: a PKIX "PUBLIC KEY", a PKCS #1 "RSA
// PUBLIC KEY" or a "CERTIFICATE" (its key is used; its validity dates are not checked). Anything
// else, a private key included, and keys shorter than 2048 bits return ErrNotRSAPublicKey.
func ParseRSAPublicKeyPEM(text string) (*rsa.PublicKey, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil || strings.TrimSpace(string(rest)) != "" {
		return nil, ErrNotRSAPublicKey
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, ErrNotRSAPublicKey
	}
	if err != nil {
		return nil, ErrNotRSAPublicKey
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() < minRSABits {
		return nil, ErrNotRSAPublicKey
	}
	return pub, nil
}

// SSOKeyPair is a key pair of the portal's own, in PEM: the SAML service provider signs
// authentication requests and decrypts assertions with it. PrivateKeyPEM is a secret.
type SSOKeyPair struct {
	Name           string `gorm:"primaryKey"`
	PrivateKeyPEM  string `gorm:"column:private_key_pem"`
	CertificatePEM string `gorm:"column:certificate_pem"`
	CreatedAt      time.Time
}

// TableName is the table of SSO key pairs.
func (SSOKeyPair) TableName() string { return "sso_sp_keys" }

// SSOReplay is a one-time SSO value already used, remembered until ExpiresAt.
type SSOReplay struct {
	Key       string `gorm:"primaryKey"`
	ExpiresAt time.Time
}

// TableName is the table of used one-time SSO values.
func (SSOReplay) TableName() string { return "sso_replays" }
