package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteBack has the kernel start writing what was written to the file at
// path so far to disk, without waiting for it, so that a later sync finds
// little left to write. PostgreSQL does the same for its checkpoints
// (checkpoint_flush_after). It is only a hint: errors are ignored.
func startWriteBack(path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
