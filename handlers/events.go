package handlers

import (
	"bufio"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
)

// This file is the only one that speaks server-sent events (STYLE 19). A page opens a stream
// with the htmx SSE extension; each event carries a name and an opaque reference, and the page
// refetches the partial it concerns through the normal, authorised handler
// (hx-trigger="sse:ticket-updated" + hx-get). A "resync" event means events were missed:
// refetch everything.
//
// A route serving a stream resolves the viewer and decides the topics it may see first (the
// broker does not authorise), then calls eventStream.stream (Handler.streamEvents). No compression or ETag middleware may
// run on such a route: both buffer the body and the stream would never arrive.

// Settings of the event streams.
const (
	// sseHeartbeat is how often an idle stream sends a comment: a closed browser is noticed
	// only when a write fails, and proxies close connections that stay silent.
	sseHeartbeat = 20 * time.Second
	// sseWriteTimeout bounds each write to the client. It replaces the server's WriteTimeout,
	// which fasthttp sets once per response and would otherwise cut every stream after it.
	sseWriteTimeout = 15 * time.Second
	// sseLifetime ends a stream after a while (with jitter); the browser reconnects at once,
	// through the session check again, so a signed-out or disabled viewer stops receiving.
	sseLifetime = 30 * time.Minute
	// sseBuffer is how many events a stream may fall behind before it gets a resync instead.
	sseBuffer = 32
)

// eventStream serves SSE streams from a broker. It is built once with the Handler and
// read-only afterwards; tests shorten its intervals.
type eventStream struct {
	broker       *app.Broker
	done         <-chan struct{} // closed when the server shuts down: every stream ends
	heartbeat    time.Duration
	writeTimeout time.Duration
	lifetime     time.Duration
	buffer       int
}

// newEventStream returns the stream settings used in production. done must be closed when
// shutdown starts, before the server waits for its connections to go idle: open streams would
// otherwise hold the shutdown until its timeout.
func newEventStream(b *app.Broker, done <-chan struct{}) *eventStream {
	return &eventStream{broker: b, done: done, heartbeat: sseHeartbeat,
		writeTimeout: sseWriteTimeout, lifetime: sseLifetime, buffer: sseBuffer}
}

// stream answers c with a server-sent event stream of topics, which the caller has already
// authorised for the viewer. It subscribes before the response is handed to fasthttp, so no
// event published after the handler returns is missed, and everything the writer needs is
// copied into locals first: the writer runs after the handler has returned, when c is no
// longer valid. The stream ends when a write fails (the browser went away), when the
// subscription closes, on shutdown and after its lifetime; the subscription is closed on exit.
func (s *eventStream) stream(c *fiber.Ctx, topics []string) error {
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once

	sub := s.broker.Subscribe(topics, s.buffer)
	conn := c.Context().Conn()
	done, heartbeat, writeTimeout := s.done, s.heartbeat, s.writeTimeout
	lifetime := time.Duration(float64(s.lifetime) * (0.9 + 0.2*rand.Float64()))

	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Close()
		write := func(p string) bool {
			if conn != nil && writeTimeout > 0 {
				// The server copies what is flushed here to the connection; this deadline
				// covers that copy.
				conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			}
			if _, err := w.WriteString(p); err != nil {
				return false
			}
			return w.Flush() == nil
		}
		// A first comment sends the headers at once: the browser sees the stream open.
		if !write(":ok\n\n") {
			return
		}
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		end := time.NewTimer(lifetime)
		defer end.Stop()
		for {
			select {
			case <-done:
				return
			case <-end.C:
				return
			case ev, ok := <-sub.C():
				if !ok || !write(formatEvent(ev)) {
					return
				}
			case <-tick.C:
				if !write(": ping\n\n") {
					return
				}
			}
		}
	})
	return nil
}

// formatEvent writes ev on the wire: "event: <name>\ndata: <ref>\n\n". Line breaks would end
// the field and inject others, so control characters are removed from both (the broker refuses
// them already; this is the last line of defence).
func formatEvent(ev app.Event) string {
	var b strings.Builder
	if name := sseClean(ev.Name); name != "" {
		b.WriteString("event: ")
		b.WriteString(name)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.WriteString(sseClean(ev.Ref))
	b.WriteString("\n\n")
	return b.String()
}

// sseClean drops control characters (CR and LF above all) from s.
func sseClean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s)
}

// streamEvents answers c with the live updates of topics, which the caller has authorised for
// the viewer (STYLE 19: resolve the viewer and check access before streaming).
func (h *Handler) streamEvents(c *fiber.Ctx, topics []string) error {
	return h.events.stream(c, topics)
}
