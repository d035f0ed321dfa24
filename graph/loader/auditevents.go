package loader

import (
	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/auditevent"
)

// auditEdges are the workspace log entries that point at a record in one of four
// roles. Record, parent and related ids may name any node, so users and identities
// share these loaders.
type auditEdges struct {
	AuditEventsBySubjectUserID   *AuditEventConn
	AuditEventsByRecordID        *AuditEventConn
	AuditEventsByParentRecordID  *AuditEventConn
	AuditEventsByRelatedRecordID *AuditEventConn
}

func newAuditEdges(cfg Config, g *groups, j *joiner, client *ent.Client) auditEdges {
	return auditEdges{
		AuditEventsBySubjectUserID:   auditEventsBy(cfg, g, j, client, column(auditevent.FieldSubjectUserID)),
		AuditEventsByRecordID:        auditEventsBy(cfg, g, j, client, column(auditevent.FieldRecordID)),
		AuditEventsByParentRecordID:  auditEventsBy(cfg, g, j, client, column(auditevent.FieldParentRecordID)),
		AuditEventsByRelatedRecordID: auditEventsBy(cfg, g, j, client, column(auditevent.FieldRelatedRecordID)),
	}
}
