package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Priority orders tickets by urgency.
type Priority string

// Ticket priorities, lowest first.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority, lowest first.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	for _, q := range Priorities {
		if p == q {
			return true
		}
	}
	return false
}

// Channel is where a conversation happens.
type Channel string

// The channels Portico answers on.
const (
	ChannelPortal   Channel = "portal"
	ChannelEmail    Channel = "email"
	ChannelChat     Channel = "chat"
	ChannelCustom   Channel = "custom"
	ChannelAPI      Channel = "api"
	ChannelWhatsApp Channel = "whatsapp"
)

// Channels lists every channel.
var Channels = []Channel{ChannelPortal, ChannelEmail, ChannelChat, ChannelCustom, ChannelAPI, ChannelWhatsApp}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, k := range Channels {
		if c == k {
			return true
		}
	}
	return false
}

// Pipeline is an ordered set of stages a ticket moves through.
type Pipeline struct {
	ID        int64
	Name      string
	Position  int
	IsDefault bool
	Stages    []PipelineStage `gorm:"foreignKey:PipelineID"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PipelineStage is one step of a pipeline; a closed stage ends the conversation.
type PipelineStage struct {
	ID         int64
	PipelineID int64
	Name       string
	Position   int
	IsClosed   bool
	// RequiredProperties are the property keys a ticket must have set before it may enter
	// this stage (D-6): "category", "priority" or custom property keys.
	RequiredProperties Strings
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// FirstOpenStage is where new tickets start: the first open stage by position.
func (p Pipeline) FirstOpenStage() (PipelineStage, bool) {
	var best PipelineStage
	found := false
	for _, s := range p.Stages {
		if !s.IsClosed && (!found || s.Position < best.Position) {
			best, found = s, true
		}
	}
	return best, found
}

// Ticket is one customer request, whatever channel it came from. Number is its public
// reference (T-1042); customers never see the row ID.
type Ticket struct {
	ID             int64
	Number         int64
	Subject        string
	Description    string
	PipelineID     int64
	StageID        int64
	IsClosed       bool // copied from the stage so listings filter on an index
	Priority       Priority
	Category       string
	SourceChannel  Channel
	OwnerID        *int64
	TeamID         *int64
	ContactID      *int64
	CompanyID      *int64
	Properties     Props
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastActivityAt time.Time
	ClosedAt       *time.Time
}

// Ref is the public reference shown to people and used in customer URLs.
func (t Ticket) Ref() string { return FormatRef(t.Number) }

// FormatRef writes a ticket number as its public reference.
func FormatRef(n int64) string { return "T-" + strconv.FormatInt(n, 10) }

// ParseRef reads a public reference ("T-1042", case-insensitive, or the bare number).
func ParseRef(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && (s[0] == 'T' || s[0] == 't') && s[1] == '-' {
		s = s[2:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("models: %q is not a ticket reference", s)
	}
	return n, nil
}

// Thread is one conversation about a ticket on one channel. A ticket may have several; the
// portal shows the most recent.
type Thread struct {
	ID            int64
	TicketID      int64
	Channel       Channel
	InboxID       *int64
	ExternalRef   string
	CreatedAt     time.Time
	LastMessageAt time.Time
}

// AuthorKind says who wrote a message.
type AuthorKind string

// Message authors.
const (
	AuthorContact AuthorKind = "contact"
	AuthorStaff   AuthorKind = "staff"
	AuthorSystem  AuthorKind = "system"
)

// Message is one post in a thread. Internal notes are for staff only and never reach a
// customer-facing output.
type Message struct {
	ID              int64
	ThreadID        int64
	TicketID        int64
	AuthorKind      AuthorKind
	AuthorContactID *int64
	AuthorStaffID   *int64
	Body            string
	// BodyHTML is the sanitised rich-text version of Body, when the author wrote one (staff
	// replies); Body then holds its plain text.
	BodyHTML    string `gorm:"column:body_html"`
	ReplyToID   *int64 // the message this one quotes
	IsInternal  bool
	ExternalID  string
	CreatedAt   time.Time
	Attachments []Attachment `gorm:"foreignKey:MessageID"`
}

// VisibleToCustomer reports whether a customer may ever see the message.
func (m Message) VisibleToCustomer() bool { return !m.IsInternal }

// Attachment is a stored file. PublicID is a random 128-bit handle used in URLs; StorageKey
// names the blob in the attachment store and is never shown.
type Attachment struct {
	ID          int64
	PublicID    string
	TicketID    *int64
	MessageID   *int64
	Filename    string
	Size        int64
	ContentType string
	StorageKey  string
	SHA256      string `gorm:"column:sha256"`
	CreatedAt   time.Time
}

// Inbox is where conversations of one channel arrive (a mailbox, the portal, a chat widget).
type Inbox struct {
	ID        int64
	Name      string
	Channel   Channel
	Address   string
	Active    bool
	Settings  Props
	CreatedAt time.Time
	UpdatedAt time.Time
}
