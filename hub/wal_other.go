//go:build !linux

package hub

import "os"

// fdatasync is fsync where the system has no cheaper call.
func fdatasync(f *os.File) error { return f.Sync() }
