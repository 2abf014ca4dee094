package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"html/template"
	"io"
	"sync"
	"time"
)

// fragmentCache keeps rendered HTML fragments that are the same for every viewer allowed to see
// them: today a ticket thread's messages on the portal. html/template spends about a
// microsecond of reflection per value it writes, so a 200-message thread cost more to render
// than everything else on its page together; this cache makes a long thread as cheap to show
// as a short one while it does not change.
//
// Keys carry everything the fragment depends on: for a thread, its id, how many visible
// messages it has and the newest one's id (models.ThreadVersion: messages are only added, so a
// new message makes a new key on every instance), plus the language and the portal's address. What the key cannot see (an
// author renamed) is corrected when the entry expires. Entries are bounded in number and age.
type fragmentCache struct {
	mu    sync.Mutex
	items map[string]fragment
	max   int
	ttl   time.Duration
}

type fragment struct {
	html template.HTML
	at   time.Time
}

func newFragmentCache(max int, ttl time.Duration) *fragmentCache {
	return &fragmentCache{items: make(map[string]fragment, max), max: max, ttl: ttl}
}

// get returns a live entry.
func (f *fragmentCache) get(key string) (template.HTML, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.items[key]
	if !ok || time.Since(e.at) > f.ttl {
		return "", false
	}
	return e.html, true
}

// put stores an entry; when full it first drops expired entries, then, if still full, about a
// tenth of the others (map order: effectively random).
func (f *fragmentCache) put(key string, html template.HTML) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) >= f.max {
		now := time.Now()
		for k, e := range f.items {
			if now.Sub(e.at) > f.ttl {
				delete(f.items, k)
			}
		}
		for k := range f.items {
			if len(f.items) < f.max-f.max/10 {
				break
			}
			delete(f.items, k)
		}
	}
	f.items[key] = fragment{html: html, at: time.Now()}
}

// renderFragment renders a partial into HTML for the cache.
func (h *Handler) renderFragment(name string, vm any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := h.views.Render(&buf, name, vm); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil // rendered by html/template: already escaped
}

// contentKey names a fragment by everything it is rendered from: a SHA-256 over the template's
// name and the given parts, each length-prefixed so that no two different inputs share a key.
// Such an entry is never stale — other content is another key — so it may be shared by every
// viewer who gets the same content (a customer reloading their list, live refreshes).
func contentKey(template string, parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range append([]string{template}, parts...) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		io.WriteString(h, p)
	}
	return template + "|" + hex.EncodeToString(h.Sum(nil))
}

// cachedFragment returns the fragment for key, rendering the template with vm on a miss.
func (h *Handler) cachedFragment(key, name string, vm any) (template.HTML, error) {
	if html, ok := h.fragments.get(key); ok {
		return html, nil
	}
	html, err := h.renderFragment(name, vm)
	if err == nil {
		h.fragments.put(key, html)
	}
	return html, err
}
