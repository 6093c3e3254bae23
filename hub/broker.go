package hub

import (
	"context"
	"errors"
)

// Record is one committed version of a board as the Broker stores it: the
// JSON of a board.Entry ({"v","client","seq","changes"}), encoded once by the
// room and passed through untouched so that storage, fan-out and catch-up all
// send the same bytes.
type Record struct {
	V    uint64
	Data []byte
}

// Handler receives what a Broker publishes for one board.
type Handler struct {
	// Records gets committed records, in version order within one call.
	Records func([]Record)
	// Presence gets presence messages published by other instances.
	Presence func(msg []byte)
}

// Errors a Broker returns. Callers branch on them with errors.Is.
var (
	// ErrConflict: the board's head was not the version the commit expected
	// (another instance committed first). Read History, transform, retry.
	ErrConflict = errors.New("hub: version conflict")
	// ErrTrimmed: the log no longer holds every version after `since`; the
	// caller falls back to the snapshot.
	ErrTrimmed = errors.New("hub: log trimmed")
	// ErrNoBoard: the board was never created.
	ErrNoBoard = errors.New("hub: no such board")
	// ErrUnavailable: storage cannot be reached or written. Nothing was
	// committed; the caller refuses the submit rather than accept and lose it.
	ErrUnavailable = errors.New("hub: storage unavailable")
)

// Broker makes a board's commits durable, keeps the per-board log and
// snapshots, and fans commits out to every instance that follows the board.
// The embedded default is LocalBroker (one process, bbolt on disk); a Redis
// broker shares boards between instances behind the same contract.
//
// All methods are safe for concurrent use. A board's commits are issued in
// version order by one committer per instance; the version check in Commit is
// what orders them across instances.
type Broker interface {
	// Create stores a new board with its initial state (version 0) and epoch.
	// Creating a board that exists returns nil and changes nothing.
	Create(ctx context.Context, board, epoch string, state []byte) error

	// Load returns the latest stored snapshot of a board (its state, version
	// and epoch). Entries after that version are read with History. ErrNoBoard
	// if the board does not exist.
	Load(ctx context.Context, board string) (state []byte, v uint64, epoch string, err error)

	// Commit appends records, whose versions are consecutive, to the board's
	// log, durably, if and only if the board's head is records[0].V-1; else it
	// returns ErrConflict and stores nothing. When it returns nil the records
	// survive a crash of this process, and subscribers on every instance will
	// receive them (Redis: at most once; they recover gaps with History).
	Commit(ctx context.Context, board string, records []Record) error

	// History returns the records with V > since, in version order, at most
	// limit of them (limit <= 0: all). ErrTrimmed if the log no longer reaches
	// back to since+1.
	History(ctx context.Context, board string, since uint64, limit int) ([]Record, error)

	// Head returns the board's latest committed version and its epoch.
	Head(ctx context.Context, board string) (v uint64, epoch string, err error)

	// SaveSnapshot stores state as the board's snapshot at version v unless a
	// snapshot of a version >= v is already stored (snapshots only move
	// forward). It may trim the log behind v, keeping at least keep records
	// before v so that reconnecting clients can still catch up.
	SaveSnapshot(ctx context.Context, board string, v uint64, state []byte, keep uint64) error

	// Subscribe calls h's functions with what is published for board, by any
	// instance, until cancel is called. The records this instance committed
	// may be left out (its rooms have them; Redis skips them). They must
	// not block: they run on the broker's delivery path. Delivery may skip or
	// repeat records; the caller orders them by V and fills gaps with
	// History, and checks Head now and then for what was skipped.
	Subscribe(board string, h Handler) (cancel func(), err error)

	// PublishPresence sends an ephemeral presence message to the instances
	// that follow board, except this one (whose room already delivered it).
	// At most once; never stored.
	PublishPresence(ctx context.Context, board string, msg []byte) error

	// Delete removes a board and all its data.
	Delete(ctx context.Context, board string) error

	// Close releases the broker's resources after pending commits finish.
	Close() error
}
