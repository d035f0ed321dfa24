package policy

// FixedAttributes are the directory attributes stored as columns of users,
// named as their columns; every other key is an open attribute (user_attributes).
var FixedAttributes = []string{"title", "department", "division", "company", "office", "cost_center"}

// IsFixed reports whether key is one of FixedAttributes.
func IsFixed(key string) bool {
	for _, k := range FixedAttributes {
		if k == key {
			return true
		}
	}
	return false
}

// Relation names a standing: the relations users and rules are in.
type Relation string

const (
	Qualified   Relation = "qualified"
	Manifest    Relation = "manifest"
	Staged      Relation = "staged"
	Missing     Relation = "missing"
	Unqualified Relation = "unqualified"
)
