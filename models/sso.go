package models

// SSOSettings configure single sign-on into the customer portal (SPEC P-7).
type SSOSettings struct {
	JWTEnabled  bool `json:"jwt_enabled"`
	SAMLEnabled bool `json:"saml_enabled"`
	// AudienceLists limits SSO to contacts on these lists; empty means every SSO user.
	AudienceLists []int64 `json:"audience_lists"`
}
