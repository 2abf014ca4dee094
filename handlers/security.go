package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const (
	localNonce     = "nonce"
	localRequestID = "request_id"
)

// securityHeaders sets the headers every response carries. Scripts and styles run only from
// our own origin or with this response's nonce: no inline handlers, no eval, no style
// attributes (XSS-03).
func (h *Handler) securityHeaders(c *fiber.Ctx) error {
	nonce := randomString(16)
	c.Locals(localNonce, nonce)
	c.Locals(localRequestID, randomString(9))
	hd := &c.Response().Header
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; "+
		"style-src 'self' 'nonce-"+nonce+"'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// Not no-referrer: same-origin requests keep their Referer, which some CSRF defences read.
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	if h.cfg.SecureCookies() {
		hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// requestLog writes one structured line per request. It logs the route pattern, not the raw
// path or query, so that tokens in URLs never reach the logs.
func (h *Handler) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusOf(err)
	}
	route := c.Route().Path
	if route == "/" && c.Path() != "/" {
		route = "(no route)"
	}
	h.log.Info("request", "method", c.Method(), "route", route, "status", status,
		"ms", float64(time.Since(start).Microseconds())/1000, "ip", h.clientIP(c),
		"id", c.Locals(localRequestID))
	return err
}

// recoverPanics turns a panic into a logged 500 instead of a dropped connection.
func (h *Handler) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("panic", "value", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// clientIP is the address of the client: the TCP peer, unless the peer is a configured proxy,
// in which case X-Forwarded-For is read from the right, skipping our own proxies (INJ-03).
func (h *Handler) clientIP(c *fiber.Ctx) string {
	peer, err := netip.ParseAddr(c.Context().RemoteIP().String())
	if err != nil {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !h.trusted(peer) {
		return peer.String()
	}
	// Every X-Forwarded-For line, in order: some proxies add a line of their own instead of
	// appending to the client's, and the first line is the client's to write.
	var lines []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		lines = append(lines, string(v))
	}
	hops := strings.Split(strings.Join(lines, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !h.trusted(a) {
			return a.String()
		}
	}
	return peer.String()
}

func (h *Handler) trusted(a netip.Addr) bool {
	for _, p := range h.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseProxies reads PORTICO_TRUSTED_PROXIES: addresses or CIDR prefixes.
func parseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("handlers: PORTICO_TRUSTED_PROXIES: %q is not an address", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("handlers: PORTICO_TRUSTED_PROXIES: %q is not a CIDR prefix", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
