package handlers

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
)

// sseServer serves es at GET /events/:ticket (topic "ticket:<ticket>") on a real 127.0.0.1
// listener, with a short server WriteTimeout that streams must outlive. It returns the base URL.
// At cleanup it shuts down as main does: done (es's shutdown channel) is closed first, and then
// the server must stop at once, open streams and all.
func sseServer(t *testing.T, es *eventStream, done chan struct{}) string {
	t.Helper()
	f := fiber.New(fiber.Config{DisableStartupMessage: true, WriteTimeout: 300 * time.Millisecond})
	f.Get("/events/:ticket", func(c *fiber.Ctx) error {
		// A real route resolves the viewer and checks access to the ticket here.
		return es.stream(c, []string{"ticket:" + c.Params("ticket")})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.Listener(ln)
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			close(done)
		}
		start := time.Now()
		f.ShutdownWithTimeout(5 * time.Second)
		if d := time.Since(start); d > time.Second {
			t.Errorf("shutdown took %s with streams open", d)
		}
	})
	return "http://" + ln.Addr().String()
}

// sseOpen opens a stream and returns the response and a channel of raw records, each ending
// in a blank line exactly as sent; the channel closes when the stream ends.
func sseOpen(t *testing.T, ctx context.Context, url string) (*http.Response, <-chan string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	records := make(chan string, 100)
	go func() {
		defer close(records)
		var buf []byte
		chunk := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(chunk)
			buf = append(buf, chunk[:n]...)
			for {
				i := bytes.Index(buf, []byte("\n\n"))
				if i < 0 {
					break
				}
				records <- string(buf[:i+2])
				buf = buf[i+2:]
			}
			if err != nil {
				if len(buf) > 0 {
					records <- string(buf) // an incomplete record: the test sees it and fails
				}
				return
			}
		}
	}()
	return resp, records
}

// sseNext returns the next record that is not a heartbeat, failing after wait.
func sseNext(t *testing.T, records <-chan string, wait time.Duration) string {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case r, ok := <-records:
			if !ok {
				t.Fatal("the stream ended")
			}
			if r != ": ping\n\n" {
				return r
			}
		case <-timeout:
			t.Fatalf("nothing within %s", wait)
		}
	}
}

// sseWaitSubscribers waits until topic has want subscribers.
func sseWaitSubscribers(t *testing.T, b *app.Broker, topic string, want int, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for b.Subscribers(topic) != want {
		if time.Now().After(deadline) {
			t.Fatalf("Subscribers(%s) = %d after %s, want %d", topic, b.Subscribers(topic), wait, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventsSSEWireFormat(t *testing.T) {
	b := app.NewBroker(nil)
	done := make(chan struct{})
	es := newEventStream(b, done)
	es.heartbeat = time.Hour
	base := sseServer(t, es, done)
	resp, records := sseOpen(t, context.Background(), base+"/events/T-1042")

	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for h, want := range map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"Cache-Control":     "no-store",
		"X-Accel-Buffering": "no",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r := sseNext(t, records, time.Second); r != ":ok\n\n" {
		t.Fatalf("first record %q", r)
	}
	if n := b.Subscribers("ticket:T-1042"); n != 1 {
		t.Fatalf("Subscribers = %d, want 1", n)
	}
	ctx := context.Background()
	b.Publish(ctx, "ticket:T-9", app.Event{Name: "ticket-updated", Ref: "T-9"}) // not this stream's
	b.Publish(ctx, "ticket:T-1042", app.Event{Name: "ticket-updated", Ref: "T-1042"})
	b.Publish(ctx, "ticket:T-1042", app.Event{Name: "message-added", Ref: ""})
	for _, want := range []string{
		"event: ticket-updated\ndata: T-1042\n\n",
		"event: message-added\ndata: \n\n",
	} {
		if got := sseNext(t, records, time.Second); got != want {
			t.Fatalf("record %q, want %q", got, want)
		}
	}
	// The stream outlives the server's WriteTimeout (300 ms here).
	time.Sleep(500 * time.Millisecond)
	b.Publish(ctx, "ticket:T-1042", app.Event{Name: "status-changed", Ref: "T-1042"})
	if got := sseNext(t, records, time.Second); got != "event: status-changed\ndata: T-1042\n\n" {
		t.Fatalf("after the server's write timeout: %q", got)
	}
}

func TestEventsSSEHeartbeat(t *testing.T) {
	b := app.NewBroker(nil)
	done := make(chan struct{})
	es := newEventStream(b, done)
	es.heartbeat = 50 * time.Millisecond
	_, records := sseOpen(t, context.Background(), sseServer(t, es, done)+"/events/T-1")
	if r := sseNext(t, records, time.Second); r != ":ok\n\n" {
		t.Fatalf("first record %q", r)
	}
	// Heartbeats keep coming past the server's 300 ms WriteTimeout.
	pings := 0
	timeout := time.After(700 * time.Millisecond)
loop:
	for {
		select {
		case r, ok := <-records:
			if !ok {
				t.Fatal("the stream ended")
			}
			if r != ": ping\n\n" {
				t.Fatalf("record %q, want a heartbeat", r)
			}
			pings++
		case <-timeout:
			break loop
		}
	}
	if pings < 6 {
		t.Fatalf("%d heartbeats in 700 ms at a 50 ms interval", pings)
	}
}

func TestEventsSSEShutdown(t *testing.T) {
	b := app.NewBroker(nil)
	done := make(chan struct{})
	es := newEventStream(b, done)
	es.heartbeat = time.Hour
	_, records := sseOpen(t, context.Background(), sseServer(t, es, done)+"/events/T-1")
	sseNext(t, records, time.Second)
	close(done)
	timeout := time.After(2 * time.Second)
	for {
		select {
		case r, ok := <-records:
			if ok {
				t.Fatalf("record %q after shutdown", r)
			}
			sseWaitSubscribers(t, b, "ticket:T-1", 0, time.Second)
			return
		case <-timeout:
			t.Fatal("the stream did not end on shutdown")
		}
	}
}

func TestEventsSSEClientGone(t *testing.T) {
	b := app.NewBroker(nil)
	done := make(chan struct{})
	es := newEventStream(b, done)
	es.heartbeat = 50 * time.Millisecond
	base := sseServer(t, es, done)
	ctx, cancel := context.WithCancel(context.Background())
	_, records := sseOpen(t, ctx, base+"/events/T-1")
	_, others := sseOpen(t, context.Background(), base+"/events/T-1")
	sseNext(t, records, time.Second)
	sseNext(t, others, time.Second)
	sseWaitSubscribers(t, b, "ticket:T-1", 2, time.Second)

	cancel() // the browser tab closes
	// Noticed at the next failed write: a heartbeat or two.
	sseWaitSubscribers(t, b, "ticket:T-1", 1, 2*time.Second)
	b.Publish(context.Background(), "ticket:T-1", app.Event{Name: "ticket-updated", Ref: "T-1"})
	if got := sseNext(t, others, time.Second); got != "event: ticket-updated\ndata: T-1\n\n" {
		t.Fatalf("the remaining stream got %q", got)
	}
}

func TestEventsSSELifetime(t *testing.T) {
	b := app.NewBroker(nil)
	done := make(chan struct{})
	es := newEventStream(b, done)
	es.heartbeat, es.lifetime = time.Hour, 200*time.Millisecond
	_, records := sseOpen(t, context.Background(), sseServer(t, es, done)+"/events/T-1")
	sseNext(t, records, time.Second)
	select {
	case r, ok := <-records:
		if ok {
			t.Fatalf("record %q", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the stream outlived its lifetime")
	}
	sseWaitSubscribers(t, b, "ticket:T-1", 0, time.Second)
}

func TestEventsFormat(t *testing.T) {
	for _, c := range []struct {
		ev   app.Event
		want string
	}{
		{app.Event{Name: "ticket-updated", Ref: "T-1"}, "event: ticket-updated\ndata: T-1\n\n"},
		{app.Event{Name: "resync"}, "event: resync\ndata: \n\n"},
		{app.Event{Name: "a\r\nevent: admin", Ref: "x\n\ndata: y\r"}, "event: aevent: admin\ndata: xdata: y\n\n"},
		{app.Event{Name: "\n", Ref: "r"}, "data: r\n\n"},
	} {
		got := formatEvent(c.ev)
		if got != c.want {
			t.Errorf("formatEvent(%+v) = %q, want %q", c.ev, got, c.want)
		}
		if strings.Count(got, "\n") != strings.Count(c.want, "\n") {
			t.Errorf("line count of %q", got)
		}
	}
}
