package handlers

import "github.com/gofiber/fiber/v2"

// registerAdminModelRoutes declares the admin pages of the ticket model and the team:
// pipelines and stages, custom ticket properties, staff users, teams and inboxes (SPEC D-10, A-5),
// and the staff's own invitation and password-reset pages.
func (h *Handler) registerAdminModelRoutes(f *fiber.App) {
	// These pages change what app.Lookups caches (stages, active staff, teams): every write
	// drops this instance's copy at once; other instances catch up within the cache's TTL.
	for _, prefix := range []string{"/admin/pipelines", "/admin/staff", "/admin/teams", "/staff/invite"} {
		f.Use(prefix, h.forgetLookupsAfterWrite)
	}
	h.add(f, "GET", "/admin/pipelines", admins, "admin.pipelines", h.showPipelines)
	h.add(f, "GET", "/admin/pipelines/new", admins, "admin.pipeline.new", h.showNewPipeline)
	h.add(f, "POST", "/admin/pipelines/new", admins, "admin.pipeline.create", h.createPipeline)
	h.add(f, "GET", "/admin/pipelines/:id", admins, "admin.pipeline", h.showPipeline)
	h.add(f, "POST", "/admin/pipelines/:id", admins, "admin.pipeline.save", h.savePipeline)
	h.add(f, "POST", "/admin/pipelines/:id/delete", admins, "admin.pipeline.delete", h.deletePipeline)
	h.add(f, "POST", "/admin/pipelines/:id/stages", admins, "admin.stage.create", h.addStage)
	h.add(f, "POST", "/admin/pipelines/:id/stages/:stage", admins, "admin.stage.save", h.saveStage)
	h.add(f, "POST", "/admin/pipelines/:id/stages/:stage/move", admins, "admin.stage.move", h.moveStage)
	h.add(f, "POST", "/admin/pipelines/:id/stages/:stage/delete", admins, "admin.stage.delete", h.deleteStage)

	h.add(f, "GET", "/admin/properties", admins, "admin.properties", h.showProperties)
	h.add(f, "GET", "/admin/properties/new", admins, "admin.property.new", h.showPropertyForm)
	h.add(f, "POST", "/admin/properties/new", admins, "admin.property.create", h.saveProperty)
	h.add(f, "GET", "/admin/properties/:id", admins, "admin.property", h.showPropertyForm)
	h.add(f, "POST", "/admin/properties/:id", admins, "admin.property.save", h.saveProperty)
	h.add(f, "POST", "/admin/properties/:id/delete", admins, "admin.property.delete", h.deleteProperty)

	h.add(f, "GET", "/admin/staff", admins, "admin.staff", h.showStaffList)
	h.add(f, "GET", "/admin/staff/new", admins, "admin.staff.new", h.showStaffForm)
	h.add(f, "POST", "/admin/staff/new", admins, "admin.staff.invite", h.inviteStaff)
	h.add(f, "GET", "/admin/staff/:id", admins, "admin.staff.user", h.showStaffForm)
	h.add(f, "POST", "/admin/staff/:id", admins, "admin.staff.save", h.saveStaff)
	h.add(f, "POST", "/admin/staff/:id/deactivate", admins, "admin.staff.deactivate", h.deactivateStaff)
	h.add(f, "POST", "/admin/staff/:id/reactivate", admins, "admin.staff.reactivate", h.reactivateStaff)
	h.add(f, "POST", "/admin/staff/:id/invite", admins, "admin.staff.reinvite", h.resendStaffInvite)

	h.add(f, "GET", "/admin/teams", admins, "admin.teams", h.showTeams)
	h.add(f, "GET", "/admin/teams/new", admins, "admin.team.new", h.showTeamForm)
	h.add(f, "POST", "/admin/teams/new", admins, "admin.team.create", h.saveTeam)
	h.add(f, "GET", "/admin/teams/:id", admins, "admin.team", h.showTeamForm)
	h.add(f, "POST", "/admin/teams/:id", admins, "admin.team.save", h.saveTeam)
	h.add(f, "POST", "/admin/teams/:id/delete", admins, "admin.team.delete", h.deleteTeam)

	h.add(f, "GET", "/admin/inboxes", admins, "admin.inboxes", h.showInboxes)
	h.add(f, "GET", "/admin/inboxes/new", admins, "admin.inbox.new", h.showInboxForm)
	h.add(f, "POST", "/admin/inboxes/new", admins, "admin.inbox.create", h.saveInbox)
	h.add(f, "GET", "/admin/inboxes/:id", admins, "admin.inbox", h.showInboxForm)
	h.add(f, "POST", "/admin/inboxes/:id", admins, "admin.inbox.save", h.saveInbox)
	h.add(f, "POST", "/admin/inboxes/:id/delete", admins, "admin.inbox.delete", h.deleteInbox)

	// Staff invitations and password reset (staff_auth.go): reached from e-mailed links and
	// the sign-in page, so open to visitors. A GET never consumes a link (mail scanners open
	// links before people do); the POST with the new password does.
	h.add(f, "GET", "/staff/invite/:token", public, "staff.invite", h.showStaffInvite)
	h.add(f, "POST", "/staff/invite/:token", public, "staff.invite.submit", h.submitStaffInvite)
	h.add(f, "GET", "/password/forgot", public, "staff.forgot", h.showStaffForgot)
	h.add(f, "POST", "/password/forgot", public, "staff.forgot.submit", h.submitStaffForgot)
	h.add(f, "GET", "/password/reset/:token", public, "staff.reset", h.showStaffReset)
	h.add(f, "POST", "/password/reset/:token", public, "staff.reset.submit", h.submitStaffReset)
}

// forgetLookupsAfterWrite drops the cached lookups after a POST, whatever its outcome.
func (h *Handler) forgetLookupsAfterWrite(c *fiber.Ctx) error {
	err := c.Next()
	if c.Method() == fiber.MethodPost {
		h.app.ForgetLookups()
	}
	return err
}
