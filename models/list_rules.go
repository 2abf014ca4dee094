package models

// Active contact lists (SPEC A-5) get their members from a rule: conditions on a contact's
// e-mail domain, company, language, name or a custom property, all of which must hold. The
// rule is evaluated by the database at read time, so an active list is never out of date.
//
// SECURITY INJ-01: the field of a condition picks an SQL expression from a fixed table, the
// operator picks a comparison from another; custom property keys must match propKeyRe and
// travel as bound parameters like every value. Nothing a person types is spliced into SQL.

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ListCondition is one condition of an active list's rule.
type ListCondition struct {
	Field  string   `json:"field"`         // one of RuleFields
	Key    string   `json:"key,omitempty"` // the custom property's key when Field is RuleProperty
	Op     string   `json:"op"`            // one of RuleOps
	Values []string `json:"values"`        // one value, or several for OpAnyOf
}

// ListRule is what an active list's members match: every condition (AND). A rule without
// conditions matches nobody, so a half-made list never opens a portal to everyone.
type ListRule struct {
	Conditions []ListCondition
}

// Fields a list condition may test.
const (
	RuleEmailDomain = "email_domain"
	RuleCompany     = "company"
	RuleLanguage    = "language"
	RuleName        = "name"
	RuleProperty    = "property"
)

// OpContains matches values that contain the text (case-insensitive); OpIs, OpIsNot and
// OpAnyOf (ticket_filter.go) complete the list operators.
const OpContains = "contains"

// Limits of a rule, so that one list cannot make a query of unbounded size.
const (
	MaxRuleConditions = 20
	MaxRuleValues     = 50
	MaxRuleValueLen   = 200
)

// ruleProps is the key of contact_lists.rule that holds the conditions (a JSON array).
const ruleProps = "conditions"

// RuleFields lists the fields a condition may name, in the order forms offer them.
func RuleFields() []string {
	return []string{RuleEmailDomain, RuleCompany, RuleLanguage, RuleName, RuleProperty}
}

// RuleOps lists the operators a condition may use, in the order forms offer them.
func RuleOps() []string { return []string{OpIs, OpIsNot, OpContains, OpAnyOf} }

// Validate checks one condition and names what is wrong.
func (c ListCondition) Validate() error {
	switch c.Field {
	case RuleEmailDomain, RuleCompany, RuleLanguage, RuleName:
		if c.Key != "" {
			return Invalid("rule", "contacts.error.rule_key")
		}
	case RuleProperty:
		if !propKeyRe.MatchString(c.Key) {
			return Invalid("rule", "contacts.error.rule_key")
		}
	default:
		return Invalid("rule", "contacts.error.rule_field")
	}
	switch c.Op {
	case OpIs, OpIsNot, OpContains:
		if len(c.Values) != 1 {
			return Invalid("rule", "contacts.error.rule_values")
		}
	case OpAnyOf:
		if len(c.Values) == 0 || len(c.Values) > MaxRuleValues {
			return Invalid("rule", "contacts.error.rule_values")
		}
	default:
		return Invalid("rule", "contacts.error.rule_op")
	}
	for _, v := range c.Values {
		if strings.TrimSpace(v) == "" || len(v) > MaxRuleValueLen {
			return Invalid("rule", "contacts.error.rule_values")
		}
	}
	return nil
}

// Validate checks every condition of the rule.
func (r ListRule) Validate() error {
	if len(r.Conditions) > MaxRuleConditions {
		return Invalid("rule", "contacts.error.rule_too_many")
	}
	for _, c := range r.Conditions {
		if err := c.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Props encodes the rule for contact_lists.rule.
func (r ListRule) Props() Props {
	conds := r.Conditions
	if conds == nil {
		conds = []ListCondition{}
	}
	b, _ := json.Marshal(conds) // plain strings and slices: cannot fail
	return Props{ruleProps: string(b)}
}

// ParseListRule decodes contact_lists.rule. An empty rule has no conditions.
func ParseListRule(p Props) (ListRule, error) {
	raw := p[ruleProps]
	if raw == "" {
		return ListRule{}, nil
	}
	var r ListRule
	if err := json.Unmarshal([]byte(raw), &r.Conditions); err != nil {
		return ListRule{}, fmt.Errorf("models: list rule: %w", err)
	}
	return r, nil
}

// ParsedRule returns the list's rule; a static list, or a stored rule that no longer decodes or
// validates, has none (and so, when active, no members).
func (l ContactList) ParsedRule() ListRule {
	r, err := ParseListRule(l.Rule)
	if err != nil || r.Validate() != nil {
		return ListRule{}
	}
	return r
}

// ruleField returns the SQL expression of a condition's field over contacts aliased c, and
// its bound arguments. Every expression is a text that is never NULL.
func ruleField(d Dialect, c ListCondition) (string, []any) {
	switch c.Field {
	case RuleEmailDomain:
		// Addresses are stored lower-cased with exactly one "@" (validated on every write);
		// the "@" is bound rather than quoted, so no literal can be mistaken for a named
		// parameter.
		if d == Postgres {
			return "split_part(c.email, ?, 2)", []any{"@"}
		}
		return "substr(c.email, instr(c.email, ?) + 1)", []any{"@"}
	case RuleCompany:
		return "COALESCE((SELECT co.name FROM companies co WHERE co.id = c.company_id), '')", nil
	case RuleLanguage:
		return "c.language", nil
	case RuleName:
		return "c.name", nil
	default: // RuleProperty, key validated against propKeyRe
		if d == Postgres {
			return "COALESCE(c.properties ->> ?, '')", []any{c.Key}
		}
		return `COALESCE(json_extract(c.properties, ?), '')`, []any{`$."` + c.Key + `"`}
	}
}

// ruleWhere turns a rule into one SQL condition over contacts aliased c, with every value
// bound. Comparisons ignore case (on SQLite for ASCII letters only, as its LOWER and LIKE do).
func ruleWhere(d Dialect, r ListRule) (string, []any, error) {
	if err := r.Validate(); err != nil {
		return "", nil, err
	}
	if len(r.Conditions) == 0 {
		return "1 = 0", nil, nil
	}
	like := "LIKE"
	if d == Postgres {
		like = "ILIKE"
	}
	parts := make([]string, 0, len(r.Conditions))
	var args []any
	for _, c := range r.Conditions {
		expr, fargs := ruleField(d, c)
		args = append(args, fargs...)
		switch c.Op {
		case OpIs:
			parts = append(parts, fmt.Sprintf("LOWER(%s) = LOWER(?)", expr))
			args = append(args, strings.TrimSpace(c.Values[0]))
		case OpIsNot:
			parts = append(parts, fmt.Sprintf("LOWER(%s) <> LOWER(?)", expr))
			args = append(args, strings.TrimSpace(c.Values[0]))
		case OpContains:
			parts = append(parts, fmt.Sprintf(`%s %s ? ESCAPE '\'`, expr, like))
			args = append(args, "%"+EscapeLike(strings.TrimSpace(c.Values[0]))+"%")
		case OpAnyOf:
			marks := strings.TrimSuffix(strings.Repeat("LOWER(?), ", len(c.Values)), ", ")
			parts = append(parts, fmt.Sprintf("LOWER(%s) IN (%s)", expr, marks))
			for _, v := range c.Values {
				args = append(args, strings.TrimSpace(v))
			}
		}
	}
	return "(" + strings.Join(parts, ") AND (") + ")", args, nil
}

// listWhere is the SQL condition for "contact c is on list l": a membership row for a static
// list, the rule for an active one.
func listWhere(d Dialect, l ContactList) (string, []any, error) {
	if l.Kind == ListActive {
		return ruleWhere(d, l.ParsedRule())
	}
	return "c.id IN (SELECT m.contact_id FROM contact_list_members m WHERE m.list_id = ?)", []any{l.ID}, nil
}

// ValidPropertyKey reports whether k may name a custom property: 1 to 40 lower-case letters,
// digits and underscores, the form rules and filters can name safely.
func ValidPropertyKey(k string) bool { return propKeyRe.MatchString(k) }

// EscapeLike escapes the LIKE wildcards % and _ (and the escape character \) so that a search
// text matches literally; use with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
