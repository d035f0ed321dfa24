// Package directory is idgraph's one write path: users, identities,
// integrations, resources, memberships and policy records. Every change is
// validated, checked against the state and management rules
// (internal/lifecycle, internal/orgchart), guarded by the row's version when the
// caller passes one, and written in one transaction together with its audit
// entry. Tenant scoping comes from the ent hooks and interceptors: an id of
// another tenant is simply not found.
package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/viewer"
)

// Service writes to the directory.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a Service over client.
func New(client *ent.Client) *Service {
	return &Service{client: client, now: time.Now}
}

// inTx runs f in a transaction: a failed change leaves the database as it was,
// and so does a panic, which is rolled back at once (on SQLite an open write
// transaction holds the only write lock) and then passed on. A change made as
// part of a larger one (an import) runs in that one's transaction (withTx).
func (s *Service) inTx(ctx context.Context, f func(tx *ent.Tx) error) (err error) {
	if tx, ok := ctx.Value(txKey{}).(*ent.Tx); ok {
		return f(tx)
	}
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

type txKey struct{}

// withTx makes the changes made with ctx part of tx. The caller checks what it
// can before: on PostgreSQL a statement that fails ends the transaction.
func withTx(ctx context.Context, tx *ent.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// fieldError is a BAD_USER_INPUT error about one input field.
func fieldError(field, format string, args ...any) *apierror.Error {
	return &apierror.Error{
		Code:       apierror.CodeBadUserInput,
		Message:    field + ": " + fmt.Sprintf(format, args...),
		Extensions: map[string]any{"field": field},
	}
}

// checkVersion refuses a change to a row that moved on since the client read it.
func checkVersion(typ, id string, current int, want *int) error {
	if want == nil || *want == current {
		return nil
	}
	return &apierror.Error{
		Code:       apierror.CodeConflict,
		Message:    fmt.Sprintf("%s %s is at version %d, not %d: read it again and retry", typ, id, current, *want),
		Extensions: map[string]any{"currentVersion": current},
	}
}

// versionOr reports a write that matched no row as a version conflict (another
// writer got in first), and anything else as it is.
func versionOr(err error, typ string, id *string) error {
	if id != nil && ent.IsNotFound(err) {
		return &apierror.Error{Code: apierror.CodeConflict, Message: fmt.Sprintf("%s %s changed while this request ran: read it again and retry", typ, *id)}
	}
	return err
}

// notFound turns ent's not-found into the API's, naming what was looked for.
func notFound(err error, typ, id string) error {
	if ent.IsNotFound(err) {
		return apierror.NotFound(typ, id)
	}
	return err
}

func validEmail(field, email string) error {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return fieldError(field, "%q is not an email address", email)
	}
	// A domain a message can reach has a dot (a@b is a local name).
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if !strings.Contains(strings.Trim(domain, "."), ".") {
		return fieldError(field, "%q has no domain with a dot", email)
	}
	return nil
}

// Metadata limits: enough for tags and a few nested settings, not a document store.
const (
	maxMetadataBytes = 16 << 10
	maxMetadataDepth = 5
)

func validMetadata(field string, m map[string]any) error {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fieldError(field, "is not JSON")
	}
	if len(b) > maxMetadataBytes {
		return fieldError(field, "is %d bytes of JSON; the limit is %d", len(b), maxMetadataBytes)
	}
	if d := depth(m); d > maxMetadataDepth {
		return fieldError(field, "nests %d levels deep; the limit is %d", d, maxMetadataDepth)
	}
	return nil
}

func depth(v any) int {
	deepest := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			deepest = max(deepest, depth(x))
		}
		return deepest + 1
	case []any:
		for _, x := range v {
			deepest = max(deepest, depth(x))
		}
		return deepest + 1
	}
	return 0
}

// conflictOnEmail reports a duplicate email as CONFLICT on the field.
// maxExternalID bounds an external id: GUIDs and vendor ids are far shorter.
const maxExternalID = 255

// validExternalID refuses an empty or oversized external id (null clears one).
func validExternalID(id *string) error {
	switch {
	case id == nil:
		return nil
	case *id == "":
		return fieldError("externalId", "is empty: give null to remove it")
	case utf8.RuneCountInString(*id) > maxExternalID:
		return fieldError("externalId", "is %d characters; the limit is %d", utf8.RuneCountInString(*id), maxExternalID)
	}
	return nil
}

// conflictOnExternalID turns a second live record of a type with one external
// id into a CONFLICT that names the field; other errors go to next (or as they are).
func conflictOnExternalID(next func(error) error) func(error) error {
	return func(err error) error {
		var ce *ent.ConstraintError
		if errors.As(err, &ce) && strings.Contains(err.Error(), "external_id") {
			return &apierror.Error{Code: apierror.CodeConflict, Message: "externalId: another record of this type in the tenant has that external id",
				Extensions: map[string]any{"field": "externalId"}, Err: err}
		}
		if next != nil {
			return next(err)
		}
		return err
	}
}

func conflictOnEmail(err error) error {
	var ce *ent.ConstraintError
	if errors.As(err, &ce) {
		return &apierror.Error{Code: apierror.CodeConflict, Message: "email: another user of this tenant has that email",
			Extensions: map[string]any{"field": "email"}, Err: err}
	}
	return err
}

// redacted fields keep their name in the workspace log but not their value.
var redacted = map[string]bool{"badge_id": true, "employee_id": true, "employee_alt_id": true, "metadata": true, "profile": true}

// change is one field's before and after, as the workspace log records it.
type change struct {
	Before any `json:"before"`
	After  any `json:"after"`
}

// changes builds the log's changes map, redacting PII.
func changes(fields map[string]change) map[string]any {
	out := make(map[string]any, len(fields))
	for name, c := range fields {
		if redacted[name] {
			c = change{Before: "[redacted]", After: "[redacted]"}
		}
		out[name] = map[string]any{"before": c.Before, "after": c.After}
	}
	return out
}

// event is one workspace-log entry.
type event struct {
	// tenant is set by changes made above tenants (the expiration job); a
	// request's changes take the caller's tenant.
	tenant  string
	action  string
	subject *string // the directory user the change is about
	record  string  // the changed record
	parent  *string // its parent, e.g. the user of an identity
	fields  map[string]change
}

// log writes the workspace-log entry of a change, in its transaction.
func (s *Service) log(ctx context.Context, tx *ent.Tx, e event) error {
	create := tx.AuditEvent.Create()
	if e.tenant != "" {
		create.SetTenantID(e.tenant)
	}
	return create.
		SetAction(e.action).
		SetActor(viewer.FromContext(ctx).Actor()).
		SetChanges(changes(e.fields)).
		SetOccurredAt(s.now()).
		SetNillableSubjectUserID(e.subject).
		SetNillableRecordID(nonEmpty(e.record)).
		SetNillableParentRecordID(e.parent).
		Exec(ctx)
}

// logAll writes the entries of many changes, in their transaction, in
// statements of many rows.
func (s *Service) logAll(ctx context.Context, tx *ent.Tx, events []event) error {
	actor, now := viewer.FromContext(ctx).Actor(), s.now()
	creates := make([]*ent.AuditEventCreate, len(events))
	for i, e := range events {
		creates[i] = tx.AuditEvent.Create().SetAction(e.action).SetActor(actor).SetChanges(changes(e.fields)).
			SetOccurredAt(now).SetNillableSubjectUserID(e.subject).SetNillableRecordID(nonEmpty(e.record)).
			SetNillableParentRecordID(e.parent)
	}
	return tx.AuditEvent.CreateBulk(creates...).Exec(ctx)
}

// nonEmpty is s, or nil when s is empty (an entry about no one record).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Export is one export of a connection's rows, for the workspace log.
type Export struct {
	Root, Query, Format string
	Rows                int
	// Error is why the export stopped before its last row, if it did.
	Error string
}

// maxLoggedQuery bounds the query kept in the log.
const maxLoggedQuery = 4096

// LogExport records who exported what: the root field, the query, the
// format and how many rows went out.
func (s *Service) LogExport(ctx context.Context, e Export) error {
	query := e.Query
	if len(query) > maxLoggedQuery {
		query = query[:maxLoggedQuery]
	}
	fields := map[string]change{"root": {After: e.Root}, "query": {After: query}, "format": {After: e.Format}, "rows": {After: e.Rows}}
	if e.Error != "" {
		fields["error"] = change{After: e.Error}
	}
	return s.inTx(ctx, func(tx *ent.Tx) error {
		return s.log(ctx, tx, event{action: "data.exported", fields: fields})
	})
}
