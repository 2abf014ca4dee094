package app

// The admin's operations on contacts, companies and contact lists (SPEC A-5). Validation lives
// here so that the forms and the CSV import refuse the same things; side effects (ending a
// deactivated contact's sessions, inviting new members of a portal access list) happen here
// too, after the write they follow.

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"portico/app/i18n"
	"portico/models"
)

// Field limits shared by the forms and the import.
const (
	MaxContactName    = 120
	MaxContactPhone   = 40
	MaxCompanyName    = 200
	MaxPropertyValue  = 500
	MaxPropertiesEach = 50
	MaxListName       = 120
)

// PropRow is one key/value row of a custom-properties editor.
type PropRow struct{ Key, Value string }

// ContactInput is what the admin's contact form submits.
type ContactInput struct {
	Email, Name, Phone, Language string
	Company                      string // a company's name; "" for none
	Active                       bool
	Properties                   []PropRow
}

var (
	phoneRe  = regexp.MustCompile(`^[0-9+()./ \-]*$`)
	domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	nonKeyRe = regexp.MustCompile(`[^a-z0-9]+`)
)

// PropertyKey turns a column header or a typed key into a property key: lower case, runs of
// anything but letters and digits become one underscore, at most 40 characters. It returns ""
// when nothing usable is left.
func PropertyKey(s string) string {
	k := nonKeyRe.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), "_")
	k = strings.Trim(k, "_")
	if len(k) > 40 {
		k = strings.TrimRight(k[:40], "_")
	}
	return k
}

// ContactLanguage returns the shipped language tag s names (any case), "" for "", and false
// for anything else.
func ContactLanguage(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	for _, l := range i18n.Supported {
		if strings.EqualFold(l.Tag, s) {
			return l.Tag, true
		}
	}
	return "", false
}

// singleLine reports whether s fits in n bytes and holds no line breaks.
func singleLine(s string, n int) bool {
	return len(s) <= n && !strings.ContainsAny(s, "\r\n") && utf8.ValidString(s)
}

// properties validates a property editor's rows; a row without a value is skipped (clearing
// a value removes its property).
func properties(rows []PropRow) (models.Props, error) {
	out := models.Props{}
	for _, r := range rows {
		key, value := strings.TrimSpace(r.Key), strings.TrimSpace(r.Value)
		if value == "" {
			continue
		}
		norm := PropertyKey(key)
		switch {
		case norm == "" || !models.ValidPropertyKey(norm):
			return nil, models.Invalid("properties", "contacts.error.property_key")
		case len(value) > MaxPropertyValue || !utf8.ValidString(value):
			return nil, models.Invalid("properties", "contacts.error.property_value")
		}
		if _, dup := out[norm]; dup {
			return nil, models.Invalid("properties", "contacts.error.property_duplicate")
		}
		out[norm] = value
	}
	if len(out) > MaxPropertiesEach {
		return nil, models.Invalid("properties", "contacts.error.property_count")
	}
	return out, nil
}

// contactFields validates the form's fields and resolves the company by name.
func (a *App) contactFields(ctx context.Context, in ContactInput) (models.Contact, error) {
	c := models.Contact{Email: models.NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name),
		Phone: strings.TrimSpace(in.Phone), Active: in.Active}
	var ok bool
	switch c.Language, ok = ContactLanguage(in.Language); {
	case !validEmail(c.Email):
		return c, models.Invalid("email", "contacts.error.email")
	case !singleLine(c.Name, MaxContactName):
		return c, models.Invalid("name", "contacts.error.name")
	case !singleLine(c.Phone, MaxContactPhone) || !phoneRe.MatchString(c.Phone):
		return c, models.Invalid("phone", "contacts.error.phone")
	case !ok:
		return c, models.Invalid("language", "contacts.error.language")
	}
	if name := strings.TrimSpace(in.Company); name != "" {
		found, err := a.Stores.Companies.ByNames(ctx, []string{name})
		if err != nil {
			return c, err
		}
		co, exists := found[strings.ToLower(name)]
		if !exists {
			return c, models.Invalid("company", "contacts.error.company_unknown")
		}
		c.CompanyID = &co.ID
	}
	props, err := properties(in.Properties)
	if err != nil {
		return c, err
	}
	c.Properties = props
	return c, nil
}

// SaveContact creates (id 0) or updates a contact from the admin's form. Switching a contact
// off ends their portal sessions in the same transaction.
func (a *App) SaveContact(ctx context.Context, id int64, in ContactInput) (models.Contact, error) {
	c, err := a.contactFields(ctx, in)
	if err != nil {
		return models.Contact{}, err
	}
	watch, err := a.watchAccess(ctx, func(lists []int64) ([]models.Contact, error) {
		target := id
		if target == 0 {
			target = c.ID // 0 until created: on no list
		}
		return a.Stores.Contacts.MembersByIDs(ctx, lists, []int64{target})
	})
	if err != nil {
		return models.Contact{}, err
	}
	now := a.Now()
	if id == 0 {
		c.CreatedAt, c.UpdatedAt = now, now
		err = a.Stores.Contacts.Create(ctx, &c)
	} else {
		c.ID = id
		err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
			if err := tx.Contacts.Update(ctx, c, now); err != nil {
				return err
			}
			if c.Active {
				return nil
			}
			_, err := tx.Sessions.DeleteForUser(ctx, models.KindContact, id, "")
			return err
		})
	}
	if errors.Is(err, models.ErrConflict) {
		return models.Contact{}, models.Invalid("email", "contacts.error.email_taken")
	}
	if err != nil {
		return models.Contact{}, err
	}
	watch.inviteJoined(ctx, a)
	return a.Stores.Contacts.ByID(ctx, c.ID)
}

// DeactivateContact switches a contact off and ends every portal session they have.
func (a *App) DeactivateContact(ctx context.Context, id int64) error {
	err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
		if err := tx.Contacts.SetActive(ctx, id, false, a.Now()); err != nil {
			return err
		}
		_, err := tx.Sessions.DeleteForUser(ctx, models.KindContact, id, "")
		return err
	})
	if err == nil {
		a.Log.Info("contact deactivated", "contact", id)
	}
	return err
}

// DeleteContact removes a contact and their sessions; their tickets stay, without a contact.
func (a *App) DeleteContact(ctx context.Context, id int64) error {
	err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
		if _, err := tx.Sessions.DeleteForUser(ctx, models.KindContact, id, ""); err != nil {
			return err
		}
		return tx.Contacts.Delete(ctx, id)
	})
	if err == nil {
		a.Log.Info("contact deleted", "contact", id)
	}
	return err
}

// CompanyInput is what the admin's company form submits.
type CompanyInput struct {
	Name, Domain string
	Properties   []PropRow
}

// SaveCompany creates (id 0) or updates a company.
func (a *App) SaveCompany(ctx context.Context, id int64, in CompanyInput) (models.Company, error) {
	co := models.Company{ID: id, Name: strings.TrimSpace(in.Name), Domain: strings.ToLower(strings.TrimSpace(in.Domain))}
	switch {
	case co.Name == "" || !singleLine(co.Name, MaxCompanyName):
		return co, models.Invalid("name", "contacts.error.company_name")
	case co.Domain != "" && (len(co.Domain) > 253 || !domainRe.MatchString(co.Domain)):
		return co, models.Invalid("domain", "contacts.error.domain")
	}
	props, err := properties(in.Properties)
	if err != nil {
		return co, err
	}
	co.Properties = props
	// A list's rule may name the company: renaming it can put its contacts on an access list.
	var watch *accessWatch
	if id != 0 {
		watch, err = a.watchAccess(ctx, func(lists []int64) ([]models.Contact, error) {
			return a.Stores.Contacts.MembersOfCompany(ctx, lists, id)
		})
		if err != nil {
			return models.Company{}, err
		}
	}
	now := a.Now()
	if id == 0 {
		co.CreatedAt, co.UpdatedAt = now, now
		err = a.Stores.Companies.Create(ctx, &co)
	} else {
		err = a.Stores.Companies.Update(ctx, co, now)
	}
	if err != nil {
		return models.Company{}, err
	}
	watch.inviteJoined(ctx, a)
	return a.Stores.Companies.ByID(ctx, co.ID)
}

// ListInput is what the admin's list form submits. Kind is read only when the list is made.
type ListInput struct {
	Name       string
	Kind       models.ListKind
	Conditions []models.ListCondition
}

// SaveList creates (id 0) or updates a contact list. An active list needs at least one
// condition; when it is one of the portal's access lists, its members without a password get
// their invitation, as when the access lists are chosen.
func (a *App) SaveList(ctx context.Context, id int64, in ListInput) (models.ContactList, error) {
	l := models.ContactList{ID: id, Name: strings.TrimSpace(in.Name), Kind: in.Kind}
	if id != 0 {
		saved, err := a.Stores.Contacts.ListByID(ctx, id)
		if err != nil {
			return l, err
		}
		l.Kind = saved.Kind
	}
	switch {
	case l.Name == "" || !singleLine(l.Name, MaxListName):
		return l, models.Invalid("name", "contacts.error.list_name")
	case l.Kind != models.ListStatic && l.Kind != models.ListActive:
		return l, models.Invalid("kind", "contacts.error.list_kind")
	}
	l.Rule = models.Props{}
	if l.Kind == models.ListActive {
		rule := models.ListRule{Conditions: in.Conditions}
		if len(rule.Conditions) == 0 {
			return l, models.Invalid("rule", "contacts.error.rule_empty")
		}
		if err := rule.Validate(); err != nil {
			return l, err
		}
		l.Rule = rule.Props()
	}
	now := a.Now()
	var err error
	if id == 0 {
		l.CreatedAt, l.UpdatedAt = now, now
		err = a.Stores.Contacts.CreateList(ctx, &l)
	} else {
		err = a.Stores.Contacts.UpdateList(ctx, l, now)
	}
	if errors.Is(err, models.ErrConflict) {
		return l, models.Invalid("name", "contacts.error.list_name_taken")
	}
	if err != nil {
		return l, err
	}
	if l.Kind == models.ListActive {
		if _, err := a.inviteIfAccessList(ctx, l.ID, nil); err != nil {
			return l, err
		}
	}
	return a.Stores.Contacts.ListByID(ctx, l.ID)
}

// AddListMembers puts existing contacts (at most models.MaxBatch) on a static list. When the
// list is one of the portal's access lists, the new members without a password get their
// set-password invitation (InviteContacts skips anyone with a password or a pending link). It
// returns how many contacts were added and invited.
func (a *App) AddListMembers(ctx context.Context, listID int64, contactIDs []int64) (added, invited int, err error) {
	l, err := a.Stores.Contacts.ListByID(ctx, listID)
	if err != nil {
		return 0, 0, err
	}
	if l.Kind != models.ListStatic {
		return 0, 0, models.Invalid("members", "contacts.error.list_not_static")
	}
	if len(contactIDs) > models.MaxBatch {
		contactIDs = contactIDs[:models.MaxBatch]
	}
	found, err := a.Stores.Contacts.ByIDs(ctx, contactIDs)
	if err != nil {
		return 0, 0, err
	}
	ids := make([]int64, len(found))
	for i, c := range found {
		ids[i] = c.ID
	}
	if err := a.Stores.Contacts.AddToList(ctx, listID, ids, a.Now()); err != nil {
		return 0, 0, err
	}
	invited, err = a.inviteIfAccessList(ctx, listID, found)
	return len(found), invited, err
}

// RemoveListMembers takes contacts off a static list.
func (a *App) RemoveListMembers(ctx context.Context, listID int64, contactIDs []int64) error {
	l, err := a.Stores.Contacts.ListByID(ctx, listID)
	if err != nil {
		return err
	}
	if l.Kind != models.ListStatic {
		return models.Invalid("members", "contacts.error.list_not_static")
	}
	return a.Stores.Contacts.RemoveFromList(ctx, listID, contactIDs)
}

// accessWatch notes which of some contacts are on the portal's access lists before a change
// to them, so that whoever the change puts on one gets their invitation (SPEC P-4, "when a
// contact is added to such a list"): a new contact, or one whose details come to match an
// active list's rule. A nil watch, outside access-list mode, does nothing.
type accessWatch struct {
	p      models.PortalSettings
	find   func(lists []int64) ([]models.Contact, error)
	before map[int64]bool
}

// watchAccess starts an accessWatch over the contacts find returns for the access lists.
func (a *App) watchAccess(ctx context.Context, find func(lists []int64) ([]models.Contact, error)) (*accessWatch, error) {
	p, err := a.Portal(ctx)
	if err != nil || p.AccessMode != models.AccessLists || len(p.AccessLists) == 0 {
		return nil, err
	}
	w := &accessWatch{p: p, find: find, before: map[int64]bool{}}
	members, err := find(p.AccessLists)
	for _, c := range members {
		w.before[c.ID] = true
	}
	return w, err
}

// inviteJoined invites the watched contacts who are on an access list now and were not before.
// The change itself has been committed by then: a failure is logged, not returned; saving the
// portal's access settings again sends whatever invitation was missed.
func (w *accessWatch) inviteJoined(ctx context.Context, a *App) int {
	if w == nil {
		return 0
	}
	after, err := w.find(w.p.AccessLists)
	var joined []models.Contact
	for _, c := range after {
		if !w.before[c.ID] {
			joined = append(joined, c)
		}
	}
	n := 0
	if err == nil {
		n, err = a.InviteContacts(ctx, w.p, joined)
	}
	if err != nil {
		a.Log.Error("invite contacts who joined an access list", "err", err)
	}
	return n
}

// inviteIfAccessList invites contacts (or, for nil, every member of the list) when the portal
// admits only its access lists and this list is one of them.
func (a *App) inviteIfAccessList(ctx context.Context, listID int64, contacts []models.Contact) (int, error) {
	p, err := a.Portal(ctx)
	if err != nil {
		return 0, err
	}
	if p.AccessMode != models.AccessLists || !slices.Contains(p.AccessLists, listID) {
		return 0, nil
	}
	if contacts == nil {
		if contacts, err = a.Stores.Contacts.MembersOf(ctx, []int64{listID}); err != nil {
			return 0, err
		}
	}
	return a.InviteContacts(ctx, p, contacts)
}
