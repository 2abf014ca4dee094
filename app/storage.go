package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Storage keeps attachment blobs under keys the server generates; file names chosen by users
// never reach a path.
type Storage interface {
	// Put stores r and returns its key, size and SHA-256 (hex).
	Put(ctx context.Context, r io.Reader) (key string, size int64, sum string, err error)
	// Open returns the blob under key.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Delete removes the blob under key; a missing blob is not an error.
	Delete(ctx context.Context, key string) error
}

// DiskStorage stores blobs in a folder, confined to it with os.Root so that no key can escape.
type DiskStorage struct{ root *os.Root }

// NewDiskStorage opens (creating) dir as the attachment folder.
func NewDiskStorage(dir string) (*DiskStorage, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return &DiskStorage{root: root}, nil
}

// Put writes r to a temporary file and renames it into place, so a crash or a full disk never
// leaves a partial blob under a real key.
func (s *DiskStorage) Put(ctx context.Context, r io.Reader) (string, int64, string, error) {
	key := newKey()
	dir := key[:2]
	if err := s.root.MkdirAll(dir, 0o700); err != nil {
		return "", 0, "", fmt.Errorf("storage: %w", err)
	}
	tmp := filepath.Join(dir, key+".part")
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, "", fmt.Errorf("storage: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, filepath.Join(dir, key))
	}
	if err != nil {
		s.root.Remove(tmp)
		return "", 0, "", fmt.Errorf("storage: %w", err)
	}
	return dir + "/" + key, n, hex.EncodeToString(h.Sum(nil)), nil
}

// Open returns the blob under key.
func (s *DiskStorage) Open(_ context.Context, key string) (io.ReadSeekCloser, error) {
	f, err := s.root.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return f, nil
}

// Delete removes the blob under key.
func (s *DiskStorage) Delete(_ context.Context, key string) error {
	err := s.root.Remove(filepath.FromSlash(key))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// Close releases the folder handle.
func (s *DiskStorage) Close() error { return s.root.Close() }

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ctxReader stops a long copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
