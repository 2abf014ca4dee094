package models

import (
	"slices"
	"strings"
	"time"
)

// Outbox statuses of an e-mail.
const (
	// OutboxPending is an e-mail the mailer is to send over SMTP (now or at NextAttemptAt).
	OutboxPending = "pending"
	// OutboxSent is an e-mail the SMTP server accepted.
	OutboxSent = "sent"
	// OutboxFailed is an e-mail the mailer gave up on after its retries.
	OutboxFailed = "failed"
	// OutboxHeld is an e-mail written while no SMTP server was configured: it is only kept, for
	// admins to read at /admin/outbox.
	OutboxHeld = "outbox"
)

// OutboxStatuses lists every status, for labels and validation.
var OutboxStatuses = []string{OutboxPending, OutboxSent, OutboxFailed, OutboxHeld}

// OutboxEmail is one outgoing e-mail. It is written in the same transaction as the work that
// caused it and delivered afterwards by the mailer, so rolled-back work sends nothing and
// committed work is never lost.
type OutboxEmail struct {
	ID            int64
	ToAddr        string `gorm:"column:to_addr"`
	Subject       string
	TextBody      string `gorm:"column:text_body"`
	HTMLBody      string `gorm:"column:html_body"`
	Kind          string // what caused it: "verify", "reset", "invite", "agent_reply", …
	Status        string
	Attempts      int        // delivery attempts started (counted when the mailer claims the row)
	LastError     string     // why the last attempt failed, redacted; empty after success
	NextAttemptAt *time.Time // when a pending e-mail is due
	ClaimedUntil  *time.Time // the lease of the mailer sending it, if any
	SentAt        *time.Time
	CreatedAt     time.Time
}

// TableName names the table of OutboxEmail.
func (OutboxEmail) TableName() string { return "outbox_emails" }

// RecipientDomain is the part of the address after the last "@", lower-cased: what logs may
// say about a recipient.
func (e OutboxEmail) RecipientDomain() string {
	addr := strings.TrimSuffix(strings.TrimSpace(e.ToAddr), ">")
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}

// validOutboxStatus reports whether s is one of OutboxStatuses.
func validOutboxStatus(s string) bool { return slices.Contains(OutboxStatuses, s) }
