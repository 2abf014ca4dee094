package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// ErrSecretMismatch means this instance's secret key differs from the one the database was
// first used with: another instance (or an earlier run) had another key, and tokens derived
// from it would not verify across instances.
var ErrSecretMismatch = errors.New("secret key differs from the one this database was first used with")

// CheckSecretKey records a fingerprint of the secret key on first use and compares it on every
// later start, so that instances sharing a database cannot silently run with different keys.
// The fingerprint is an HMAC, which reveals nothing about the key.
func (a *App) CheckSecretKey(ctx context.Context, keyHex string) error {
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("portico secret key fingerprint"))
	fp := hex.EncodeToString(m.Sum(nil))
	if _, err := a.Stores.Settings.PutIfAbsent(ctx, "secret_key_fingerprint", fp); err != nil {
		return err
	}
	var stored string
	if err := a.Stores.Settings.Get(ctx, "secret_key_fingerprint", &stored); err != nil {
		return err
	}
	if !hmac.Equal([]byte(stored), []byte(fp)) {
		return ErrSecretMismatch
	}
	return nil
}
