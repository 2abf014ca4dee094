package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Live updates (SPEC T-7, D-9; STYLE 19). The broker carries tiny events — a name and an opaque
// reference, never content — on string topics such as "ticket:T-1042", "contact:17",
// "company:3" or "queue". A page that receives one refetches its partial through the normal,
// authorised handler; the event itself grants nothing.
//
// Rules for callers:
//   - Authorisation is the subscriber's job: handlers subscribe only to topics the viewer may
//     see, decided when the stream opens (the broker does not know who is asking).
//   - Publish after commit: app operations call Publish once their transaction has committed,
//     never inside it, so rolled-back work emits no event (REL-01).
//   - Publishing never blocks on a slow subscriber: a full buffer drops events and leaves the
//     subscriber a single "resync" event, telling the page to refetch everything it shows.

// Event is one live update: what happened (Name, e.g. "ticket-updated") and to what (Ref, an
// opaque reference such as a ticket number). It carries no content and no permission.
type Event struct {
	Name string
	Ref  string
}

// ResyncEvent is the name of the synthetic event a subscriber receives after it missed events
// (its buffer was full, or the cross-instance listener reconnected): refetch everything.
const ResyncEvent = "resync"

// Limits of an event. A PostgreSQL NOTIFY payload must stay under 8000 bytes; the JSON of the
// largest valid event (with escaping) stays well below that, and publish checks it anyway.
const (
	maxTopicLen     = 200
	maxEventNameLen = 64
	maxEventRefLen  = 1024
	maxNotifyBytes  = 8000
	defaultBuffer   = 16
)

// ErrInvalidEvent is returned by Publish for an empty or oversized topic, name or reference, or
// one holding control characters (a line break would corrupt the SSE stream).
var ErrInvalidEvent = errors.New("broker: invalid event")

// Broker is an in-process publish/subscribe hub of Events, fanned out across instances over
// PostgreSQL LISTEN/NOTIFY once Listen runs. It is safe for concurrent use; the zero value is not
// usable: call NewBroker.
type Broker struct {
	log      *slog.Logger
	instance string // random id of this process: Listen skips notifications it sent itself

	mu     sync.RWMutex
	topics map[string]map[*Subscription]struct{}

	pool      atomic.Pointer[pgxpool.Pool] // set while Listen runs: Publish also NOTIFYs
	listenPID atomic.Uint32                // backend pid of the LISTEN connection (tests)
}

// NewBroker returns an empty broker with a fresh instance id.
func NewBroker(log *slog.Logger) *Broker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := make([]byte, 8)
	rand.Read(id)
	return &Broker{log: log, instance: hex.EncodeToString(id), topics: map[string]map[*Subscription]struct{}{}}
}

// Subscription receives the events of its topics on C until Close.
type Subscription struct {
	b      *Broker
	topics []string
	ch     chan Event

	mu      sync.Mutex // serialises senders and Close
	closed  bool
	dropped atomic.Int64
}

// Subscribe registers a subscriber of topics with room for buffer events (at least 1; 0 or less
// means a default). The broker does not authorise: callers subscribe only to topics the viewer
// may see. Close the subscription when done.
func (b *Broker) Subscribe(topics []string, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = defaultBuffer
	}
	s := &Subscription{b: b, ch: make(chan Event, buffer)}
	seen := map[string]bool{}
	for _, t := range topics {
		if t != "" && !seen[t] {
			seen[t] = true
			s.topics = append(s.topics, t)
		}
	}
	b.mu.Lock()
	for _, t := range s.topics {
		subs := b.topics[t]
		if subs == nil {
			subs = map[*Subscription]struct{}{}
			b.topics[t] = subs
		}
		subs[s] = struct{}{}
	}
	b.mu.Unlock()
	return s
}

// C is the channel of events; it is closed by Close.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped is how many events this subscriber missed because its buffer was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close unsubscribes and closes C. It is idempotent and safe to call concurrently with Publish.
func (s *Subscription) Close() {
	b := s.b
	b.mu.Lock()
	for _, t := range s.topics {
		if subs := b.topics[t]; subs != nil {
			delete(subs, s)
			if len(subs) == 0 {
				delete(b.topics, t)
			}
		}
	}
	b.mu.Unlock()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
	s.mu.Unlock()
}

// send delivers ev without blocking. When the buffer is full the events waiting in it are
// discarded and replaced by one resync event, which makes the page refetch everything: the
// subscriber's next receive is the resync, and later events follow it normally.
func (s *Subscription) send(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- ev:
		return
	default:
	}
	s.dropped.Add(1)
	s.resyncLocked()
}

// resyncLocked empties the buffer and queues a resync event; s.mu is held.
func (s *Subscription) resyncLocked() {
drain:
	for {
		select {
		case <-s.ch:
		default:
			break drain
		}
	}
	// Only senders (holding s.mu) add to the channel, so after draining there is room.
	select {
	case s.ch <- Event{Name: ResyncEvent}:
	default:
	}
}

// Subscribers reports how many subscriptions listen to topic.
func (b *Broker) Subscribers(topic string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.topics[topic])
}

// Publish delivers ev to this instance's subscribers of topic at once, never blocking on any of
// them, and, while Listen runs on PostgreSQL, NOTIFYs the other instances. Call it after the
// transaction whose change it announces has committed (REL-01): an event for work that was then
// rolled back would make pages refetch for nothing, and a NOTIFY sent inside a transaction
// would be lost with it. The error reports an invalid event or a failed NOTIFY; local delivery
// has happened whenever the event was valid.
func (b *Broker) Publish(ctx context.Context, topic string, ev Event) error {
	if err := validEvent(topic, ev); err != nil {
		return err
	}
	b.deliver(topic, ev)
	if pool := b.pool.Load(); pool != nil {
		return b.notify(ctx, pool, topic, ev)
	}
	return nil
}

// PublishAll is Publish to several topics at once: local delivery to each, and one NOTIFY
// statement for all of them (one round trip to PostgreSQL instead of one per topic). Invalid
// topics are reported and skipped; the valid ones are still published.
func (b *Broker) PublishAll(ctx context.Context, topics []string, ev Event) error {
	return b.PublishEach(ctx, Publication{Topics: topics, Event: ev})
}

// Publication is one event for several topics.
type Publication struct {
	Topics []string
	Event  Event
}

// PublishEach is PublishAll for several events (a reply tells the ticket's pages that it
// changed and its owner that they have a notification): still one NOTIFY statement for all.
// The same event for the same topic twice is sent once.
func (b *Broker) PublishEach(ctx context.Context, pubs ...Publication) error {
	var valid []topicEvent
	var firstErr error
	for _, p := range pubs {
		for _, topic := range p.Topics {
			if err := validEvent(topic, p.Event); err != nil {
				firstErr = cmpOr(firstErr, err)
				continue
			}
			if slices.Contains(valid, topicEvent{topic: topic, ev: p.Event}) {
				continue
			}
			b.deliver(topic, p.Event)
			valid = append(valid, topicEvent{topic: topic, ev: p.Event})
		}
	}
	if pool := b.pool.Load(); pool != nil && len(valid) > 0 {
		if err := b.notifyAll(ctx, pool, valid); err != nil {
			firstErr = cmpOr(firstErr, err)
		}
	}
	return firstErr
}

// topicEvent is one event on one topic.
type topicEvent struct {
	topic string
	ev    Event
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// deliver hands ev to the local subscribers of topic.
func (b *Broker) deliver(topic string, ev Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.topics[topic] {
		s.send(ev)
	}
}

// resyncAll tells every local subscriber to refetch: used after the cross-instance listener
// was down, when notifications from other instances may have been missed.
func (b *Broker) resyncAll() {
	b.mu.RLock()
	defer b.mu.RUnlock()
	seen := map[*Subscription]bool{}
	for _, subs := range b.topics {
		for s := range subs {
			if !seen[s] {
				seen[s] = true
				s.mu.Lock()
				if !s.closed {
					s.resyncLocked()
				}
				s.mu.Unlock()
			}
		}
	}
}

// validEvent checks the limits of a topic and an event.
func validEvent(topic string, ev Event) error {
	switch {
	case topic == "" || len(topic) > maxTopicLen || !cleanText(topic):
		return fmt.Errorf("%w: topic", ErrInvalidEvent)
	case ev.Name == "" || len(ev.Name) > maxEventNameLen || !validEventName(ev.Name):
		return fmt.Errorf("%w: name", ErrInvalidEvent)
	case len(ev.Ref) > maxEventRefLen || !cleanText(ev.Ref):
		return fmt.Errorf("%w: reference", ErrInvalidEvent)
	}
	return nil
}

// cleanText reports whether s is valid UTF-8 without control characters.
func cleanText(s string) bool { return utf8.ValidString(s) && !hasControl(s) }

// validEventName allows what an SSE event name and an htmx trigger ("sse:<name>") can carry
// plainly: ASCII letters, digits and - _ . :
func validEventName(n string) bool {
	return !strings.ContainsFunc(n, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') &&
			r != '-' && r != '_' && r != '.' && r != ':'
	})
}
