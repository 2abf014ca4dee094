package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gabriel-vasile/mimetype"
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
// Uploads still arriving wait in its "incoming" folder (see Spool).
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
	s := &DiskStorage{root: root}
	s.removeStaleSpools()
	return s, nil
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

// Dir is the folder the blobs are kept in.
func (s *DiskStorage) Dir() string { return s.root.Name() }

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

// MaxFilesPerMessage is how many files one message may carry.
const MaxFilesPerMessage = maxFilesPerMessage

// ErrFileTooLarge is returned by a Spool written past its limit.
var ErrFileTooLarge = errors.New("storage: file larger than allowed")

// sniffLen is how many leading bytes content sniffing looks at (mimetype's default read limit).
const sniffLen = 3072

// spoolDir is a place for uploads still being received. DiskStorage keeps them in a folder of
// its own root, so that keeping a finished upload is a rename on the same file system.
type spoolDir interface {
	createSpool() (f *os.File, name string, err error)
	openSpool(name string) (*os.File, error)
	removeSpool(name string) error
	// adoptSpool moves a finished upload under a new key and returns the key.
	adoptSpool(name string) (key string, err error)
}

// spoolFolder is the folder, inside the storage root, of uploads still being received.
const spoolFolder = "incoming"

func (s *DiskStorage) createSpool() (*os.File, string, error) {
	if err := s.root.MkdirAll(spoolFolder, 0o700); err != nil {
		return nil, "", fmt.Errorf("storage: %w", err)
	}
	name := spoolFolder + "/" + newKey() + ".part"
	f, err := s.root.OpenFile(filepath.FromSlash(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("storage: %w", err)
	}
	return f, name, nil
}

func (s *DiskStorage) openSpool(name string) (*os.File, error) {
	return s.root.Open(filepath.FromSlash(name))
}

func (s *DiskStorage) removeSpool(name string) error {
	err := s.root.Remove(filepath.FromSlash(name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

func (s *DiskStorage) adoptSpool(name string) (string, error) {
	key := newKey()
	dir := key[:2]
	if err := s.root.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("storage: %w", err)
	}
	if err := s.root.Rename(filepath.FromSlash(name), filepath.Join(dir, key)); err != nil {
		return "", fmt.Errorf("storage: %w", err)
	}
	return dir + "/" + key, nil
}

// removeStaleSpools deletes uploads left in the spool folder by a crash, once they are a day
// old (another instance sharing the folder may still be receiving newer ones).
func (s *DiskStorage) removeStaleSpools() {
	entries, err := fs.ReadDir(s.root.FS(), spoolFolder)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && time.Since(info.ModTime()) > 24*time.Hour {
			s.root.Remove(filepath.Join(spoolFolder, e.Name()))
		}
	}
}

// tempSpools keeps uploads in the system's temporary folder, for a Storage that has no spool
// folder of its own; keeping one is then a copy.
type tempSpools struct{}

func (tempSpools) createSpool() (*os.File, string, error) {
	f, err := os.CreateTemp("", "portico-upload-*.part")
	if err != nil {
		return nil, "", fmt.Errorf("storage: %w", err)
	}
	return f, f.Name(), nil
}

func (tempSpools) openSpool(name string) (*os.File, error) { return os.Open(name) }

func (tempSpools) removeSpool(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

func (tempSpools) adoptSpool(string) (string, error) { return "", errors.ErrUnsupported }

// Spool receives one upload straight to a temporary file beside the stored blobs while the
// request is still arriving: it hashes the bytes and keeps the first few for content sniffing
// on the way, and refuses to grow past its limit. Nothing is held in memory but those few
// bytes. A message that keeps the file moves it into storage with a rename (storeUploads);
// Remove deletes it otherwise, and is safe to call after the file was kept.
type Spool struct {
	dir    spoolDir
	f      *os.File
	name   string
	hash   hash.Hash
	head   []byte
	size   int64
	max    int64
	closed bool
}

// NewSpool starts receiving an upload of at most max bytes.
func (a *App) NewSpool(max int64) (*Spool, error) {
	var dir spoolDir = tempSpools{}
	if d, ok := a.Storage.(spoolDir); ok {
		dir = d
	}
	f, name, err := dir.createSpool()
	if err != nil {
		return nil, err
	}
	return &Spool{dir: dir, f: f, name: name, hash: sha256.New(), max: max}, nil
}

// Write appends p. Past the limit nothing more is written and ErrFileTooLarge is returned.
func (s *Spool) Write(p []byte) (int, error) {
	if s.closed {
		return 0, os.ErrClosed
	}
	if s.size+int64(len(p)) > s.max {
		return 0, ErrFileTooLarge
	}
	if len(s.head) < sniffLen {
		s.head = append(s.head, p[:min(len(p), sniffLen-len(s.head))]...)
	}
	n, err := s.f.Write(p)
	s.hash.Write(p[:n])
	s.size += int64(n)
	return n, err
}

// Finish flushes the file to disk and closes it; the upload is then complete.
func (s *Spool) Finish() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// Size is the number of bytes received.
func (s *Spool) Size() int64 { return s.size }

// SHA256 is the hex SHA-256 of the bytes received.
func (s *Spool) SHA256() string { return hex.EncodeToString(s.hash.Sum(nil)) }

// ContentType is the type sniffed from the first bytes, by the same rule as every stored file.
func (s *Spool) ContentType() string { return mimetype.Detect(s.head).String() }

// Open reads the finished upload from its start.
func (s *Spool) Open() (io.ReadCloser, error) { return s.dir.openSpool(s.name) }

// Remove deletes the file unless it was kept; errors are of no interest to a caller cleaning up.
func (s *Spool) Remove() {
	if !s.closed {
		s.closed = true
		s.f.Close()
	}
	s.dir.removeSpool(s.name)
}

// keep moves the finished upload into storage and returns its key: a rename where the spool
// lives beside the blobs, a copy otherwise.
func (s *Spool) keep(ctx context.Context, st Storage) (string, error) {
	if key, err := s.dir.adoptSpool(s.name); err == nil {
		return key, nil
	}
	f, err := s.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	key, _, _, err := st.Put(ctx, f)
	if err != nil {
		return "", err
	}
	s.Remove()
	return key, nil
}
