package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Cross-instance fan-out over PostgreSQL LISTEN/NOTIFY. Every instance NOTIFYs one channel with
// a compact JSON payload and LISTENs on it over one dedicated connection taken from the pool it
// shares with GORM; each delivers the notifications of the other instances to its own local
// subscribers.

const (
	// notifyChannel is the one LISTEN/NOTIFY channel of live updates.
	notifyChannel = "portico_events"

	// listenMinBackoff and listenMaxBackoff bound the wait before the listener reconnects.
	listenMinBackoff = 200 * time.Millisecond
	listenMaxBackoff = 30 * time.Second
	// listenIdleCheck is how long the listener waits for a notification before it pings its
	// connection: a connection cut without a reset (a network partition) would otherwise go
	// unnoticed until TCP keep-alive gives up, minutes later.
	listenIdleCheck = time.Minute
	// listenPingTimeout bounds that ping, and closing the connection on the way out.
	listenPingTimeout = 5 * time.Second
)

// notifyPayload is an event as it travels between instances: compact keys, well under
// PostgreSQL's 8000-byte NOTIFY limit (checked at publish).
type notifyPayload struct {
	Instance string `json:"i"`
	Topic    string `json:"t"`
	Name     string `json:"n"`
	Ref      string `json:"r,omitempty"`
}

// notify sends ev to the other instances. It runs outside any transaction: Publish is called
// after commit.
func (b *Broker) notify(ctx context.Context, pool *pgxpool.Pool, topic string, ev Event) error {
	p, err := json.Marshal(notifyPayload{Instance: b.instance, Topic: topic, Name: ev.Name, Ref: ev.Ref})
	if err != nil {
		return err
	}
	if len(p) > maxNotifyBytes {
		return fmt.Errorf("%w: %d bytes is too large for NOTIFY", ErrInvalidEvent, len(p))
	}
	if _, err := pool.Exec(ctx, "SELECT pg_notify($1, $2)", notifyChannel, string(p)); err != nil {
		return fmt.Errorf("broker: notify other instances: %w", err)
	}
	return nil
}

// notifyAll sends events on their topics to the other instances in one statement.
func (b *Broker) notifyAll(ctx context.Context, pool *pgxpool.Pool, events []topicEvent) error {
	var q strings.Builder
	args := make([]any, 0, 2*len(events))
	q.WriteString("SELECT ")
	for i, te := range events {
		p, err := json.Marshal(notifyPayload{Instance: b.instance, Topic: te.topic, Name: te.ev.Name, Ref: te.ev.Ref})
		if err != nil {
			return err
		}
		if len(p) > maxNotifyBytes {
			return fmt.Errorf("%w: %d bytes is too large for NOTIFY", ErrInvalidEvent, len(p))
		}
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "pg_notify($%d, $%d)", 2*i+1, 2*i+2)
		args = append(args, notifyChannel, string(p))
	}
	if _, err := pool.Exec(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("broker: notify other instances: %w", err)
	}
	return nil
}

// Listen fans events out across instances until ctx is done. From its start Publish also
// NOTIFYs the other instances; it holds one dedicated connection of pool that LISTENs and
// delivers the other instances' events to local subscribers (its own are skipped by instance
// id, having been delivered locally by Publish). When the connection drops it reconnects with
// backoff, and after every (re)connection it sends every local subscriber a resync event, since
// notifications may have been missed meanwhile. Before returning it closes and releases its
// connection, so the pool can be closed afterwards without waiting for it: the caller waits for
// Listen to return before closing the database. It returns nil when ctx ends and an error only
// when it cannot start. Main runs it in a goroutine on PostgreSQL; on SQLite (one instance)
// there is nothing to listen to and local delivery is all there is.
func (b *Broker) Listen(ctx context.Context, pool *pgxpool.Pool) error {
	if pool == nil {
		return errors.New("broker: Listen needs the PostgreSQL pool")
	}
	if !b.pool.CompareAndSwap(nil, pool) {
		return errors.New("broker: Listen is already running")
	}
	defer b.pool.Store(nil)
	delay := listenMinBackoff
	for {
		listened, err := b.listenOnce(ctx, pool)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			delay = listenMinBackoff
		}
		// ±25 % jitter, so that instances cut off together do not reconnect in step.
		wait := time.Duration(float64(delay) * (0.75 + 0.5*rand.Float64()))
		b.log.Warn("live updates: lost the LISTEN connection; reconnecting", "err", err,
			"retry_in", wait.Round(time.Millisecond).String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		delay = min(delay*2, listenMaxBackoff)
	}
}

// listenOnce acquires a connection, LISTENs and delivers notifications until the connection
// fails or ctx ends. listened reports whether LISTEN succeeded (the backoff then starts over).
func (b *Broker) listenOnce(ctx context.Context, pool *pgxpool.Pool) (listened bool, err error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer func() {
		b.listenPID.Store(0)
		// The connection is closed rather than returned for reuse: it is still LISTENing (or
		// broken), and no other caller should inherit either. Release then lets the pool drop
		// it, so that closing the pool never waits for it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenPingTimeout)
		c.Conn().Close(cctx)
		cancel()
		c.Release()
	}()
	if _, err := c.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false, err
	}
	b.listenPID.Store(c.Conn().PgConn().PID())
	b.log.Debug("live updates: listening", "channel", notifyChannel)
	b.resyncAll()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdleCheck)
		n, err := c.Conn().WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			b.receive(n.Payload)
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !c.Conn().IsClosed():
			// Quiet for a while: make sure the connection is still there.
			pctx, pcancel := context.WithTimeout(ctx, listenPingTimeout)
			err = c.Ping(pctx)
			pcancel()
			if err != nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}

// receive delivers one notification from another instance to local subscribers. Malformed or
// invalid payloads (written by something else on the channel) are dropped.
func (b *Broker) receive(payload string) {
	var p notifyPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Instance == "" {
		b.log.Warn("live updates: ignored a malformed notification", "bytes", len(payload))
		return
	}
	if p.Instance == b.instance {
		return // delivered locally by Publish already
	}
	ev := Event{Name: p.Name, Ref: p.Ref}
	if err := validEvent(p.Topic, ev); err != nil {
		b.log.Warn("live updates: ignored an invalid notification", "err", err)
		return
	}
	b.deliver(p.Topic, ev)
}
