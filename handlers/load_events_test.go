package handlers

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// TestEventStreamsFanOut: 1,000 event streams are open on one ticket, each a real HTTP
// connection over loopback to a running server (a customer with the page open in 1,000 tabs);
// one agent reply reaches every one of them. The delay is measured from just before the reply
// is written to the database until each stream has read the event (SPEC T-7, issue figure:
// p99 ≤ 100 ms). The test holds a looser bound so that the race detector's slowdown in CI does
// not fail it; the figure for the notes comes from a normal run (-run TestEventStreamsFanOut -v).
func TestEventStreamsFanOut(t *testing.T) {
	const streams = 1000
	s := newLiveServer(t, dbtest.SQLite(t))
	ctx := context.Background()
	c := s.customer(t, "Pat", "pat@example.com")
	pipe := models.Pipeline{Name: "Support", Stages: []models.PipelineStage{{Name: "New", Position: 1}}}
	if err := s.app.Stores.Pipelines.Create(ctx, &pipe); err != nil {
		t.Fatal(err)
	}
	tk := models.Ticket{Subject: "Watched by many", PipelineID: pipe.ID, StageID: pipe.Stages[0].ID,
		SourceChannel: models.ChannelPortal, ContactID: &c.ID}
	if err := s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}
	agent, _ := s.staff(models.RoleAgent, "agent@example.com")
	b := s.browser()
	wantStatus(t, b.portalLogin("pat@example.com", customerPassword), http.StatusSeeOther)
	cookie := b.s.h.cookieName + "=" + b.sessionCookie()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams, MaxConnsPerHost: 0}}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		arrived  []time.Duration
		failures []string
		start    time.Time
		ready    = make(chan struct{})
	)
	streamCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(streamCtx, "GET", s.url+"/portal/events?ticket="+tk.Ref(), nil)
			req.Header.Set("Cookie", cookie)
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				mu.Lock()
				failures = append(failures, "open: "+errText(err, resp))
				mu.Unlock()
				return
			}
			defer resp.Body.Close()
			lines := bufio.NewScanner(resp.Body)
			for lines.Scan() {
				if lines.Text() == "event: ticket-updated" {
					<-ready
					mu.Lock()
					arrived = append(arrived, time.Since(start))
					mu.Unlock()
					return
				}
			}
			mu.Lock()
			failures = append(failures, "stream ended without the event")
			mu.Unlock()
		}()
	}
	for i := 0; s.app.Broker.Subscribers("ticket:"+tk.Ref()) < streams; i++ {
		if i > 1000 {
			t.Fatalf("%d of %d streams subscribed", s.app.Broker.Subscribers("ticket:"+tk.Ref()), streams)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start = time.Now()
	close(ready)
	if _, err := s.app.ReplyAsStaff(ctx, agent, tk.ID, "One reply for everyone.", false); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d streams failed, first: %s", len(failures), failures[0])
	}
	if len(arrived) != streams {
		t.Fatalf("%d of %d streams got the event", len(arrived), streams)
	}
	slices.Sort(arrived)
	p50, p99, max := arrived[streams/2], arrived[streams*99/100], arrived[streams-1]
	t.Logf("one reply to %d open event streams over HTTP: p50 %s, p99 %s, max %s (from before the database write)",
		streams, p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond), max.Round(100*time.Microsecond))
	if p99 > time.Second {
		t.Fatalf("p99 %s: the event took far too long to reach the streams", p99)
	}
}

func errText(err error, resp *http.Response) string {
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(resp.Status)
}
