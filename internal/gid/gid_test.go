package gid

import (
	"errors"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	user := New(User)
	cases := []struct {
		id, table string
		ok        bool
	}{
		{user, "users", true},
		{New(Identity), "identities", true},
		{New(PolicyAssignment), "policy_assignments", true},
		{"drusr_01hq8xyzabc123def456ghi789", "", false}, // 'u' and 'i' are not Crockford base32
		{"nope", "", false},
		{"xx_01hk240nm02rnpwbehf8hmr4wz", "", false},
		{"drusr_", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		table, err := Table(tc.id)
		if tc.ok != (err == nil) || table != tc.table {
			t.Errorf("Table(%q) = %q, %v", tc.id, table, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("Table(%q) error %v is not ErrMalformed", tc.id, err)
		}
	}
	if err := Validate(user, Identity); !errors.Is(err, ErrMalformed) {
		t.Errorf("a user id validated as an identity id")
	}
}

func TestNewSortsByTime(t *testing.T) {
	a, b := NewAt(User, time.Unix(100, 0)), NewAt(User, time.Unix(200, 0))
	if !(a < b) {
		t.Errorf("%s should sort before %s", a, b)
	}
}
