package handlers

// Two Portico instances on one PostgreSQL database, as behind a load balancer: each has its own
// connection pool, app, broker and HTTP server, and fans live updates out to the other over
// LISTEN/NOTIFY the way main starts it. A customer's browser talks to instance B only; the agent
// works through instance A.

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// liveTarget is the most a live update may take from the agent's action to the customer's page.
const liveTarget = time.Second

// newPGInstance opens a pool of its own on the PostgreSQL database at dbURL and serves Portico
// over it on a port of its own, with its own app and broker whose cross-instance listener runs
// as main runs it. The listener stops before the server, and the pool closes last.
func newPGInstance(t *testing.T, dbURL string) *liveServer {
	t.Helper()
	db, err := models.Open(context.Background(), models.Options{DatabaseURL: dbURL, MaxConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := newLiveServer(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	listened := make(chan error, 1)
	go func() { listened <- s.app.Broker.Listen(ctx, db.Pool) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-listened:
			if err != nil {
				t.Errorf("cross-instance listener: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("the cross-instance listener did not stop within 5 s")
		}
	})
	return s
}

// fanOutLatency publishes a probe on from's broker, as often as needed, until to's broker
// delivers it to a local subscriber, and returns how long the delivered probe took. Until both
// listeners run a probe only reaches from's own subscribers, so the first delivery also proves
// that from NOTIFYs and to LISTENs.
func fanOutLatency(t *testing.T, from, to *app.Broker, wait time.Duration) time.Duration {
	t.Helper()
	const topic = "e2e-probe"
	sub := to.Subscribe([]string{topic}, 64)
	defer sub.Close()
	deadline := time.Now().Add(wait)
	for n := 0; time.Now().Before(deadline); n++ {
		ref := "probe-" + strconv.Itoa(n)
		start := time.Now()
		if err := from.Publish(context.Background(), topic, app.Event{Name: "probe", Ref: ref}); err != nil {
			t.Fatal(err)
		}
		timer := time.NewTimer(100 * time.Millisecond)
	recv:
		for {
			select {
			case ev := <-sub.C():
				if ev.Name == "probe" && ev.Ref == ref {
					timer.Stop()
					return time.Since(start)
				}
			case <-timer.C:
				break recv
			}
		}
	}
	t.Fatalf("no probe crossed between the instances within %s", wait)
	return 0
}

// waitSubscribed waits until an instance's broker has a subscriber of topic: the page's event
// stream is open on that instance.
func waitSubscribed(t *testing.T, s *liveServer, topic string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for s.app.Broker.Subscribers(topic) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no event stream subscribed to %s on %s", topic, s.url)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestE2ETwoInstancesLiveUpdates: with the customer's ticket page open in Chromium on instance
// B, each agent reply made through instance A appears on the page within a second, without a
// reload; with the listing open on B, closing the ticket through A turns its row Closed in
// place. The delivery latencies are logged: raw broker fan-out, and agent action to page.
func TestE2ETwoInstancesLiveUpdates(t *testing.T) {
	dbURL := dbtest.WithDatabase(t, dbtest.NewPostgresDatabase(t))
	a := newPGInstance(t, dbURL)
	b := newPGInstance(t, dbURL)
	if a.app == b.app || a.app.Broker == b.app.Broker || a.app.Stores.DB == b.app.Stores.DB || a.url == b.url {
		t.Fatal("the two instances share an app, a broker, a pool or an address")
	}
	fanOutLatency(t, a.app.Broker, b.app.Broker, 10*time.Second) // both listeners are up
	fanOutLatency(t, b.app.Broker, a.app.Broker, 10*time.Second)
	var raw []time.Duration
	for range 20 {
		raw = append(raw, fanOutLatency(t, a.app.Broker, b.app.Broker, time.Second))
	}
	t.Logf("broker fan-out A→B over LISTEN/NOTIFY: median %s, max %s (20 probes)",
		median(raw).Round(10*time.Microsecond), slices.Max(raw).Round(10*time.Microsecond))

	ctx := context.Background()
	d := newTicketDesk(t, a) // everything is stored through A; B reads the same database
	tk := d.ticket(t, d.ann, "Live across instances", false)
	agent, _ := a.staff(models.RoleAgent, "agent@example.com")

	first := newBrowser(t, b.url)
	pg := first.newContext(t, "ticket page")
	pg.customerSignIn(d.ann.Email)
	page := "/portal/tickets/" + tk.Ref()
	pg.open(page)
	list := first.newContext(t, "listing")
	list.customerSignIn(d.ann.Email)
	waitSubscribed(t, b, "ticket:"+tk.Ref())
	waitSubscribed(t, b, "contact:"+strconv.FormatInt(d.ann.ID, 10))
	if n := a.app.Broker.Subscribers("ticket:" + tk.Ref()); n != 0 {
		t.Fatalf("instance A has %d subscribers of the ticket: the page's stream should be on B only", n)
	}
	row := `document.querySelector('#ticket-list a[href="` + page + `"]')?.closest("tr")`
	list.waitTrue("the ticket listed as Open", row+`?.querySelector(".status").textContent.trim() === "Open"`)
	for _, tb := range []*tab{pg, list} {
		eval[bool](tb, `window.__marker = true`)
	}
	// The customer is halfway through a reply while the agent's arrive.
	const draft = "I was about to say that"
	pg.do("start a reply", chromedp.SendKeys(chromedp.ID("reply-body"), draft))

	// Replies: the message on the ticket page, the last activity on the listing.
	var toPage, toList []time.Duration
	for i := range 3 {
		text := "Reply " + strconv.Itoa(i+1) + " from instance A."
		a.clock.Advance(time.Hour)
		at := a.app.Now().UTC().Format(time.RFC3339)
		start := time.Now()
		if _, err := a.app.ReplyAsStaff(ctx, agent, tk.ID, text, false); err != nil {
			t.Fatal(err)
		}
		pg.waitTrue("reply "+strconv.Itoa(i+1)+" on B", `document.querySelector("#conversation")?.textContent.includes(`+jsString(text)+`)`)
		toPage = append(toPage, time.Since(start))
		list.waitTrue("last activity "+at+" on B", row+`?.querySelector("td:nth-child(4) time")?.getAttribute("datetime") === `+jsString(at))
		toList = append(toList, time.Since(start))
	}
	for i := range toPage {
		if toPage[i] > liveTarget || toList[i] > liveTarget {
			t.Errorf("reply %d reached B's ticket page in %s and its listing in %s (target under %s)", i+1, toPage[i], toList[i], liveTarget)
		}
	}
	t.Logf("agent reply on A to the customer's ticket page on B: %v, median %s (target < %s)",
		roundAll(toPage), median(toPage).Round(time.Millisecond), liveTarget)
	t.Logf("agent reply on A to the last activity on B's listing: %v, median %s", roundAll(toList), median(toList).Round(time.Millisecond))

	if got := run(pg, "read the reply box", chromedp.Value(chromedp.ID("reply-body"))); got != draft {
		t.Errorf("the reply being typed on B holds %q after the agent's replies, want %q", got, draft)
	}

	// The LISTEN connections drop (a database restart, a network blip): a reply made meanwhile
	// is not heard on B, but B's listener reconnects and tells its pages to resync.
	cutListeners(t, a.app.Stores.DB)
	a.clock.Advance(time.Hour)
	start := time.Now()
	if _, err := a.app.ReplyAsStaff(ctx, agent, tk.ID, "Sent while the instances were apart.", false); err != nil {
		t.Fatal(err)
	}
	pg.waitTrue("the reply after B's listener reconnected", `document.querySelector("#conversation")?.textContent.includes("Sent while the instances were apart.")`)
	t.Logf("reply made while B was not listening, on B's ticket page after the reconnection and resync: %s",
		time.Since(start).Round(time.Millisecond))
	fanOutLatency(t, a.app.Broker, b.app.Broker, 10*time.Second) // both listen again

	// A burst: a last reply and the closing right after it, the second event arriving while the
	// page is still fetching after the first. Both must show; the reply box gives way to the
	// reason the ticket takes no reply (T-6, T-7).
	if n := eval[int](pg, `document.querySelectorAll("#reply-body").length`); n != 1 {
		t.Fatal("the open ticket's page on B has no reply box")
	}
	closed := d.pipe.Stages[1].ID
	start = time.Now()
	if _, err := a.app.ReplyAsStaff(ctx, agent, tk.ID, "Closing this now, thanks!", false); err != nil {
		t.Fatal(err)
	}
	saved, err := a.app.UpdateTicket(ctx, agent, tk.ID, app.TicketChange{StageID: &closed})
	if err != nil || !saved.IsClosed {
		t.Fatalf("close the ticket through A: closed %v, %v", saved.IsClosed, err)
	}
	list.waitTrue("the ticket listed as Closed on B", row+`?.querySelector(".status").textContent.trim() === "Closed"`)
	tookList := time.Since(start)
	pg.waitTrue("the last reply and the status Closed on B's ticket page",
		`document.querySelector("#conversation")?.textContent.includes("Closing this now, thanks!") && `+
			`document.querySelector("#conversation .status")?.textContent.trim() === "Closed"`)
	tookPage := time.Since(start)
	if tookList > liveTarget || tookPage > liveTarget {
		t.Errorf("closing reached B's listing in %s and its ticket page in %s (target under %s)", tookList, tookPage, liveTarget)
	}
	t.Logf("reply and close on A to B's listing: %s, to B's ticket page: %s (target < %s)",
		tookList.Round(time.Millisecond), tookPage.Round(time.Millisecond), liveTarget)
	pg.waitTrue("the reason in place of the reply box", `!document.querySelector("#reply-body") && document.querySelector("section.reply .card")?.textContent.trim() === `+
		jsString("This ticket is closed, so it takes no more replies. To follow up, submit a new ticket."))

	// Reopened, the ticket's page gets its reply box back, in place of the reason.
	reopened := d.pipe.Stages[0].ID
	if saved, err := a.app.UpdateTicket(ctx, agent, tk.ID, app.TicketChange{StageID: &reopened}); err != nil || saved.IsClosed {
		t.Fatalf("reopen the ticket through A: closed %v, %v", saved.IsClosed, err)
	}
	pg.waitTrue("the reply box back on B's ticket page", `document.querySelectorAll("#reply-body").length === 1 && `+
		`!document.querySelector("section.reply .card") && document.querySelectorAll("section#reply").length === 1 && `+
		`document.querySelector("#reply form input[name=_csrf]")?.value === document.querySelector("#conversation").closest("body").getAttribute("hx-headers").match(/"X-CSRF-Token": "([^"]+)"/)[1]`)
	for _, tb := range []*tab{pg, list} {
		if !eval[bool](tb, `window.__marker === true`) {
			t.Errorf("%s on B reloaded instead of updating in place", tb.name)
		}
	}
	// The box that came back live sends a reply.
	pg.retype("reply-body", "Thanks for reopening it.")
	if status := pg.submit(`#reply button[type=submit]`); status != http.StatusOK {
		t.Fatalf("reply through the restored box: status %d", status)
	}
	if got := pg.text("#flash [role=status]"); got != "Your reply was sent." {
		t.Errorf("flash after replying through the restored box = %q", got)
	}
	if !strings.Contains(pg.text("#conversation"), "Thanks for reopening it.") {
		t.Error("the reply through the restored box is not in the conversation")
	}
}

// cutListeners ends the LISTEN connection of every instance on db's database and waits until
// their server processes are gone. Until the listeners reconnect, after a backoff of at least
// 150 ms, no instance hears the others' NOTIFYs.
func cutListeners(t *testing.T, db *models.DB) {
	t.Helper()
	var pids []int64
	err := db.Gorm.Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()
AND query = 'LISTEN portico_events' AND pid <> pg_backend_pid()`).Scan(&pids).Error
	if err != nil || len(pids) != 2 {
		t.Fatalf("LISTEN connections of the two instances: %v, %v", pids, err)
	}
	for _, pid := range pids {
		if err := db.Gorm.Exec(`SELECT pg_terminate_backend(?)`, pid).Error; err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		var left int64
		if err := db.Gorm.Raw(`SELECT count(*) FROM pg_stat_activity WHERE pid IN ?`, pids).Scan(&left).Error; err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the LISTEN connections %v are still there", pids)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// roundAll rounds durations to milliseconds for the log.
func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
