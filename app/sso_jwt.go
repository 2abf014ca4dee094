package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/models"
)

// JWT SSO (SPEC P-7, SECURITY SSO-03): the customer's application signs a short-lived token
// with the pinned algorithm and sends the person to /<slug>/sso/jwt?jwt=…. The key comes only
// from the settings: kid, jku, x5u and jwk headers are never read.
const (
	// jwtMaxLen bounds a token before any parsing: a 1 MB token or 100k dots cost nothing.
	jwtMaxLen = 8 << 10
	// jwtLeeway is the clock skew allowed on nbf and iat (exp gets none).
	jwtLeeway = 60 * time.Second
	// jwtMaxAge is how long after iat a token is still accepted.
	jwtMaxAge = 5 * time.Minute
	// jwtMaxLifetime caps exp - iat: SSO tokens are for one immediate redirect.
	jwtMaxLifetime = 10 * time.Minute
	// jwtMaxIDLen bounds jti.
	jwtMaxIDLen = 255
)

// ssoClaims are the claims of an SSO token: the registered ones plus the person.
type ssoClaims struct {
	jwt.RegisteredClaims
	Email string `json:"email"`
	Name  string `json:"name"`
}

// SignInWithJWT verifies an SSO token, consumes its jti and returns the contact to sign in (found
// or created). Every outcome is logged once, with a reason code and never the token. A refusal
// is an *SSOError; other errors are infrastructure failures.
func (a *App) SignInWithJWT(ctx context.Context, p models.PortalSettings, token, ip string) (models.Contact, error) {
	c, created, err := a.jwtSignIn(ctx, p, token)
	return a.ssoDecision(SSOMethodJWT, ip, c, created, err)
}

func (a *App) jwtSignIn(ctx context.Context, p models.PortalSettings, token string) (models.Contact, bool, error) {
	if !p.SSO.JWTEnabled {
		return models.Contact{}, false, ssoInvalid("jwt_disabled")
	}
	id, claims, err := a.verifySSOJWT(p.SSO, token)
	if err != nil {
		return models.Contact{}, false, err
	}
	// Remembered until the token could no longer pass the exp check anyway.
	key := models.ReplayKey("jwt", claims.ID)
	switch err := a.ssoStore().Consume(ctx, key, claims.ExpiresAt.Add(jwtLeeway)); {
	case errors.Is(err, models.ErrConflict):
		return models.Contact{}, false, ssoInvalid("jwt_replay")
	case err != nil:
		return models.Contact{}, false, err
	}
	return a.ssoContact(ctx, p, id)
}

// verifySSOJWT checks a token against the settings and returns who it vouches for. It writes
// nothing.
func (a *App) verifySSOJWT(s models.SSOSettings, token string) (SSOIdentity, ssoClaims, error) {
	var claims ssoClaims
	if reason := jwtShape(token); reason != "" {
		return SSOIdentity{}, claims, ssoInvalid(reason)
	}
	alg := s.JWTAlgorithm
	var key any
	switch alg {
	case models.JWTHS256:
		if len(s.JWTSecret) < models.MinJWTSecretBytes {
			return SSOIdentity{}, claims, ssoInvalid("jwt_not_configured")
		}
		key = []byte(s.JWTSecret)
	case models.JWTRS256:
		pub, err := models.ParseRSAPublicKeyPEM(s.JWTPublicKey)
		if err != nil {
			return SSOIdentity{}, claims, ssoInvalid("jwt_not_configured")
		}
		key = pub
	default:
		return SSOIdentity{}, claims, ssoInvalid("jwt_not_configured")
	}
	// Claims are checked below rather than by the library's validator, which applies one leeway
	// to every time claim: exp gets none (a token expired by 1 s is refused), nbf and iat get the
	// clock skew.
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{alg}), // alg none, HS256-with-the-RSA-key and the rest: refused
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
	)
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		// The key is the configured one, whatever the header says (kid, jku, x5u, jwk).
		if t.Method.Alg() != alg {
			return nil, errors.New("unexpected algorithm")
		}
		return key, nil
	})
	if err != nil {
		return SSOIdentity{}, claims, ssoInvalid(jwtReason(err))
	}
	if reason := a.jwtClaimsProblem(s, claims); reason != "" {
		return SSOIdentity{}, claims, ssoInvalid(reason)
	}
	email, ok := ssoEmail(claims.Email)
	if !ok {
		return SSOIdentity{}, claims, ssoInvalid("jwt_email")
	}
	return SSOIdentity{Email: email, Name: ssoName(claims.Name)}, claims, nil
}

// jwtClaimsProblem checks the registered claims of a token whose signature verified and names
// the first problem, or returns "".
func (a *App) jwtClaimsProblem(s models.SSOSettings, c ssoClaims) string {
	now := a.Now()
	switch {
	case c.ExpiresAt == nil:
		return "jwt_exp_missing"
	case !now.Before(c.ExpiresAt.Time):
		return "jwt_expired"
	case c.IssuedAt == nil:
		return "jwt_iat_missing"
	case c.IssuedAt.After(now.Add(jwtLeeway)):
		return "jwt_iat_future"
	case now.Sub(c.IssuedAt.Time) > jwtMaxAge+jwtLeeway:
		return "jwt_iat_too_old"
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > jwtMaxLifetime:
		return "jwt_lifetime"
	case c.NotBefore != nil && c.NotBefore.After(now.Add(jwtLeeway)):
		return "jwt_not_yet_valid"
	case s.JWTIssuer != "" && c.Issuer != s.JWTIssuer:
		return "jwt_issuer"
	case s.JWTAudience != "" && !slices.Contains(c.Audience, s.JWTAudience):
		return "jwt_audience"
	case c.ID == "" || len(c.ID) > jwtMaxIDLen:
		return "jwt_jti"
	}
	return ""
}

// jwtShape refuses what is not a compact JWS of reasonable size before any decoding: exactly
// three base64url segments (SSO-03: 1 MB tokens, "Bearer " + 100k dots).
func jwtShape(token string) string {
	switch {
	case token == "":
		return "jwt_missing"
	case len(token) > jwtMaxLen:
		return "jwt_too_large"
	case strings.Count(token, ".") != 2:
		return "jwt_malformed"
	}
	for i := 0; i < len(token); i++ {
		ch := token[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return "jwt_malformed"
		}
	}
	return ""
}

// jwtReason names a parse failure for the log.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "jwt_malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "jwt_signature"
	}
	return "jwt_invalid"
}
