// Package importer reads records in the shapes of the REST APIs teams move
// from (directory users with org, metadata, manager and parent ids;
// identities with their integration and user; integrations; resources;
// memberships) from JSON or NDJSON, into the records an import writes
// (directory.ImportSet). It only reads: the rules of each field and the writes
// are internal/directory's.
package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/directory"
)

// Reader gathers the records of several files (or of one request) into one set.
type Reader struct {
	Set directory.ImportSet
	// integrations names the integrations the set holds, by external id: an
	// identity's included integration is read once, and an integration
	// record of its own wins over it.
	integrations map[string]int
	included     map[string]bool
}

// NewReader returns an empty Reader.
func NewReader() *Reader {
	return &Reader{integrations: map[string]int{}, included: map[string]bool{}}
}

// maxRecordBytes bounds one record (a line of NDJSON, an element of an array).
const maxRecordBytes = 16 << 20

// ReadFile reads the records of one JSON or NDJSON stream named name: a JSON
// array of records, or one record per line. An unreadable record is refused
// with its line; the stream's other records are read. A JSON array that is
// not well-formed cannot be read past the fault and fails as a whole.
func (r *Reader) ReadFile(name string, in io.Reader) error {
	br := bufio.NewReaderSize(in, 1<<20)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if first == '[' {
		return r.readArray(name, br)
	}
	return r.readLines(name, br)
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // blanks and a byte-order mark
			_, _ = br.ReadByte()
		default:
			return b[0], nil
		}
	}
}

func (r *Reader) readLines(name string, br *bufio.Reader) error {
	for line := 1; ; line++ {
		raw, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it, up to the record limit.
			long := append([]byte(nil), raw...)
			for err == bufio.ErrBufferFull && len(long) <= maxRecordBytes {
				raw, err = br.ReadSlice('\n')
				long = append(long, raw...)
			}
			if len(long) > maxRecordBytes {
				r.unread(fmt.Sprintf("%s:%d", name, line), "", fmt.Errorf("the record is larger than %d bytes", maxRecordBytes))
				for err == bufio.ErrBufferFull {
					_, err = br.ReadSlice('\n')
				}
				if err == io.EOF {
					return nil
				}
				continue
			}
			raw = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 {
			r.Record(fmt.Sprintf("%s:%d", name, line), trimmed)
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readArray reads the elements of a JSON array one at a time, so a file of
// any size is read in bounded memory.
func (r *Reader) readArray(name string, br *bufio.Reader) error {
	lines := &lineCounter{r: br}
	dec := json.NewDecoder(lines)
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s:%d: the array is not well-formed JSON: %w", name, lines.lineAt(dec.InputOffset()), err)
		}
		// The decoder has consumed the element, which ends at its offset.
		r.Record(fmt.Sprintf("%s:%d", name, lines.lineAt(dec.InputOffset()-int64(len(raw)))), raw)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// lineCounter remembers where the newlines of what it read are, so that an
// offset turns into a line number.
type lineCounter struct {
	r        io.Reader
	offset   int64
	newlines []int64
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.newlines = append(l.newlines, l.offset+int64(i))
		}
	}
	l.offset += int64(n)
	return n, err
}

// lineAt is the line of the byte at offset.
func (l *lineCounter) lineAt(offset int64) int {
	return 1 + sort.Search(len(l.newlines), func(i int) bool { return l.newlines[i] >= offset })
}

// Record reads one record, found at origin.
func (r *Reader) Record(origin string, raw []byte) {
	// idgraph stores no NUL character (PostgreSQL refuses them in text and
	// JSON): such a record is refused here rather than failing the import.
	if bytes.Contains(raw, []byte(`\u0000`)) {
		r.unread(origin, "", fmt.Errorf("the record holds a NUL character (\\u0000), which idgraph does not store"))
		return
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		r.unread(origin, "", fmt.Errorf("not a JSON object: %s", apierror.Clip(err.Error())))
		return
	}
	kind, err := kindOf(members)
	if err != nil {
		r.unread(origin, "", err)
		return
	}
	if err := readers[kind](r, origin, raw); err != nil {
		var id string
		_ = json.Unmarshal(members["id"], &id)
		r.unreadID(origin, kind, id, err)
	}
}

func (r *Reader) unread(origin, kind string, err error) { r.unreadID(origin, kind, "", err) }

func (r *Reader) unreadID(origin, kind, id string, err error) {
	e, ok := apierror.As(err)
	if !ok {
		e = &apierror.Error{Code: apierror.CodeBadUserInput, Message: err.Error()}
	}
	r.Set.Unread = append(r.Set.Unread, directory.ImportRefusal{Origin: origin, Kind: kind, ExternalID: id, Error: e})
}

// kinds spells each kind of record a record_type may name.
var kinds = map[string]string{
	"user": "user", "directory_user": "user",
	"identity": "identity", "directory_identity": "identity",
	"integration": "integration", "workspace_integration": "integration",
	"resource": "resource", "membership": "membership",
}

// prefixes are the kinds of ids that say what they are (idgraph's own, and
// the directory API's): drusr_... is a user.
var prefixes = map[string]string{"drusr_": "user", "dridt_": "identity", "wsint_": "integration", "rsrc_": "resource"}

// kindOf tells what a record is: its record_type, else its id's prefix, else
// the members of a membership.
func kindOf(members map[string]json.RawMessage) (string, error) {
	if raw, ok := members["record_type"]; ok {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil || kinds[strings.ToLower(name)] == "" {
			return "", fmt.Errorf("record_type %s: want one of user, identity, integration, resource, membership", apierror.Clip(string(raw)))
		}
		return kinds[strings.ToLower(name)], nil
	}
	var id string
	if raw, ok := members["id"]; ok && json.Unmarshal(raw, &id) == nil {
		for prefix, kind := range prefixes {
			if strings.HasPrefix(id, prefix) {
				return kind, nil
			}
		}
	}
	_, resource := members["resource_id"]
	_, identity := members["directory_identity_id"]
	if resource && identity && members["id"] == nil {
		return "membership", nil
	}
	return "", fmt.Errorf("cannot tell what this record is from its id: give it a record_type (user, identity, integration, resource or membership)")
}

// decodeStrict decodes a record, refusing members its shape does not have.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
