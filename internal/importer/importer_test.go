package importer

import (
	"strings"
	"testing"
)

func TestRecordsAreToldApartAndPlaced(t *testing.T) {
	ndjson := `{"id":"drusr_01hq8xyzabc123def456ghi789","email":"a@x.io","org":{"title":"CTO","level":"L8"}}

{"record_type":"user","id":"15679071-4a5e-41e3-a495-5d93b478257b","email":"b@x.io","included":{"parent_user":{"id":"drusr_01hq8xyzabc123def456ghi789","state":"active"}}}
{"id":"dridt_1","vendor_id":"00u1","included":{"workspace_integration":{"id":"wsint_1","vendor":"okta","is_primary":true},"directory_user":{"id":"drusr_01hq8xyzabc123def456ghi789","full_name":"A"}}}
{"id":"dridt_2","vendor_id":"00u2","included":{"workspace_integration":{"id":"wsint_1","vendor":"okta"}}}
{"id":"wsint_1","vendor":"okta","name":"Okta"}
{"resource_id":"rsrc_1","directory_identity_id":"dridt_1","role":"owner"}
{"id":"2489E9AD","email":"c@x.io"}
{"record_type":"user","id":"u9","email":"d@x.io","nickname":"d"}
{"record_type":"identity","id":"i9","vendor_id":"v","workspace_integration_id":"wsint_1","state":"gone"}
[1, 2]
{"record_type":"device","id":"x"}
{"record_type":"user","id":"n","email":"n@x.io","first_name":"a\u0000b"}
`
	r := NewReader()
	if err := r.ReadFile("in.ndjson", strings.NewReader(ndjson)); err != nil {
		t.Fatal(err)
	}
	s := r.Set
	if len(s.Users) != 2 || len(s.Identities) != 2 || len(s.Integrations) != 1 || len(s.Memberships) != 1 {
		t.Fatalf("read %d users, %d identities, %d integrations, %d memberships", len(s.Users), len(s.Identities), len(s.Integrations), len(s.Memberships))
	}
	u := s.Users[0]
	if u.Origin != "in.ndjson:1" || !u.WholeOrg || u.Fields.Title == nil || *u.Fields.Title != "CTO" || *u.Fields.Department != "" ||
		len(u.Fields.Attributes) != 1 || u.Fields.Attributes[0].Key != "level" {
		t.Errorf("user with org: %+v", u)
	}
	if p := s.Users[1].Parent; s.Users[1].Origin != "in.ndjson:3" || p == nil || *p != "drusr_01hq8xyzabc123def456ghi789" {
		t.Errorf("the parent from included.parent_user: %+v", s.Users[1])
	}
	if i := s.Identities[0]; i.Integration != "wsint_1" || i.User == nil || *i.User != "drusr_01hq8xyzabc123def456ghi789" {
		t.Errorf("identity with included integration and user: %+v", i)
	}
	// The integration's own record wins over the copies identities include.
	if in := s.Integrations[0]; in.Origin != "in.ndjson:6" || in.Fields.Name == nil || *in.Fields.Name != "Okta" {
		t.Errorf("integration: %+v", in)
	}
	if m := s.Memberships[0]; m.Resource != "rsrc_1" || m.Identity != "dridt_1" || m.Role == nil || *m.Role != "owner" {
		t.Errorf("membership: %+v", m)
	}
	want := map[string]string{
		"in.ndjson:8":  "record_type",
		"in.ndjson:9":  `unknown field "nickname"`,
		"in.ndjson:10": `state "gone"`,
		"in.ndjson:11": "not a JSON object",
		"in.ndjson:12": "record_type",
		"in.ndjson:13": "NUL character",
	}
	if len(s.Unread) != len(want) {
		t.Fatalf("unread: %+v", s.Unread)
	}
	for _, u := range s.Unread {
		if !strings.Contains(u.Error.Message, want[u.Origin]) || want[u.Origin] == "" {
			t.Errorf("%s: %s, want it to say %q", u.Origin, u.Error.Message, want[u.Origin])
		}
	}
}

func TestArraysReportTheLineOfEachRecord(t *testing.T) {
	array := `[
  {
    "id": "drusr_01hq8xyzabc123def456ghi789",
    "email": "a@x.io"
  },

  {"id": "drusr_bad", "email": "b@x.io", "extra": 1},
  {"record_type": "user",
   "id": "u3", "email": "c@x.io"}
]`
	r := NewReader()
	if err := r.ReadFile("users.json", strings.NewReader(array)); err != nil {
		t.Fatal(err)
	}
	if len(r.Set.Users) != 2 || r.Set.Users[0].Origin != "users.json:2" || r.Set.Users[1].Origin != "users.json:8" {
		t.Errorf("users: %+v", r.Set.Users)
	}
	if len(r.Set.Unread) != 1 || r.Set.Unread[0].Origin != "users.json:7" {
		t.Errorf("unread: %+v", r.Set.Unread)
	}
	if err := NewReader().ReadFile("broken.json", strings.NewReader("[\n{\"id\": 1},\n{\"id\": \n")); err == nil ||
		!strings.Contains(err.Error(), "broken.json:") {
		t.Errorf("a broken array: %v", err)
	}
}
