package models_test

import (
	"errors"
	"strings"
	"testing"

	"portico/models"
)

func TestSupportFormSettingsValidate(t *testing.T) {
	t.Parallel()
	ok := models.CustomField{Key: "equipment", Label: "Equipment", Type: models.CustomText}
	dd := models.CustomField{Key: "site", Label: "Site", Type: models.CustomDropdown, Choices: []string{"North", "South"}}
	many := make([]models.CustomField, models.MaxCustomFields+1)
	for i := range many {
		many[i] = models.CustomField{Key: "k" + strings.Repeat("x", i), Label: "L", Type: models.CustomText}
	}
	cases := []struct {
		name  string
		f     models.SupportFormSettings
		field string // "" = valid
	}{
		{"zero value (never configured)", models.SupportFormSettings{}, ""},
		{"everything shown", models.SupportFormSettings{PipelineID: 2, InboxID: 3, Description: models.FieldOptional,
			Category: models.FieldRequired, CategoryChoices: []string{"Billing", "Bug"}, ShowPriority: true,
			Fields: []models.CustomField{ok, dd, {Key: "notes_2", Label: "Notes", Type: models.CustomTextarea, Required: true}}}, ""},
		{"negative pipeline", models.SupportFormSettings{PipelineID: -1}, "pipeline_id"},
		{"negative inbox", models.SupportFormSettings{InboxID: -1}, "inbox_id"},
		{"description hidden", models.SupportFormSettings{Description: models.FieldHidden}, "description"},
		{"unknown category mode", models.SupportFormSettings{Category: "maybe"}, "category"},
		{"category without choices", models.SupportFormSettings{Category: models.FieldOptional}, "category_choices"},
		{"empty category choice", models.SupportFormSettings{Category: models.FieldOptional, CategoryChoices: []string{"a", ""}}, "category_choices"},
		{"duplicate category choice", models.SupportFormSettings{Category: models.FieldOptional, CategoryChoices: []string{"a", "a"}}, "category_choices"},
		{"long category choice", models.SupportFormSettings{Category: models.FieldOptional, CategoryChoices: []string{strings.Repeat("a", 101)}}, "category_choices"},
		{"too many fields", models.SupportFormSettings{Fields: many}, "fields"},
		{"bad key", models.SupportFormSettings{Fields: []models.CustomField{{Key: "Equipment", Label: "E", Type: models.CustomText}}}, "field_0"},
		{"key too long", models.SupportFormSettings{Fields: []models.CustomField{{Key: strings.Repeat("a", 41), Label: "E", Type: models.CustomText}}}, "field_0"},
		{"duplicate key", models.SupportFormSettings{Fields: []models.CustomField{ok, ok}}, "field_1"},
		{"no label", models.SupportFormSettings{Fields: []models.CustomField{ok, {Key: "x", Label: " ", Type: models.CustomText}}}, "field_1"},
		{"unknown type", models.SupportFormSettings{Fields: []models.CustomField{{Key: "x", Label: "X", Type: "date"}}}, "field_0"},
		{"dropdown without choices", models.SupportFormSettings{Fields: []models.CustomField{{Key: "x", Label: "X", Type: models.CustomDropdown}}}, "field_0"},
		{"choices on text", models.SupportFormSettings{Fields: []models.CustomField{{Key: "x", Label: "X", Type: models.CustomText, Choices: []string{"a"}}}}, "field_0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Validate()
			var ve *models.ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tc.field != "" && !errors.As(err, &ve):
				t.Fatalf("Validate = %v, want a validation error on %s", err, tc.field)
			case tc.field != "" && ve.Field != tc.field:
				t.Fatalf("error on %q (%s), want %q", ve.Field, ve.Code, tc.field)
			}
		})
	}
}

func TestSupportFormDefaults(t *testing.T) {
	t.Parallel()
	f := models.DefaultPortalSettings().SupportForm.Normalized()
	if f.Description != models.FieldRequired || f.Category != models.FieldHidden || f.ShowPriority || !f.AttachmentsAllowed() {
		t.Fatalf("defaults = %+v", f)
	}
}
