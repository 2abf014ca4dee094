package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"portico/models"
)

// AUTH-03: long passwords stay whole and distinct; short and common ones are refused; stored
// hashes that are malformed or tampered with never verify.

func TestLongPasswordsAreWholeAndDistinct(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("correct horse battery staple ", 5)[:128]
	if len(long) != 128 {
		t.Fatalf("test password is %d chars", len(long))
	}
	prefix := strings.Repeat("p", 72)
	a, b := prefix+"-first-ending", prefix+"-other-ending"

	cases := []struct {
		name     string
		password string
	}{
		{"128 characters", long},
		{"72-byte prefix, ending A", a},
		{"72-byte prefix, ending B", b},
		{"multibyte", strings.Repeat("ção🔒", 20)},
	}
	hashes := map[string]string{}
	for _, tc := range cases {
		if err := ValidatePassword("password", tc.password); err != nil {
			t.Fatalf("%s: ValidatePassword: %v", tc.name, err)
		}
		h, err := HashPassword(tc.password)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$argon2id$") {
			t.Fatalf("%s: hash %q is not argon2id", tc.name, h)
		}
		if !CheckPassword(h, tc.password) {
			t.Fatalf("%s: does not verify against its own hash", tc.name)
		}
		if CheckPassword(h, tc.password[:len(tc.password)-1]) {
			t.Fatalf("%s: verifies without its last byte", tc.name)
		}
		hashes[tc.password] = h
	}
	if hashes[a] == hashes[b] {
		t.Fatal("passwords sharing their first 72 bytes hash alike")
	}
	if CheckPassword(hashes[a], b) || CheckPassword(hashes[b], a) {
		t.Fatal("passwords sharing their first 72 bytes verify against each other (truncation)")
	}
	// The same password hashes differently each time (random salt).
	h2, _ := HashPassword(long)
	if h2 == hashes[long] || !CheckPassword(h2, long) {
		t.Fatal("two hashes of one password are equal, or the second does not verify")
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, password, code string // code empty: accepted
	}{
		{"7 characters", "abcdefg", "error.password_too_short"},
		{"7 multibyte characters", "ççççççç", "error.password_too_short"},
		{"empty", "", "error.password_too_short"},
		{"common", "password1", "error.password_common"},
		{"common, other case", "PassWord1", "error.password_common"},
		{"common, digits", "12345678", "error.password_common"},
		{"too long", strings.Repeat("x", MaxPasswordLen+1), "error.password_too_long"},
		{"8 characters", "abcdefgh", ""},
		{"at the upper limit", strings.Repeat("x", MaxPasswordLen), ""},
		{"passphrase", "correct horse battery", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePassword("password", tc.password)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Code != tc.code || ve.Field != "password" {
				t.Fatalf("err = %v, want %s on field password", err, tc.code)
			}
		})
	}
}

func TestMalformedHashesNeverVerify(t *testing.T) {
	t.Parallel()
	good, err := HashPassword("s3cret-passphrase")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=…,t=…,p=…, salt, key
	join := func(p ...string) string { return strings.Join(p, "$") }
	cases := []struct{ name, hash string }{
		{"empty", ""},
		{"dollar only", "$"},
		{"plain text password", "s3cret-passphrase"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join("", "argon2i", parts[2], parts[3], parts[4], parts[5])},
		{"wrong version", join("", "argon2id", "v=16", parts[3], parts[4], parts[5])},
		{"missing params", join("", "argon2id", parts[2], "", parts[4], parts[5])},
		{"zero memory", join("", "argon2id", parts[2], "m=0,t=2,p=1", parts[4], parts[5])},
		{"zero time", join("", "argon2id", parts[2], "m=19456,t=0,p=1", parts[4], parts[5])},
		{"zero threads", join("", "argon2id", parts[2], "m=19456,t=2,p=0", parts[4], parts[5])},
		{"bad salt base64", join("", "argon2id", parts[2], parts[3], "!!!", parts[5])},
		{"bad key base64", join("", "argon2id", parts[2], parts[3], parts[4], "***")},
		{"empty key", join("", "argon2id", parts[2], parts[3], parts[4], "")},
		{"extra field", good + "$extra"},
		{"key of another password", join("", "argon2id", parts[2], parts[3], parts[4], strings.Repeat("A", len(parts[5])))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, pw := range []string{"s3cret-passphrase", "", tc.hash} {
				if CheckPassword(tc.hash, pw) {
					t.Fatalf("hash %q verified %q", tc.hash, pw)
				}
			}
		})
	}
	if !CheckPassword(good, "s3cret-passphrase") {
		t.Fatal("the untouched hash does not verify: the cases above test nothing")
	}
}

func TestTamperedCostParametersRefusedQuickly(t *testing.T) {
	t.Parallel()
	good, err := HashPassword("s3cret-passphrase")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	cases := []struct{ name, params string }{
		{"huge memory", "m=9999999,t=2,p=1"},
		{"memory overflow", "m=99999999999,t=2,p=1"},
		{"huge time", "m=19456,t=100000,p=1"},
		{"huge threads", "m=19456,t=2,p=255"},
		{"negative", "m=-1,t=2,p=1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tampered := strings.Join([]string{"", "argon2id", parts[2], tc.params, parts[4], parts[5]}, "$")
			start := time.Now()
			ok := CheckPassword(tampered, "s3cret-passphrase")
			took := time.Since(start)
			if ok {
				t.Fatal("a tampered hash verified")
			}
			if took > 500*time.Millisecond {
				t.Fatalf("refusing took %s; the parameters were used", took)
			}
		})
	}
}
