package handlers

import "github.com/gofiber/fiber/v2"

// registerAdminContactRoutes declares the admin pages of contacts, companies and contact lists
// (SPEC A-5), including CSV import. Fixed paths come before their :id siblings.
func (h *Handler) registerAdminContactRoutes(f *fiber.App) {
	h.add(f, "GET", "/admin/contacts", admins, "admin.contacts", h.showAdminContacts)
	h.add(f, "GET", "/admin/contacts/new", admins, "admin.contact.new", h.showNewContact)
	h.add(f, "POST", "/admin/contacts/new", admins, "admin.contact.create", h.createContact)
	h.add(f, "GET", "/admin/contacts/import", admins, "admin.contacts.import", h.showContactImport)
	h.add(f, "POST", "/admin/contacts/import", admins, "admin.contacts.import.upload", h.uploadContactImport)
	h.add(f, "GET", "/admin/contacts/import/:key", admins, "admin.contacts.import.preview", h.showImportPreview)
	h.add(f, "POST", "/admin/contacts/import/:key", admins, "admin.contacts.import.confirm", h.confirmContactImport)
	h.add(f, "GET", "/admin/contacts/import/:key/errors", admins, "admin.contacts.import.errors", h.downloadImportErrors)
	h.add(f, "GET", "/admin/contacts/:id", admins, "admin.contact", h.showAdminContact)
	h.add(f, "POST", "/admin/contacts/:id", admins, "admin.contact.save", h.saveContact)
	h.add(f, "POST", "/admin/contacts/:id/deactivate", admins, "admin.contact.deactivate", h.deactivateContact)
	h.add(f, "POST", "/admin/contacts/:id/delete", admins, "admin.contact.delete", h.deleteContact)

	h.add(f, "GET", "/admin/companies", admins, "admin.companies", h.showAdminCompanies)
	h.add(f, "GET", "/admin/companies/options", admins, "admin.companies.options", h.showCompanyOptions)
	h.add(f, "GET", "/admin/companies/new", admins, "admin.company.new", h.showCompany)
	h.add(f, "POST", "/admin/companies/new", admins, "admin.company.create", h.saveCompany)
	h.add(f, "GET", "/admin/companies/:id", admins, "admin.company", h.showCompany)
	h.add(f, "POST", "/admin/companies/:id", admins, "admin.company.save", h.saveCompany)
	h.add(f, "POST", "/admin/companies/:id/delete", admins, "admin.company.delete", h.deleteCompany)

	h.add(f, "GET", "/admin/lists", admins, "admin.lists", h.showAdminLists)
	h.add(f, "GET", "/admin/lists/new", admins, "admin.list.new", h.showList)
	h.add(f, "POST", "/admin/lists/new", admins, "admin.list.create", h.saveList)
	h.add(f, "GET", "/admin/lists/:id", admins, "admin.list", h.showList)
	h.add(f, "POST", "/admin/lists/:id", admins, "admin.list.save", h.saveList)
	h.add(f, "POST", "/admin/lists/:id/delete", admins, "admin.list.delete", h.deleteList)
	h.add(f, "POST", "/admin/lists/:id/members", admins, "admin.list.members.add", h.addListMembers)
	h.add(f, "POST", "/admin/lists/:id/members/remove", admins, "admin.list.members.remove", h.removeListMembers)
}
