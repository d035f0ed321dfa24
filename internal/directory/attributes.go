package directory

import (
	"context"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/userattribute"
	"github.com/idgraph/idgraph/internal/policy"
)

// Attribute sets one directory attribute of a user; a nil value removes it.
// The six fixed keys (policy.FixedAttributes) are columns of users, set here
// as by their own fields; every other key is an open attribute.
type Attribute struct {
	Key   string
	Value *string
}

// Attributes are the attributes one write sets, each key at most once.
type Attributes []Attribute

// byKey is a by its keys; validate has made sure each comes once.
func (a Attributes) byKey() map[string]*string {
	m := make(map[string]*string, len(a))
	for _, kv := range a {
		m[kv.Key] = kv.Value
	}
	return m
}

const (
	maxAttributesPerWrite = 64
	maxAttributeValue     = 1024
)

// attributeKey is a key's shape: lower case, as seed directories name org dimensions.
var attributeKey = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

func (a Attributes) validate(f UserFields) error {
	if len(a) > maxAttributesPerWrite {
		return fieldError("attributes", "sets %d keys; the limit is %d per write", len(a), maxAttributesPerWrite)
	}
	fixed := map[string]*string{"title": f.Title, "department": f.Department, "division": f.Division,
		"company": f.Company, "office": f.Office, "cost_center": f.CostCenter}
	seen := map[string]bool{}
	for _, kv := range a {
		key, v := kv.Key, kv.Value
		if seen[key] {
			return fieldError("attributes", "%q is given twice", key)
		}
		seen[key] = true
		if !attributeKey.MatchString(key) {
			return fieldError("attributes", "key %q: lower-case letters, digits, '_', '.' or '-', starting with a letter, at most 64", key)
		}
		if v != nil && utf8.RuneCountInString(*v) > maxAttributeValue {
			return fieldError("attributes", "%s: the value is %d characters; the limit is %d", key, utf8.RuneCountInString(*v), maxAttributeValue)
		}
		if fixed[key] != nil {
			return fieldError("attributes", "%s is given twice, as a field and as an attribute", key)
		}
	}
	return nil
}

// applyFixed sets the fixed keys on m (a removed one becomes empty).
func (a Attributes) applyFixed(m *ent.UserMutation) {
	for _, kv := range a {
		key, v := kv.Key, kv.Value
		if !policy.IsFixed(key) {
			continue
		}
		value := ""
		if v != nil {
			value = *v
		}
		_ = m.SetField(key, value) // the fixed keys are string columns of users
	}
}

// writeOpen writes the open keys of user userID and adds what changed to
// changes, as attributes.<key>.
func (a Attributes) writeOpen(ctx context.Context, tx *ent.Tx, userID string, changes map[string]change) error {
	values := a.byKey()
	var keys []string
	for key := range values {
		if !policy.IsFixed(key) {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	current, err := tx.UserAttribute.Query().
		Where(userattribute.UserID(userID), userattribute.KeyIn(keys...)).All(ctx)
	if err != nil {
		return err
	}
	existing := map[string]*ent.UserAttribute{}
	for _, row := range current {
		existing[row.Key] = row
	}
	for _, key := range keys {
		v, row := values[key], existing[key]
		switch {
		case v == nil && row == nil:
			continue
		case v == nil:
			if err := tx.UserAttribute.DeleteOne(row).Exec(ctx); err != nil {
				return err
			}
			changes["attributes."+key] = change{Before: row.Value, After: nil}
		case row == nil:
			if err := tx.UserAttribute.Create().SetUserID(userID).SetKey(key).SetValue(*v).Exec(ctx); err != nil {
				return err
			}
			changes["attributes."+key] = change{Before: nil, After: *v}
		case row.Value != *v:
			if err := tx.UserAttribute.UpdateOne(row).SetValue(*v).Exec(ctx); err != nil {
				return err
			}
			changes["attributes."+key] = change{Before: row.Value, After: *v}
		}
	}
	return nil
}
