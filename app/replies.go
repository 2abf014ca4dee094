package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"portico/models"
)

// MaxAttachmentBytes is the largest file a message may carry (SPEC T-6).
const MaxAttachmentBytes = 25 << 20

// maxFilesPerMessage bounds the attachments of one message.
const maxFilesPerMessage = 10

// Upload is one file sent with a message: its name as the sender gave it and its content.
// An upload already received to disk by the HTTP layer comes as Spool (Open and Size are then
// ignored): storing it is a rename, and its hash and type were taken while it arrived.
type Upload struct {
	Name  string
	Size  int64
	Open  func() (io.ReadCloser, error)
	Spool *Spool
}

// ReplyInput is a message written in the portal or the desk.
type ReplyInput struct {
	Body  string
	Files []Upload
}

// Live event names (kebab-case, STYLE 24). Events carry only the ticket reference; pages
// refetch through their normal, authorised handlers.
const (
	EventTicketUpdated = "ticket-updated"
	EventTicketCreated = "ticket-created"
)

// ReplyAsContact adds a customer's reply to a ticket they may see (SPEC T-6, T-8, T-10): on the
// ticket's most recent thread, or on a new thread in the portal's default inbox when the ticket
// has none. Files are stored first and removed again if the message is not saved. Live events go
// out after commit.
func (a *App) ReplyAsContact(ctx context.Context, p models.PortalSettings, scope models.PortalScope, c models.Contact,
	number int64, in ReplyInput) (models.Ticket, error) {
	t, err := a.Stores.Tickets.ForPortalByNumber(ctx, scope, number)
	if err != nil {
		return models.Ticket{}, err
	}
	if t.IsClosed {
		return t, models.Invalid("body", "error.ticket_closed")
	}
	body := strings.TrimSpace(in.Body)
	switch {
	case body == "" && len(in.Files) == 0:
		return t, models.Invalid("body", "error.reply_empty")
	case len(body) > 20000:
		return t, models.Invalid("body", "error.reply_too_long")
	case len(in.Files) > maxFilesPerMessage:
		return t, models.Invalid("files", "error.too_many_files")
	}
	files, err := a.storeUploads(ctx, in.Files)
	if err != nil {
		return t, err
	}
	now := a.Now()
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		th, err := tx.Tickets.LatestThread(ctx, t.ID)
		if errors.Is(err, models.ErrNotFound) {
			th = models.Thread{TicketID: t.ID, Channel: models.ChannelPortal, CreatedAt: now}
			if p.DefaultInboxID != 0 {
				th.InboxID = &p.DefaultInboxID
			}
			err = tx.Tickets.CreateThread(ctx, &th)
		}
		if err != nil {
			return err
		}
		m := models.Message{ThreadID: th.ID, TicketID: t.ID, AuthorKind: models.AuthorContact,
			AuthorContactID: &c.ID, Body: body, CreatedAt: now, Attachments: files}
		if err := tx.Tickets.AddMessage(ctx, &m); err != nil {
			return err
		}
		return a.notifyOwner(ctx, tx, t, m.ID, now)
	})
	if err != nil {
		a.discard(ctx, files)
		return t, err
	}
	a.publishEach(ctx, append([]Publication{ticketPublication(t, EventTicketUpdated)}, staffPublications(t.OwnerID)...)...)
	return t, nil
}

// ReplyAsStaff adds an agent's plain reply or internal note to a ticket's latest thread: the
// desk's DeskReply without files, quoting, channel choice or status change.
func (a *App) ReplyAsStaff(ctx context.Context, u models.StaffUser, ticketID int64, body string, internal bool) (models.Message, error) {
	return a.DeskReply(ctx, u, ticketID, DeskReplyInput{Body: body, Internal: internal})
}

// publishTicket tells the ticket's page and its contact's and company's listings that it
// changed. Called after commit only; a failed publish costs a page its live update, not data.
func (a *App) publishTicket(ctx context.Context, t models.Ticket, name string) {
	a.publishEach(ctx, ticketPublication(t, name))
}

// ticketPublication is the event publishTicket sends, for publishing with others at once.
func ticketPublication(t models.Ticket, name string) Publication {
	// "queue" feeds the agents' desk (D-9): every ticket change refreshes open queue pages.
	topics := []string{"ticket:" + t.Ref(), "queue"}
	if t.ContactID != nil {
		topics = append(topics, "contact:"+strconv.FormatInt(*t.ContactID, 10))
	}
	if t.CompanyID != nil {
		topics = append(topics, "company:"+strconv.FormatInt(*t.CompanyID, 10))
	}
	return Publication{Topics: topics, Event: Event{Name: name, Ref: t.Ref()}}
}

// storeUploads stores each file (sniffing its real type; a declared type is never trusted) and
// returns unsaved attachment rows. On any failure the files stored so far are removed.
func (a *App) storeUploads(ctx context.Context, uploads []Upload) ([]models.Attachment, error) {
	var out []models.Attachment
	for _, u := range uploads {
		if u.Spool == nil && u.Size > MaxAttachmentBytes {
			a.discard(ctx, out)
			return nil, models.Invalid("files", "error.file_too_large")
		}
		att, err := a.storeUpload(ctx, u)
		if err != nil {
			a.discard(ctx, out)
			return nil, err
		}
		out = append(out, att)
	}
	return out, nil
}

func (a *App) storeUpload(ctx context.Context, u Upload) (models.Attachment, error) {
	if sp := u.Spool; sp != nil {
		if sp.Size() > MaxAttachmentBytes {
			return models.Attachment{}, models.Invalid("files", "error.file_too_large")
		}
		if err := sp.Finish(); err != nil {
			return models.Attachment{}, err
		}
		key, err := sp.keep(ctx, a.Storage)
		if err != nil {
			return models.Attachment{}, err
		}
		return models.Attachment{PublicID: NewToken()[:32], Filename: cleanFilename(u.Name), Size: sp.Size(),
			ContentType: sp.ContentType(), StorageKey: key, SHA256: sp.SHA256(), CreatedAt: a.Now()}, nil
	}
	f, err := u.Open()
	if err != nil {
		return models.Attachment{}, err
	}
	defer f.Close()
	// Read one byte past the limit: a body larger than declared is refused too.
	limited := io.LimitReader(f, MaxAttachmentBytes+1)
	head := make([]byte, 3072)
	n, err := io.ReadFull(limited, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return models.Attachment{}, err
	}
	head = head[:n]
	key, size, sum, err := a.Storage.Put(ctx, io.MultiReader(strings.NewReader(string(head)), limited))
	if err != nil {
		return models.Attachment{}, err
	}
	if size > MaxAttachmentBytes {
		a.Storage.Delete(ctx, key)
		return models.Attachment{}, models.Invalid("files", "error.file_too_large")
	}
	return models.Attachment{PublicID: NewToken()[:32], Filename: cleanFilename(u.Name), Size: size,
		ContentType: mimetype.Detect(head).String(), StorageKey: key, SHA256: sum, CreatedAt: a.Now()}, nil
}

// discard removes stored blobs whose message was never saved.
func (a *App) discard(ctx context.Context, files []models.Attachment) {
	for _, f := range files {
		if err := a.Storage.Delete(context.WithoutCancel(ctx), f.StorageKey); err != nil {
			a.Log.Warn("remove orphan attachment", "err", err)
		}
	}
}

// cleanFilename keeps a display name: the last path element, no control or bidi characters,
// at most 200 bytes. It is only ever shown (escaped) and sent in Content-Disposition; storage
// uses generated keys.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		name = strings.ToValidUTF8(name[:200], "")
	}
	if name == "" || name == "." || name == ".." {
		name = fmt.Sprintf("file-%d", time.Now().Unix())
	}
	return name
}
