package models

// SupportFormSettings configure the portal's support form (SPEC T-9). (Filled in by the
// support-form work.)
type SupportFormSettings struct{}
