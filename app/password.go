package app

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"portico/models"
)

// Argon2id parameters: OWASP's minimum (m=19 MiB, t=2, p=1), about 30 ms on the 2-core build
// machines. They are written into every hash, so raising them later keeps old hashes valid.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Password length limits. The upper bound keeps hashing cost bounded; argon2id has no
// 72-byte truncation, so long passphrases stay distinct.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

// hashSlots bounds how many argon2id computations run at once: each holds 19 MiB, so a flood
// of logins would otherwise grow memory with the number of requests. More than one per CPU adds
// no throughput, only memory; requests beyond it wait their turn.
var hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// idKey is argon2.IDKey inside a slot.
func idKey(password, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, t, m, p, n)
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, comparing in constant time. An empty or
// malformed hash never matches.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false
	}
	// Refuse absurd parameters from a tampered row rather than burn memory on them.
	if mem == 0 || mem > 1<<20 || iters == 0 || iters > 16 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := idKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when an account does not exist, so that a wrong e-mail costs the
// same time as a wrong password and login timing reveals nothing.
var dummyHash = func() string {
	h, err := HashPassword("portico-timing-equaliser")
	if err != nil {
		panic(err)
	}
	return h
}()

// ErrWeakPassword is returned for a password that is too short, too long or too common.
var ErrWeakPassword = errors.New("weak password")

// ValidatePassword checks a new password and names what is wrong as a form field error.
func ValidatePassword(field, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return models.Invalid(field, "error.password_too_short")
	case len(password) > MaxPasswordLen:
		return models.Invalid(field, "error.password_too_long")
	case isCommonPassword(password):
		return models.Invalid(field, "error.password_common")
	}
	return nil
}

// isCommonPassword catches the passwords that lead every breached-password list. A fuller
// list belongs with customer registration.
func isCommonPassword(p string) bool {
	switch strings.ToLower(p) {
	case "password", "password1", "password123", "12345678", "123456789", "1234567890",
		"qwertyuiop", "qwerty123", "iloveyou", "11111111", "00000000", "abc12345",
		"letmein1", "welcome1", "admin123", "passw0rd", "changeme", "sunshine",
		"football", "baseball", "princess", "superman", "trustno1", "portico1", "portico123":
		return true
	}
	return false
}
