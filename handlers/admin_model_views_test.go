package handlers

import (
	"time"

	"portico/models"
)

// adminModelEmptyViewModel gives TestEveryTemplateRenders the view models of the admin pages
// of pipelines, properties, staff, teams and inboxes. Lists carry one row, so that the row
// markup (labels built with printf among them) renders too.
func adminModelEmptyViewModel(name string, b Base) (any, bool) {
	switch name {
	case "pages/admin/pipelines":
		return pipelinesPage{Base: b, Pipelines: []pipelineRow{{Pipeline: models.Pipeline{Name: "p",
			Stages: []models.PipelineStage{{Name: "s"}, {Name: "c", IsClosed: true}}}}}}, true
	case "pages/admin/pipeline":
		st := stageView{ID: 1, Name: "s", Required: []requiredOption{{Key: "category", Label: "Category"}}, Errors: map[string]string{}}
		return pipelinePage{Base: b, ID: 1, Stages: []stageView{st}, NewStage: st, Errors: map[string]string{}}, true
	case "pages/admin/properties":
		return propertiesPage{Base: b, Properties: []models.TicketPropertyDef{{Key: "k", Label: "l", Kind: "select", Options: models.Strings{"a"}}}}, true
	case "pages/admin/property":
		return propertyPage{Base: b, Kinds: []kindOption{{Value: "text"}}, Errors: map[string]string{}}, true
	case "pages/admin/staff":
		return staffListPage{Base: b, Staff: []staffRow{{StaffUser: models.StaffUser{Name: "n", Role: models.RoleAgent, Active: true}}}}, true
	case "pages/admin/staff_user":
		return staffUserPage{Base: b, ID: 1, Teams: []teamOption{{ID: 1, Name: "t"}}, LastLoginAt: time.Unix(0, 0), Errors: map[string]string{}}, true
	case "pages/admin/teams":
		return teamsPage{Base: b, Teams: []models.TeamSummary{{Team: models.Team{Name: "t"}}}}, true
	case "pages/admin/team":
		return teamPage{Base: b, Members: []memberOption{{ID: 1, Name: "n"}}, Errors: map[string]string{}}, true
	case "pages/admin/inboxes":
		return inboxesPage{Base: b, Inboxes: []models.Inbox{{Name: "i", Channel: models.ChannelEmail}}}, true
	case "pages/admin/inbox":
		return inboxPage{Base: b, Channels: []channelOption{{Value: "email"}}, Errors: map[string]string{}}, true
	}
	return nil, false
}

// staffAuthEmptyViewModel does the same for the staff invitation and password-reset pages.
func staffAuthEmptyViewModel(name string, b Base) (any, bool) {
	switch name {
	case "pages/auth/staff_forgot", "pages/auth/staff_set_password", "pages/auth/staff_message":
		return staffAuthPage{Base: b, Errors: map[string]string{}}, true
	}
	return nil, false
}
