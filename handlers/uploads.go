package handlers

// Request bodies and uploads (SECURITY FILE-01). The server streams request bodies (fiber's
// StreamRequestBody): fasthttp reads a few KB ahead and leaves the rest on the connection, so
// nothing is held in memory unless something asks for the body. limitBody, the first
// middleware of all, is what asks, with a limit chosen per route:
//
//   - an ordinary form is read into memory, at most smallBodyLimit bytes (or its route's own
//     limit in bodyRules), and from then on the request is an ordinary buffered one;
//   - a multipart post to an upload route is never buffered: its parts are read from the
//     connection as they arrive, text fields into memory (bounded) and each file straight to a
//     temporary file beside the stored attachments (app.Spool), hashed and sniffed on the way.
//     A file past its limit, a form with too many parts or a body past the route's ceiling is
//     refused with 413 as soon as it is seen.
//
// Fiber's BodyLimit does not refuse anything when bodies are streamed (fasthttp hands over an
// over-long body as a stream instead), so the limits here are the only ones.
//
// The CSRF check runs before the route's handler and would read the whole multipart body to
// find the _csrf field. For an upload route limitBody therefore reads the form's leading text
// fields itself, up to the first file, and hands the token on in the X-CSRF-Token header (a
// header the client sent wins): no file byte reaches the disk before the token, the session
// and the route's access rule have been checked, since the handler reads the files. Our forms
// put _csrf first; a form whose token comes after its files is refused as forged.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

const (
	// smallBodyLimit is the largest body of an ordinary form.
	smallBodyLimit = 1 << 20
	// uploadOverhead is the room, beside its files, for an upload form's text fields, part
	// headers and boundaries. It also caps what an upload form's text fields may hold.
	uploadOverhead = 1 << 20
	// overheadSlack covers the bytes the readers buffer ahead of the part being read.
	overheadSlack = 64 << 10
	// maxUploadParts bounds the parts of one upload form, files and text fields together.
	maxUploadParts = 100
	// drainLimit is how much of a refused or unread upload body is read and thrown away so
	// that the client, still sending, receives the answer rather than a reset connection.
	// Past it (or drainTime) the connection is closed instead.
	drainLimit = 32 << 20
	drainTime  = 10 * time.Second
	// uploadReadTimeout replaces the server's ReadTimeout for an upload's body: a large file
	// on a slow line takes longer than an ordinary request may.
	uploadReadTimeout = 15 * time.Minute
	// localUpload holds the *uploadStream of an upload route's request.
	localUpload = "upload_stream"
)

var (
	errBodyTooLarge   = errors.New("upload: body larger than allowed")
	errTooManyParts   = errors.New("upload: too many parts")
	errMalformedForm  = errors.New("upload: malformed multipart form")
	errUploadTooLarge = fiber.NewError(fiber.StatusRequestEntityTooLarge)
)

// uploadSpec is how an upload route takes files.
type uploadSpec struct {
	field        string // the file input's name
	maxFiles     int
	maxFileBytes int64
	tooMany      string // message ID for more than maxFiles files
	tooLarge     string // message ID for a file over maxFileBytes
}

// ceiling is the largest body of an upload form: every file at its largest, and the fields.
func (s uploadSpec) ceiling() int64 { return int64(s.maxFiles)*s.maxFileBytes + uploadOverhead }

// bodyRule is how one route takes its body.
type bodyRule struct {
	limit  int64       // the largest body accepted, in bytes
	upload *uploadSpec // a multipart body is streamed to disk; nil: read into memory
}

// uploadSpecs are the upload routes' specs, by route name.
func (h *Handler) uploadSpecs() map[string]uploadSpec {
	perFile := min(int64(app.MaxAttachmentBytes), h.cfg.MaxUploadBytes)
	return map[string]uploadSpec{
		"portal.ticket.reply": {field: "files", maxFiles: app.MaxFilesPerMessage, maxFileBytes: perFile,
			tooMany: "error.too_many_files", tooLarge: "error.file_too_large"},
		"portal.new.submit": {field: "attachments", maxFiles: app.MaxTicketFiles,
			maxFileBytes: min(int64(app.MaxTicketFileBytes), h.cfg.MaxUploadBytes),
			tooMany:      "error.supportform_too_many_files", tooLarge: "error.supportform_file_too_large"},
		"desk.ticket.reply": {field: "files", maxFiles: app.MaxFilesPerMessage, maxFileBytes: perFile,
			tooMany: "error.too_many_files", tooLarge: "error.file_too_large"},
	}
}

// bodyLimits are the routes, by name, whose bodies may be larger than smallBodyLimit and are
// still read into memory: forms with small files of their own, which check those files'
// sizes themselves. The limits leave room above those checks, so that a file somewhat too
// large gets the form's own message rather than a bare 413.
var bodyLimits = map[string]int64{
	"admin.portal.branding.save": app.MaxLogoBytes + app.MaxFaviconBytes + smallBodyLimit,
	"admin.portal.sso.save":      models.MaxSAMLMetadataBytes + smallBodyLimit,
	// A CSV import is parsed from memory (at most 5 MB, checked by the import itself).
	"admin.contacts.import.upload": app.MaxImportBytes + smallBodyLimit,
}

// routeRule is a bodyRule bound to its route's method and path pattern.
type routeRule struct {
	method string
	path   []string // the pattern's segments; ":x" matches one segment, "*" the rest
	bodyRule
}

// compileBodyRules binds the rules to the registered routes. An upload rule naming no route
// is a bug; a body limit may name a route still to come.
func (h *Handler) compileBodyRules() ([]routeRule, error) {
	byName := map[string]bodyRule{}
	for name, limit := range bodyLimits {
		byName[name] = bodyRule{limit: limit}
	}
	for name, spec := range h.uploadSpecs() {
		byName[name] = bodyRule{limit: spec.ceiling(), upload: &spec}
	}
	var out []routeRule
	for _, r := range h.routes {
		if rule, ok := byName[r.Name]; ok {
			out = append(out, routeRule{method: r.Method, path: splitPath(r.Path), bodyRule: rule})
			delete(byName, r.Name)
		}
	}
	for name, rule := range byName {
		if rule.upload != nil {
			return nil, fmt.Errorf("handlers: upload rule for unknown route %q", name)
		}
	}
	return out, nil
}

// maxBodyLimit is the largest limit of any route: fiber's BodyLimit.
func (h *Handler) maxBodyLimit() int64 {
	n := int64(smallBodyLimit)
	for _, spec := range h.uploadSpecs() {
		n = max(n, spec.ceiling())
	}
	for _, l := range bodyLimits {
		n = max(n, l)
	}
	return n
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// ruleFor finds the body rule of the route the request will reach. It sees the path as the
// router will, after portalRouting's rewrite (which runs later), and matches as fiber does:
// case-insensitively, ignoring a trailing slash. Anything else gets the small default, which
// is safe for every route: an upload handler reads a small buffered form just as well.
func (h *Handler) ruleFor(c *fiber.Ctx) bodyRule {
	if len(h.bodyRules) > 0 {
		segs := splitPath(h.routedPath(c))
		for _, r := range h.bodyRules {
			if r.method == c.Method() && matchSegments(r.path, segs) {
				return r.bodyRule
			}
		}
	}
	return bodyRule{limit: smallBodyLimit}
}

// routedPath is the path portalRouting will give the request (it runs after this file's
// middleware).
func (h *Handler) routedPath(c *fiber.Ctx) string {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		p = models.DefaultPortalSettings()
	}
	routed, _, _ := portalRoute(p, c.Hostname(), c.Path())
	return routed
}

func matchSegments(pattern, segs []string) bool {
	for i, p := range pattern {
		if p == "*" {
			return true
		}
		if i >= len(segs) {
			return false
		}
		if strings.HasPrefix(p, ":") {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(p, segs[i]) {
			return false
		}
	}
	return len(segs) == len(pattern)
}

// limitBody applies the route's body rule before anything reads the body (see the top of
// this file).
func (h *Handler) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	size := req.Header.ContentLength() // -1: chunked, length unknown
	if !req.IsBodyStream() || size == 0 {
		return c.Next()
	}
	rule := h.ruleFor(c)
	multipartBody := strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm)
	if rule.upload == nil || !multipartBody {
		if !multipartBody {
			rule.limit = min(rule.limit, smallBodyLimit)
		}
		return h.bufferBody(c, rule.limit)
	}
	if int64(size) > rule.limit {
		return h.refuseBody(c, 0)
	}
	st := newUploadStream(h.app, req.BodyStream(), c.Get(fiber.HeaderContentType), rule.limit, *rule.upload)
	defer st.close()
	st.readFields()
	if len(req.Header.Peek(CSRFHeader)) == 0 {
		token := st.values.Get(CSRFField)
		if token == "" {
			token = "absent" // non-empty, so that the CSRF check never parses the body itself
		}
		req.Header.Set(CSRFHeader, token)
	}
	c.Locals(localUpload, st)
	err := c.Next()
	st.finish(c)
	return err
}

// bufferBody reads a body of at most limit bytes into memory; the request then goes on as an
// ordinary buffered one.
func (h *Handler) bufferBody(c *fiber.Ctx, limit int64) error {
	req := c.Request()
	if size := req.Header.ContentLength(); size > 0 && int64(size) > limit {
		return h.refuseBody(c, 0)
	}
	body, err := io.ReadAll(io.LimitReader(req.BodyStream(), limit+1))
	if err != nil {
		c.Context().Response.SetConnectionClose()
		return fiber.ErrBadRequest
	}
	if int64(len(body)) > limit {
		return h.refuseBody(c, int64(len(body)))
	}
	req.SetBody(body)
	req.Header.SetContentLength(len(body))
	return c.Next()
}

// refuseBody answers 413 before the request reaches any other middleware (so before sessions
// and the usual error pages), in plain text with headers as strict as any page's, and closes
// the connection. What is left of a body of modest size is read and thrown away first, so
// that a client still sending it gets the answer rather than a reset connection; a larger one
// is left unread.
func (h *Handler) refuseBody(c *fiber.Ctx, read int64) error {
	c.Context().Response.SetConnectionClose()
	drainBody(c, c.Request().BodyStream(), read)
	hd := &c.Response().Header
	hd.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set(fiber.HeaderCacheControl, "no-store")
	lang := h.tr.Match(c.Get(fiber.HeaderAcceptLanguage), []string{"en", "pt-BR"}, h.cfg.Language)
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(fiber.StatusRequestEntityTooLarge).SendString(h.tr.T(lang, "error.413"))
}

// drainBody reads and discards the rest of a body (read bytes of it were already read), within
// drainLimit and drainTime, and reports whether its end was reached. A body declared larger
// than that is not touched.
func drainBody(c *fiber.Ctx, body io.Reader, read int64) bool {
	if size := c.Request().Header.ContentLength(); size > 0 && int64(size)-read > drainLimit {
		return false
	}
	if conn := c.Context().Conn(); conn != nil {
		conn.SetReadDeadline(time.Now().Add(drainTime))
	}
	_, err := io.CopyN(io.Discard, body, drainLimit)
	return errors.Is(err, io.EOF)
}

// bodyCounter counts what is read of a streamed body and stops at the limits: the body's
// ceiling, and the room left for what is not file content.
type bodyCounter struct {
	r       io.Reader
	read    int64 // bytes read
	limit   int64 // the body's ceiling
	inFiles int64 // bytes of file content among them
	eof     bool
	err     error
}

func (b *bodyCounter) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	if b.read > b.limit || b.read-b.inFiles > uploadOverhead+overheadSlack {
		b.err = errBodyTooLarge
		return n, b.err
	}
	return n, err
}

// uploadStream is an upload form read part by part from the request body.
type uploadStream struct {
	app    *app.App
	spec   uploadSpec
	body   *bodyCounter
	raw    io.Reader // the body itself, for draining
	mr     *multipart.Reader
	values url.Values
	next   *multipart.Part // a file part read but not yet received
	parts  int
	files  []uploadedFile
	done   bool  // every part was read
	err    error // the first failure; reading stops there
}

// uploadedFile is one file of an upload form, received to disk.
type uploadedFile struct {
	name  string // as the browser sent it; display only
	spool *app.Spool
}

// isFilePart reports a part that carries a file: its Content-Disposition has a filename
// parameter, even an empty one (a file input left empty).
func isFilePart(p *multipart.Part) bool {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	_, ok := params["filename"]
	return ok
}

func newUploadStream(a *app.App, body io.Reader, contentType string, limit int64, spec uploadSpec) *uploadStream {
	st := &uploadStream{app: a, spec: spec, raw: body, values: url.Values{},
		body: &bodyCounter{r: body, limit: limit}}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		st.err = errMalformedForm
		return st
	}
	st.mr = multipart.NewReader(st.body, params["boundary"])
	return st
}

// readFields reads the text fields that come before the first file (or the end).
func (st *uploadStream) readFields() {
	for st.err == nil && !st.done && st.next == nil {
		part, err := st.nextPart()
		if err != nil {
			st.fail(err)
			return
		}
		if part == nil {
			return
		}
		if isFilePart(part) {
			st.next = part
			return
		}
		st.readValue(part)
	}
}

// readAll reads the rest of the form: text fields, and files to disk.
func (st *uploadStream) readAll() error {
	for st.err == nil && !st.done {
		part := st.next
		st.next = nil
		if part == nil {
			var err error
			if part, err = st.nextPart(); err != nil {
				st.fail(err)
				break
			}
			if part == nil {
				break
			}
		}
		if isFilePart(part) {
			st.receive(part)
		} else {
			st.readValue(part)
		}
	}
	return st.err
}

func (st *uploadStream) nextPart() (*multipart.Part, error) {
	part, err := st.mr.NextPart()
	if errors.Is(err, io.EOF) {
		st.done = true
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st.parts++
	if st.parts > maxUploadParts {
		return nil, errTooManyParts
	}
	return part, nil
}

func (st *uploadStream) readValue(part *multipart.Part) {
	v, err := io.ReadAll(part) // bounded by the body's room for fields (bodyCounter)
	if err != nil {
		st.fail(err)
		return
	}
	if name := part.FormName(); name != "" {
		st.values.Add(name, string(v))
	}
}

// receive writes one file part to a spool, counting its bytes as file content.
func (st *uploadStream) receive(part *multipart.Part) {
	if part.FormName() != st.spec.field {
		// Not a file this route takes: read past it, counted against the room for fields.
		if _, err := io.Copy(io.Discard, part); err != nil {
			st.fail(err)
		}
		return
	}
	sp, err := st.app.NewSpool(st.spec.maxFileBytes)
	if err != nil {
		st.failSpool(err)
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := part.Read(buf)
		st.body.inFiles += int64(n)
		if n > 0 {
			if _, werr := sp.Write(buf[:n]); werr != nil {
				sp.Remove()
				if errors.Is(werr, app.ErrFileTooLarge) {
					st.fail(werr)
				} else {
					st.failSpool(werr)
				}
				return
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			sp.Remove()
			st.fail(rerr)
			return
		}
	}
	name := part.FileName()
	if name == "" && sp.Size() == 0 {
		sp.Remove() // a file input left empty
		return
	}
	if err := sp.Finish(); err != nil {
		sp.Remove()
		st.failSpool(err)
		return
	}
	st.files = append(st.files, uploadedFile{name: name, spool: sp})
	if len(st.files) > st.spec.maxFiles {
		st.fail(models.Invalid(st.spec.field, st.spec.tooMany))
	}
}

// fail records the first failure; reading stops there. Failures to read or parse the body
// (other than the limits) make the form malformed; a spool's own failures stay what they are.
func (st *uploadStream) fail(err error) {
	if st.err != nil {
		return
	}
	var ve *models.ValidationError
	switch {
	case errors.Is(err, errBodyTooLarge), errors.Is(err, errTooManyParts), errors.Is(err, app.ErrFileTooLarge),
		errors.As(err, &ve):
		st.err = err
	default:
		st.err = fmt.Errorf("%w: %v", errMalformedForm, err)
	}
}

// failSpool records a failure of the disk, not of the request.
func (st *uploadStream) failSpool(err error) {
	if st.err == nil {
		st.err = err
	}
}

// close removes every received file that no message kept; kept files were moved away.
func (st *uploadStream) close() {
	for _, f := range st.files {
		f.spool.Remove()
	}
	st.files = nil
}

// finish runs after the handler. A body not read to its end (a refusal, or a request that
// never reached the handler) is drained, within limits, so that the client gets the answer;
// otherwise the connection is closed. Every 413 closes the connection.
func (st *uploadStream) finish(c *fiber.Ctx) {
	if c.Response().StatusCode() == fiber.StatusRequestEntityTooLarge {
		c.Context().Response.SetConnectionClose()
	}
	if !st.body.eof && !drainBody(c, st.raw, st.body.read) {
		c.Context().Response.SetConnectionClose()
	}
}

// uploadForm is an upload form as the handler reads it.
type uploadForm struct {
	values url.Values
	files  []uploadedFile
	st     *uploadStream
}

// value is the first value of a text field.
func (f *uploadForm) value(name string) string { return f.values.Get(name) }

// uploads are the received files as the app takes them.
func (f *uploadForm) uploads() []app.Upload {
	out := make([]app.Upload, 0, len(f.files))
	for _, file := range f.files {
		out = append(out, app.Upload{Name: file.name, Spool: file.spool})
	}
	return out
}

// close removes the files no message kept (also done after the handler; closing twice is fine).
func (f *uploadForm) close() {
	if f.st != nil {
		f.st.close()
	}
}

// readUploadForm reads an upload route's form: from the stream limitBody opened, or from the
// small buffered body of a form without files. The caller closes the form when done. Errors
// are those of uploadError.
func (h *Handler) readUploadForm(c *fiber.Ctx, spec uploadSpec) (*uploadForm, error) {
	st, ok := c.Locals(localUpload).(*uploadStream)
	if !ok {
		if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
			vals := url.Values{}
			c.Request().PostArgs().VisitAll(func(k, v []byte) { vals.Add(string(k), string(v)) })
			return &uploadForm{values: vals}, nil
		}
		st = newUploadStream(h.app, bytes.NewReader(c.Body()), c.Get(fiber.HeaderContentType), spec.ceiling(), spec)
	} else if conn := c.Context().Conn(); conn != nil {
		// The session, the token and the route's access rule have passed: the files may now take
		// longer than an ordinary request (only the leading fields were read under ReadTimeout).
		conn.SetReadDeadline(time.Now().Add(uploadReadTimeout))
	}
	err := st.readAll()
	return &uploadForm{values: st.values, files: st.files, st: st}, err
}

// uploadError answers a form that could not be read: 413 for what is too large or has too
// many parts (the form again, rendered by form with the message ID, with status 413; for htmx
// a flash, leaving the form as the person filled it), 400 for a malformed one. A validation
// error (too many files) or anything else is returned for the caller's usual handling.
func (h *Handler) uploadError(c *fiber.Ctx, spec uploadSpec, err error, form func(msgKey string) error) error {
	key := ""
	switch {
	case errors.Is(err, app.ErrFileTooLarge):
		key = spec.tooLarge
	case errors.Is(err, errBodyTooLarge), errors.Is(err, errTooManyParts):
		key = "error.413"
	case errors.Is(err, errMalformedForm):
		return fiber.ErrBadRequest
	default:
		return err
	}
	c.Context().Response.SetConnectionClose()
	if c.Get("HX-Request") == "true" {
		b := h.base(c, "error.title", "error")
		b.Flash = &Flash{Kind: "error", Message: b.T(key)}
		c.Set("HX-Retarget", "#flash")
		c.Set("HX-Reswap", "innerHTML")
		return h.render(c, fiber.StatusRequestEntityTooLarge, "partials/flash", errorPage{Base: b, Status: fiber.StatusRequestEntityTooLarge})
	}
	if ferr := form(key); ferr != nil {
		return ferr
	}
	c.Status(fiber.StatusRequestEntityTooLarge)
	return nil
}
