package importer

import (
	"bytes"
	"testing"
)

// FuzzReadFile: whatever a file holds, reading it never panics, and every
// record in it is either read or refused with where it was.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(`{"id":"drusr_1","email":"a@x.io","org":{"title":"CTO"},"included":{"parent_user":null}}` + "\n" + `{"resource_id":"r","directory_identity_id":"i"}`))
	f.Add([]byte(`[{"record_type":"identity","id":"i","included":{"workspace_integration":{"id":"w","vendor":"okta"},"directory_user":{"id":"u"}}}]`))
	f.Add([]byte(`[{"id": "wsint_1", "vendor": "nope"}, 3, "x", null, {"record_type": 7}]`))
	f.Add([]byte("\xef\xbb\xbf{\"id\":\"rsrc_1\",\"kind\":\"okta_group\",\"timestamp\":{\"expires_at\":\"not a time\"}}\n\n{"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader()
		if err := r.ReadFile("in", bytes.NewReader(in)); err != nil {
			return // a broken array is refused as a whole
		}
		s := r.Set
		for _, u := range s.Unread {
			if u.Origin == "" || u.Error == nil || u.Error.Message == "" {
				t.Fatalf("a refusal without its origin or reason: %+v", u)
			}
		}
		records := len(s.Users) + len(s.Identities) + len(s.Resources) + len(s.Memberships) + len(s.Unread)
		if lines := bytes.Count(in, []byte("\n")) + 1; !bytes.Contains(in, []byte("[")) && records > lines {
			t.Fatalf("%d records from %d lines", records, lines)
		}
	})
}
