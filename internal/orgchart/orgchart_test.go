package orgchart_test

import (
	"context"
	"errors"
	"testing"

	"github.com/idgraph/idgraph/internal/orgchart"
)

// org: ceo <- vp <- director <- manager <- engineer; ceo <- cfo
var org = map[string]string{"vp": "ceo", "director": "vp", "manager": "director", "engineer": "manager", "cfo": "ceo"}

func lookup(chart map[string]string) orgchart.ManagerOf {
	return func(_ context.Context, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = chart[id]
		}
		return out, nil
	}
}

func TestCheckManager(t *testing.T) {
	cases := []struct {
		user, manager string
		cycle         bool
	}{
		{"engineer", "cfo", false},    // a move across the organisation
		{"director", "ceo", false},    // a promotion
		{"ceo", "", false},            // the top has no manager
		{"vp", "vp", true},            // itself
		{"vp", "engineer", true},      // four levels below
		{"ceo", "cfo", true},          // a direct report
		{"manager", "engineer", true}, // its own report
		{"engineer", "director", false},
	}
	for _, tc := range cases {
		err := orgchart.CheckManager(context.Background(), tc.user, tc.manager, lookup(org))
		var ce *orgchart.CycleError
		if tc.cycle != errors.As(err, &ce) || (!tc.cycle && err != nil) {
			t.Errorf("%s reports to %q: %v", tc.user, tc.manager, err)
		}
	}
}

func TestExistingLoopDoesNotHang(t *testing.T) {
	broken := map[string]string{"a": "b", "b": "c", "c": "a"}
	err := orgchart.CheckManager(context.Background(), "x", "a", lookup(broken))
	if err == nil {
		t.Fatal("accepted a manager whose chain loops")
	}
}

func TestLookupErrorsPropagate(t *testing.T) {
	boom := errors.New("db down")
	err := orgchart.CheckManager(context.Background(), "x", "a", func(context.Context, []string) (map[string]string, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}
