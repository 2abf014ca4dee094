package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// brokerRecv returns the next event of s, failing after wait.
func brokerRecv(t testing.TB, s *Subscription, wait time.Duration) Event {
	t.Helper()
	select {
	case ev, ok := <-s.C():
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
	}
	return Event{}
}

// brokerQuiet fails if s receives anything within wait.
func brokerQuiet(t testing.TB, s *Subscription, wait time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-s.C():
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(wait):
	}
}

// brokerPercentile is the p-th percentile (0–100) of ds, which it sorts.
func brokerPercentile(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p / 100)
	return ds[i]
}

func brokerMS(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + " ms"
}

func TestBrokerFanOut(t *testing.T) {
	b := NewBroker(nil)
	var subs []*Subscription
	for range 3 {
		s := b.Subscribe([]string{"ticket:T-1"}, 4)
		defer s.Close()
		subs = append(subs, s)
	}
	if n := b.Subscribers("ticket:T-1"); n != 3 {
		t.Fatalf("Subscribers = %d, want 3", n)
	}
	want := Event{Name: "ticket-updated", Ref: "T-1"}
	if err := b.Publish(context.Background(), "ticket:T-1", want); err != nil {
		t.Fatal(err)
	}
	for i, s := range subs {
		if got := brokerRecv(t, s, time.Second); got != want {
			t.Errorf("subscriber %d got %+v, want %+v", i, got, want)
		}
		brokerQuiet(t, s, 20*time.Millisecond)
	}
}

func TestBrokerTopicIsolation(t *testing.T) {
	b := NewBroker(nil)
	a := b.Subscribe([]string{"ticket:A"}, 4)
	defer a.Close()
	bb := b.Subscribe([]string{"ticket:B"}, 4)
	defer bb.Close()
	both := b.Subscribe([]string{"ticket:A", "queue", "ticket:A"}, 4) // duplicate topic: one delivery
	defer both.Close()
	ctx := context.Background()

	if err := b.Publish(ctx, "ticket:B", Event{Name: "ticket-updated", Ref: "B"}); err != nil {
		t.Fatal(err)
	}
	if got := brokerRecv(t, bb, time.Second); got.Ref != "B" {
		t.Fatalf("ticket:B subscriber got %+v", got)
	}
	brokerQuiet(t, a, 50*time.Millisecond)
	brokerQuiet(t, both, 0)

	b.Publish(ctx, "ticket:A", Event{Name: "ticket-updated", Ref: "A"})
	b.Publish(ctx, "queue", Event{Name: "queue-changed"})
	if got := brokerRecv(t, a, time.Second); got.Ref != "A" {
		t.Fatalf("ticket:A subscriber got %+v", got)
	}
	brokerQuiet(t, a, 20*time.Millisecond)
	brokerQuiet(t, bb, 0)
	if got := brokerRecv(t, both, time.Second); got.Ref != "A" {
		t.Fatalf("multi-topic subscriber got %+v first", got)
	}
	if got := brokerRecv(t, both, time.Second); got.Name != "queue-changed" {
		t.Fatalf("multi-topic subscriber got %+v second", got)
	}
	brokerQuiet(t, both, 20*time.Millisecond)
	if n := b.Subscribers("ticket:A"); n != 2 {
		t.Fatalf("Subscribers(ticket:A) = %d, want 2", n)
	}
}

func TestBrokerSlowSubscriberResync(t *testing.T) {
	b := NewBroker(nil)
	slow := b.Subscribe([]string{"queue"}, 2) // never reads while publishing
	defer slow.Close()
	fast := b.Subscribe([]string{"queue"}, 500) // room for all: only the stuck one may lag
	defer fast.Close()

	const n = 500
	got := make(chan int, 1)
	go func() {
		count := 0
		for ev := range fast.C() {
			if ev.Name == ResyncEvent {
				continue
			}
			count++
			if count == n {
				break
			}
		}
		got <- count
	}()
	start := time.Now()
	for i := range n {
		if err := b.Publish(context.Background(), "queue", Event{Name: "ticket-updated", Ref: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // let the fast reader keep up
		}
	}
	elapsed := time.Since(start)
	select {
	case c := <-got:
		if c != n {
			t.Fatalf("fast subscriber got %d events, want %d", c, n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fast subscriber was held up")
	}
	t.Logf("publish_%d_with_a_stuck_subscriber: %s (target: never blocks)", n, elapsed.Round(time.Microsecond))

	if slow.Dropped() == 0 {
		t.Fatal("the stuck subscriber dropped nothing")
	}
	if ev := brokerRecv(t, slow, time.Second); ev.Name != ResyncEvent {
		t.Fatalf("stuck subscriber's next event = %+v, want resync", ev)
	}
	// Drain, then the subscriber is back to normal delivery.
	for len(slow.C()) > 0 {
		<-slow.C()
	}
	b.Publish(context.Background(), "queue", Event{Name: "ticket-updated", Ref: "after"})
	if ev := brokerRecv(t, slow, time.Second); ev.Ref != "after" {
		t.Fatalf("after the resync got %+v", ev)
	}
}

func TestBrokerClose(t *testing.T) {
	b := NewBroker(nil)
	s := b.Subscribe([]string{"ticket:T-1", "queue"}, 4)
	other := b.Subscribe([]string{"queue"}, 4)
	defer other.Close()
	s.Close()
	s.Close() // idempotent
	if _, ok := <-s.C(); ok {
		t.Fatal("C is not closed after Close")
	}
	if n := b.Subscribers("ticket:T-1"); n != 0 {
		t.Fatalf("Subscribers(ticket:T-1) = %d after Close", n)
	}
	if n := b.Subscribers("queue"); n != 1 {
		t.Fatalf("Subscribers(queue) = %d, want 1", n)
	}
	if err := b.Publish(context.Background(), "queue", Event{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if ev := brokerRecv(t, other, time.Second); ev.Name != "x" {
		t.Fatalf("remaining subscriber got %+v", ev)
	}
}

func TestBrokerPublishValidates(t *testing.T) {
	b := NewBroker(nil)
	s := b.Subscribe([]string{"queue"}, 4)
	defer s.Close()
	bad := []struct {
		topic string
		ev    Event
	}{
		{"", Event{Name: "x"}},
		{"queue", Event{}},
		{"queue", Event{Name: "ticket\nupdated"}},
		{"queue", Event{Name: "a b"}},
		{"queue", Event{Name: strings.Repeat("a", maxEventNameLen+1)}},
		{"queue", Event{Name: "x", Ref: "T-1\r\nevent: admin"}},
		{"queue", Event{Name: "x", Ref: strings.Repeat("r", maxEventRefLen+1)}},
		{"queue", Event{Name: "x", Ref: "\xff"}},
		{"queue\n", Event{Name: "x"}},
		{strings.Repeat("t", maxTopicLen+1), Event{Name: "x"}},
	}
	for _, c := range bad {
		if err := b.Publish(context.Background(), c.topic, c.ev); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("Publish(%q, %+v) = %v, want ErrInvalidEvent", c.topic, c.ev, err)
		}
	}
	brokerQuiet(t, s, 20*time.Millisecond)
	// The largest valid event, escaped as badly as JSON allows, stays under the NOTIFY limit.
	worst := Event{Name: strings.Repeat("a", maxEventNameLen), Ref: strings.Repeat("<", maxEventRefLen)}
	if err := validEvent(strings.Repeat("\"", maxTopicLen), worst); err != nil {
		t.Fatal(err)
	}
}

// TestBrokerConcurrent publishes, subscribes and closes from many goroutines at once; run with
// -race.
func TestBrokerConcurrent(t *testing.T) {
	b := NewBroker(nil)
	ctx := context.Background()
	topics := []string{"ticket:1", "ticket:2", "queue", "contact:7"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				topic := topics[(p+i)%len(topics)]
				if err := b.Publish(ctx, topic, Event{Name: "ticket-updated", Ref: strconv.Itoa(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var churn sync.WaitGroup
	for r := range 8 {
		churn.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := b.Subscribe([]string{topics[(r+i)%len(topics)], "queue"}, 1+i%4)
				for range i % 3 {
					select {
					case <-s.C():
					default:
					}
				}
				_ = b.Subscribers("queue")
				s.Close()
			}
		})
	}
	wg.Wait()
	close(stop)
	churn.Wait()
	for _, topic := range topics {
		if n := b.Subscribers(topic); n != 0 {
			t.Errorf("Subscribers(%s) = %d after every subscription closed", topic, n)
		}
	}
}

// brokerFanOut publishes rounds events to n subscribers of one topic and returns every
// subscriber's delivery latency (publish call to receive).
func brokerFanOut(tb testing.TB, n, rounds int) []time.Duration {
	b := NewBroker(nil)
	lat := make([][]time.Duration, n)
	var ready, finished sync.WaitGroup
	for i := range n {
		s := b.Subscribe([]string{"queue"}, 64)
		ready.Add(1)
		finished.Go(func() {
			defer s.Close()
			ready.Done()
			for range rounds {
				ev := <-s.C()
				sent, err := strconv.ParseInt(ev.Ref, 10, 64)
				if err != nil {
					tb.Errorf("subscriber %d got %+v", i, ev)
					return
				}
				lat[i] = append(lat[i], time.Since(time.Unix(0, sent)))
			}
		})
	}
	ready.Wait()
	for range rounds {
		ref := strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := b.Publish(context.Background(), "queue", Event{Name: "queue-changed", Ref: ref}); err != nil {
			tb.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // one event at a time, as a busy desk would send them
	}
	finished.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return all
}

func TestBrokerFanOutLatency(t *testing.T) {
	const subs, rounds = 1000, 20
	all := brokerFanOut(t, subs, rounds)
	if len(all) != subs*rounds {
		t.Fatalf("%d deliveries, want %d", len(all), subs*rounds)
	}
	p50, p99 := brokerPercentile(all, 50), brokerPercentile(all, 99)
	t.Logf("fanout_%d_subscribers_p50: %s (target ≤ 100 ms)", subs, brokerMS(p50))
	t.Logf("fanout_%d_subscribers_p99: %s (target ≤ 100 ms)", subs, brokerMS(p99))
	if p99 > 100*time.Millisecond {
		t.Errorf("fan-out p99 %s exceeds 100 ms", brokerMS(p99))
	}
}

// BenchmarkBrokerFanOut sends one event to 1,000 subscribers per iteration and reports the
// p99 delivery latency.
func BenchmarkBrokerFanOut(b *testing.B) {
	all := brokerFanOut(b, 1000, b.N)
	b.ReportMetric(float64(brokerPercentile(all, 99))/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(float64(brokerPercentile(all, 50))/float64(time.Millisecond), "p50-ms")
}

func ExampleBroker() {
	b := NewBroker(nil)
	// A handler subscribes to the topics the viewer may see, after checking them.
	sub := b.Subscribe([]string{"ticket:T-1042"}, 8)
	defer sub.Close()
	// An operation publishes once its transaction has committed.
	b.Publish(context.Background(), "ticket:T-1042", Event{Name: "ticket-updated", Ref: "T-1042"})
	ev := <-sub.C()
	fmt.Println(ev.Name, ev.Ref)
	// Output: ticket-updated T-1042
}
