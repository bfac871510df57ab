package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked is returned when another daemon holds the database's lock.
var ErrLocked = errors.New("another civicwatch daemon is running on this database")

// Lock is an exclusive advisory lock on a database file: one daemon (or
// `digest --send`, or `rematch`) per database, however the file is named.
//
// The lock is taken on the database file itself, so it follows the file's
// identity (its inode), not the path it was reached by: a symlink or a hard
// link to a locked database finds it locked. SQLite's own locks are POSIX
// record locks, which on Linux are independent of flock, so the two do not
// meet; but POSIX locks are dropped when any descriptor of the file closes,
// so the descriptor held here stays open until Release, after the store is
// closed.
//
// Beside it, "<resolved path>.lock" records the holder's PID to name it in
// messages, and is itself locked, so that binaries that lock only that file
// still exclude this one. The kernel drops both locks when the process
// dies, however it dies: a crash never leaves a stale lock behind.
type Lock struct {
	db, side *os.File
	path     string // the side file
}

// AcquireLock takes the lock of the database at dbPath without waiting,
// creating the file if it does not exist yet (an empty file is an empty
// SQLite database).
func AcquireLock(dbPath string) (*Lock, error) {
	real, err := resolve(dbPath)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dbPath, err)
	}
	side := real + ".lock"
	df, err := os.OpenFile(real, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dbPath, err)
	}
	if err := flock(df); err != nil {
		defer df.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held%s", ErrLocked, describe(dbPath, real), holder(side, df))
		}
		return nil, fmt.Errorf("lock %s: %w", dbPath, err)
	}
	sf, err := os.OpenFile(side, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		df.Close()
		return nil, fmt.Errorf("lock %s: %w", side, err)
	}
	if err := flock(sf); err != nil {
		sf.Close()
		df.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held%s", ErrLocked, side, holder(side, nil))
		}
		return nil, fmt.Errorf("lock %s: %w", side, err)
	}
	// The PID is informative only: write it after the locks are ours, so a
	// loser never overwrites the holder's.
	if err := sf.Truncate(0); err == nil {
		_, _ = sf.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{db: df, side: sf, path: side}, nil
}

func flock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// resolve is the path the database really lives at: symlinks followed, made
// absolute. A database not created yet resolves through its directory.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if target, lerr := os.Readlink(abs); lerr == nil { // a symlink to a file not created yet
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		return resolve(target)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// describe names the database as the user gave it, and the file it is.
func describe(given, real string) string {
	if abs, err := filepath.Abs(given); err == nil && abs == real {
		return real + " (lock " + real + ".lock)"
	}
	return given + " (the same file as " + real + ", lock " + real + ".lock)"
}

// holder names the process holding the lock: the PID the side file records,
// else, for a hard link whose side file is elsewhere, the one the kernel
// lists as holding an flock on the file's inode.
func holder(side string, f *os.File) string {
	if b, err := os.ReadFile(side); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return fmt.Sprintf(" by pid %d", pid)
		}
	}
	if f != nil {
		if pid := flockHolder(f); pid > 0 {
			return fmt.Sprintf(" by pid %d", pid)
		}
	}
	return ""
}

// flockHolder finds, in /proc/locks (Linux), the process holding an flock
// on f's inode; 0 when it cannot tell.
func flockHolder(f *os.File) int {
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer locks.Close()
	// "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF": the device as
	// major:minor in hex, then the inode in decimal.
	want := fmt.Sprintf(":%d", st.Ino)
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || !strings.HasSuffix(fields[5], want) {
			continue
		}
		if devMatches(fields[5], uint64(st.Dev)) {
			if pid, err := strconv.Atoi(fields[4]); err == nil {
				return pid
			}
		}
	}
	return 0
}

// devMatches compares /proc/locks' "MAJ:MIN:INODE" with a stat device
// number, using Linux's encoding of the major and minor numbers.
func devMatches(field string, dev uint64) bool {
	parts := strings.Split(field, ":")
	if len(parts) != 3 {
		return false
	}
	maj, err1 := strconv.ParseUint(parts[0], 16, 32)
	min, err2 := strconv.ParseUint(parts[1], 16, 32)
	if err1 != nil || err2 != nil {
		return false
	}
	devMaj := (dev>>8)&0xfff | (dev>>32)&^0xfff
	devMin := dev&0xff | (dev>>12)&^0xff
	return maj == devMaj && min == devMin
}

// Release drops the lock. The side file stays: removing it would let a
// third process lock a new file while a second still waits on the old one.
func (l *Lock) Release() error {
	if l == nil || l.side == nil {
		return nil
	}
	_ = l.side.Truncate(0)
	err := l.side.Close() // closing the descriptors releases the flocks
	if derr := l.db.Close(); err == nil {
		err = derr
	}
	l.side, l.db = nil, nil
	return err
}
