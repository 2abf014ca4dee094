package handlers

// adminContactEmptyViewModel gives TestEveryTemplateRenders the view models of the admin pages
// of contacts, companies and contact lists.
func adminContactEmptyViewModel(name string, b Base) (any, bool) {
	return nil, false
}
