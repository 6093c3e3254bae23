package hub

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// wal is the LocalBroker's commit log: records appended to segment files,
// one write and one fdatasync per group commit. It is what makes a commit
// durable; bbolt receives the records later, in the background, in one
// transaction per checkpoint (a bbolt transaction costs two fsyncs and a
// copy of every page it touches, too much to pay per keystroke).
//
// A segment is a run of frames:
//
//	[4] payload length, little endian
//	[4] CRC-32C of the payload
//	payload: [1] board id length, board id, [8] version (little endian), record data
//
// A crash can leave a torn frame only at the end of the last segment, and
// that frame was never acknowledged (acks wait for the fdatasync): replay
// stops there. A bad frame anywhere else is corruption and is reported.
type wal struct {
	dir string
	// f is the segment being written, number seg; size is where its next
	// frame goes (the end of the last whole frame).
	f    *os.File
	seg  uint64
	size int64
	// sealed lists the segments filled since the checkpoint last took
	// them (takeSealed): once their records are in bbolt they go.
	sealed []uint64
	// buf is reused for the frames of one group commit.
	buf []byte
	// broken is set when a failed write could not be undone: the file's
	// tail is unknown, nothing more is written.
	broken error

	// spare is a segment preallocated ahead by a goroutine (preparing
	// tells one is at work), so that starting a segment is a rename.
	spare     chan *os.File
	preparing bool
	wg        sync.WaitGroup
}

const (
	// segSize is what a segment is preallocated to, with zeros. An
	// fdatasync after writing inside the file's size needs no journal
	// commit for its metadata: about 30 % less CPU and 25 % less time per
	// sync than appending (measured here: 62 against 89 µs of CPU).
	segSize = 8 << 20
	// spareName is the segment being preallocated; it does not end in
	// walExt, so replay never reads it.
	spareName = "spare.tmp"
	walHeader = 8
	// walMaxPayload bounds a frame read back (a corrupted length must not
	// make replay allocate gigabytes); records are far smaller (a frame of
	// the protocol is at most 768 KiB).
	walMaxPayload = 64 << 20
	walExt        = ".wal"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// walFrame is one record read back from a segment.
type walFrame struct {
	board string
	rec   Record
}

// appendFrame encodes one record at the end of buf.
func appendFrame(buf []byte, board string, r Record) []byte {
	n := 1 + len(board) + 8 + len(r.Data)
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	buf = append(buf, 0, 0, 0, 0) // CRC, filled below
	buf = append(buf, byte(len(board)))
	buf = append(buf, board...)
	buf = binary.LittleEndian.AppendUint64(buf, r.V)
	buf = append(buf, r.Data...)
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+walHeader:], crcTable))
	return buf
}

// parseFrames decodes the frames of one segment. It returns the frames up to
// the first that is not whole or does not check, and where that one starts
// (len(data) when every frame is good).
func parseFrames(data []byte) (frames []walFrame, good int) {
	for off := 0; ; {
		if len(data)-off < walHeader {
			return frames, off
		}
		n := int(binary.LittleEndian.Uint32(data[off:]))
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if n < 1+8 || n > walMaxPayload || len(data)-off-walHeader < n {
			return frames, off
		}
		p := data[off+walHeader : off+walHeader+n]
		if crc32.Checksum(p, crcTable) != sum {
			return frames, off
		}
		bl := int(p[0])
		if 1+bl+8 > n {
			return frames, off
		}
		frames = append(frames, walFrame{
			board: string(p[1 : 1+bl]),
			rec:   Record{V: binary.LittleEndian.Uint64(p[1+bl:]), Data: p[1+bl+8:]},
		})
		off += walHeader + n
	}
}

func segName(n uint64) string { return fmt.Sprintf("%016x%s", n, walExt) }

// listSegments returns the segment numbers in dir, oldest first.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, walExt) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, walExt), 16, 64)
		if err != nil {
			continue
		}
		segs = append(segs, n)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i] < segs[j] })
	return segs, nil
}

// readSegments replays every segment of dir in order through fn. A torn
// tail is accepted on the last segment only.
func readSegments(dir string, fn func(walFrame) error) (segs []uint64, err error) {
	segs, err = listSegments(dir)
	if err != nil {
		return nil, err
	}
	for i, n := range segs {
		data, err := os.ReadFile(filepath.Join(dir, segName(n)))
		if err != nil {
			return nil, err
		}
		frames, good := parseFrames(data)
		if !allZero(data[good:]) && i != len(segs)-1 {
			return nil, fmt.Errorf("hub: commit log %s is damaged at byte %d (not its end): refusing to start without the records after it", segName(n), good)
		}
		for _, fr := range frames {
			if err := fn(fr); err != nil {
				return nil, err
			}
		}
	}
	return segs, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// openWAL prepares dir for segments: a spare left by a crash goes.
func openWAL(dir string) (*wal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(filepath.Join(dir, spareName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return &wal{dir: dir, spare: make(chan *os.File, 1)}, nil
}

// preallocate fills f with segSize zeros and syncs them.
func preallocate(f *os.File) error {
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < segSize; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros, off); err != nil {
			return err
		}
	}
	return fdatasync(f)
}

// prepareSpare makes the next segment's file in the background.
func (w *wal) prepareSpare() {
	w.preparing = true
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f, err := os.OpenFile(filepath.Join(w.dir, spareName), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err == nil {
			if err = preallocate(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			f = nil // the writer then makes its segment itself
		}
		w.spare <- f
	}()
}

// openSegment starts segment n, from the spare when it is ready, and makes
// its name durable, so that what is synced into it is found again after a
// crash.
func (w *wal) openSegment(n uint64) error {
	name := filepath.Join(w.dir, segName(n))
	var f *os.File
	select {
	case f = <-w.spare:
		w.preparing = false
		if f != nil {
			if err := os.Rename(filepath.Join(w.dir, spareName), name); err != nil {
				f.Close()
				f = nil
			}
		}
	default:
	}
	if f == nil {
		var err error
		if f, err = os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err != nil {
			return err
		}
		if err := preallocate(f); err != nil {
			f.Close()
			os.Remove(name)
			return err
		}
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.seg, w.size = f, n, 0
	if !w.preparing {
		w.prepareSpare()
	}
	return nil
}

// append writes buf (whole frames) after the last frame and syncs it,
// starting a new segment first when this one is full. On failure the bytes
// written are zeroed again, so that no torn frame stays before a later
// one; if even that fails the log stops taking writes.
func (w *wal) append(buf []byte) error {
	if w.broken != nil {
		return w.broken
	}
	if w.size > 0 && w.size+int64(len(buf)) > segSize {
		// Should a new segment not start (disk full, say), this one grows
		// past its preallocation: slower syncs, nothing refused.
		if err := w.openSegment(w.seg + 1); err == nil {
			w.sealed = append(w.sealed, w.seg-1)
		}
	}
	_, err := w.f.WriteAt(buf, w.size)
	if err == nil {
		err = fdatasync(w.f)
	}
	if err == nil {
		w.size += int64(len(buf))
		return nil
	}
	if _, zerr := w.f.WriteAt(make([]byte, len(buf)), w.size); zerr != nil {
		w.broken = fmt.Errorf("commit log unusable after a failed write (%v): %w", err, zerr)
		return w.broken
	}
	if serr := fdatasync(w.f); serr != nil {
		w.broken = fmt.Errorf("commit log unusable after a failed write (%v): %w", err, serr)
		return w.broken
	}
	return err
}

// takeSealed returns the segments filled since the last call.
func (w *wal) takeSealed() []uint64 {
	s := w.sealed
	w.sealed = nil
	return s
}

// close closes the segment and waits for the spare, which it removes.
func (w *wal) close() error {
	w.wg.Wait()
	select {
	case f := <-w.spare:
		if f != nil {
			f.Close()
			os.Remove(filepath.Join(w.dir, spareName))
		}
	default:
	}
	w.preparing = false
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

func removeSegments(dir string, segs []uint64) error {
	var errs []error
	for _, n := range segs {
		if err := os.Remove(filepath.Join(dir, segName(n))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
