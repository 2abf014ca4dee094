package models

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldMode says whether a built-in field of the support form is shown and whether it must be
// filled in.
type FieldMode string

// Field modes. The zero value means "the default for that field" (see Normalized).
const (
	FieldHidden   FieldMode = "hidden"
	FieldOptional FieldMode = "optional"
	FieldRequired FieldMode = "required"
)

// CustomFieldType is the input a custom field of the support form is shown as.
type CustomFieldType string

// Custom field types.
const (
	CustomText     CustomFieldType = "text"
	CustomTextarea CustomFieldType = "textarea"
	CustomDropdown CustomFieldType = "dropdown"
)

// Limits of the support form's configuration.
const (
	MaxCustomFields     = 10
	MaxFormChoices      = 50  // choices of the category or of one dropdown
	MaxFormChoiceLen    = 100 // characters of one choice
	MaxCustomFieldLabel = 80  // characters of a custom field's label
)

// customKeyRe is a custom field's key: it names the ticket property the answer is stored in.
var customKeyRe = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// CustomField is an admin-defined question on the support form (equipment, phone, …). The
// answer is stored in the ticket's Properties under Key.
type CustomField struct {
	Key      string          `json:"key"`
	Label    string          `json:"label"`
	Type     CustomFieldType `json:"type"`
	Choices  []string        `json:"choices,omitempty"` // dropdowns only
	Required bool            `json:"required"`
}

// SupportFormSettings configure the portal's support form (SPEC T-9). The zero value is the
// form of a portal never configured: subject and description (required), no category, no
// priority, attachments allowed. That is why attachments are stored as "disabled" and the
// built-in modes may be empty.
type SupportFormSettings struct {
	PipelineID int64 `json:"pipeline_id"` // 0: the default pipeline
	InboxID    int64 `json:"inbox_id"`    // 0: the portal's default inbox, if any

	Description        FieldMode     `json:"description"` // required (default) or optional
	Category           FieldMode     `json:"category"`    // hidden (default), optional or required
	CategoryChoices    []string      `json:"category_choices"`
	ShowPriority       bool          `json:"show_priority"`
	DisableAttachments bool          `json:"disable_attachments"`
	Fields             []CustomField `json:"fields"`
}

// Normalized fills the defaults in for modes never set.
func (f SupportFormSettings) Normalized() SupportFormSettings {
	if f.Description == "" {
		f.Description = FieldRequired
	}
	if f.Category == "" {
		f.Category = FieldHidden
	}
	return f
}

// AttachmentsAllowed reports whether customers may attach files to a new ticket.
func (f SupportFormSettings) AttachmentsAllowed() bool { return !f.DisableAttachments }

// Field returns the custom field with that key.
func (f SupportFormSettings) Field(key string) (CustomField, bool) {
	for _, cf := range f.Fields {
		if cf.Key == key {
			return cf, true
		}
	}
	return CustomField{}, false
}

// HasChoice reports whether v is one of choices.
func HasChoice(choices []string, v string) bool {
	for _, c := range choices {
		if c == v {
			return true
		}
	}
	return false
}

// Validate checks the configuration an admin saves and names the first bad field. Custom field
// errors name their row: "field_0", "field_1", …
func (f SupportFormSettings) Validate() error {
	f = f.Normalized()
	switch {
	case f.PipelineID < 0:
		return Invalid("pipeline_id", "error.supportform_pipeline")
	case f.InboxID < 0:
		return Invalid("inbox_id", "error.supportform_inbox")
	case f.Description != FieldRequired && f.Description != FieldOptional:
		return Invalid("description", "error.supportform_mode")
	case f.Category != FieldHidden && f.Category != FieldOptional && f.Category != FieldRequired:
		return Invalid("category", "error.supportform_mode")
	case f.Category != FieldHidden && len(f.CategoryChoices) == 0:
		return Invalid("category_choices", "error.supportform_choices_needed")
	case len(f.Fields) > MaxCustomFields:
		return Invalid("fields", "error.supportform_too_many_fields")
	}
	if err := validChoices("category_choices", f.CategoryChoices); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, cf := range f.Fields {
		field := "field_" + strconv.Itoa(i)
		label := strings.TrimSpace(cf.Label)
		switch {
		case !customKeyRe.MatchString(cf.Key):
			return Invalid(field, "error.supportform_key")
		case seen[cf.Key]:
			return Invalid(field, "error.supportform_key_taken")
		case label == "" || utf8.RuneCountInString(label) > MaxCustomFieldLabel || strings.ContainsAny(label, "\r\n"):
			return Invalid(field, "error.supportform_label")
		case cf.Type != CustomText && cf.Type != CustomTextarea && cf.Type != CustomDropdown:
			return Invalid(field, "error.supportform_type")
		case cf.Type == CustomDropdown && len(cf.Choices) == 0:
			return Invalid(field, "error.supportform_choices_needed")
		case cf.Type != CustomDropdown && len(cf.Choices) > 0:
			return Invalid(field, "error.supportform_choices_dropdown_only")
		}
		if err := validChoices(field, cf.Choices); err != nil {
			return err
		}
		seen[cf.Key] = true
	}
	return nil
}

// validChoices checks a list of dropdown choices: not too many, none empty or too long, no
// line breaks, no duplicates.
func validChoices(field string, choices []string) error {
	if len(choices) > MaxFormChoices {
		return Invalid(field, "error.supportform_too_many_choices")
	}
	seen := map[string]bool{}
	for _, c := range choices {
		if strings.TrimSpace(c) != c || c == "" || utf8.RuneCountInString(c) > MaxFormChoiceLen ||
			strings.ContainsAny(c, "\r\n") || seen[c] {
			return Invalid(field, "error.supportform_choice")
		}
		seen[c] = true
	}
	return nil
}

// SupportFormInboxes lists every inbox by name, for the support form's inbox choice.
func (s *InboxStore) SupportFormInboxes(ctx context.Context) ([]Inbox, error) {
	var out []Inbox
	err := s.db.Gorm.WithContext(ctx).Order("name, id").Find(&out).Error
	return out, mapErr("support form inboxes", err)
}
