package models

import (
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Typed errors returned by every store. Callers test them with errors.Is; GORM and driver errors
// never travel past this package.
var (
	// ErrNotFound means the row does not exist or the viewer may not see it; the two are
	// deliberately indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (an e-mail address, a name, a slug) is taken.
	ErrConflict = errors.New("already exists")
)

// ValidationError is bad input on a named field; handlers re-render the form with it.
type ValidationError struct {
	Field string // form field name
	Code  string // translation key of the message
}

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Code) }

// Invalid builds a ValidationError.
func Invalid(field, code string) error { return &ValidationError{Field: field, Code: code} }

// mapErr translates GORM's errors into ours and wraps the rest with the operation's name.
// GORM's TranslateError option turns driver unique violations into gorm.ErrDuplicatedKey on
// both engines.
func mapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrConflict
	default:
		return fmt.Errorf("models: %s: %w", op, err)
	}
}
