package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"html/template"
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
	size := 8 + len(template)
	for _, p := range parts {
		size += 8 + len(p)
	}
	k := newKeyBuilder(template, size)
	for _, p := range parts {
		k.str(p)
	}
	return k.key()
}

// keyBuilder builds a contentKey from values as they are, without formatting them first: the
// input is hashed at once (writing part by part into a hash.Hash copied every string into a
// new []byte), strings length-prefixed, numbers and times as fixed-size integers.
type keyBuilder struct {
	template string
	buf      []byte
}

func newKeyBuilder(template string, sizeHint int) *keyBuilder {
	return &keyBuilder{template: template, buf: appendKeyPart(make([]byte, 0, sizeHint), template)}
}

func (k *keyBuilder) str(s string)     { k.buf = appendKeyPart(k.buf, s) }
func (k *keyBuilder) int(n int64)      { k.buf = binary.LittleEndian.AppendUint64(k.buf, uint64(n)) }
func (k *keyBuilder) time(t time.Time) { k.int(t.UnixNano()) }
func (k *keyBuilder) bool(b bool) {
	if b {
		k.buf = append(k.buf, 1)
	} else {
		k.buf = append(k.buf, 0)
	}
}

// key is the template's name and the SHA-256 of everything added.
func (k *keyBuilder) key() string {
	sum := sha256.Sum256(k.buf)
	return k.template + "|" + hex.EncodeToString(sum[:])
}

// appendKeyPart appends p to a key's input, prefixed with its length.
func appendKeyPart(b []byte, p string) []byte {
	return append(binary.LittleEndian.AppendUint64(b, uint64(len(p))), p...)
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
