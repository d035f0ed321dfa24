package loader

import (
	"github.com/idgraph/idgraph/ent"
	"github.com/idgraph/idgraph/ent/identity"
	"github.com/idgraph/idgraph/ent/membership"
	"github.com/idgraph/idgraph/ent/resource"
)

// identityEdges are the relations between identities, integrations and resources.
type identityEdges struct {
	IdentitiesByIntegrationID *IdentityConn
	ResourcesByIntegrationID  *ResourceConn
	ResourcesByIdentityID     *ResourceConn
	IdentitiesByResourceID    *IdentityConn
}

func newIdentityEdges(cfg Config, g *groups, j *joiner, client *ent.Client) identityEdges {
	return identityEdges{
		IdentitiesByIntegrationID: identitysBy(cfg, g, j, client, column(identity.FieldIntegrationID)),
		ResourcesByIntegrationID:  resourcesBy(cfg, g, j, client, column(resource.FieldIntegrationID)),
		ResourcesByIdentityID:     resourcesBy(cfg, g, j, client, through(membership.Table, membership.FieldResourceID, membership.FieldIdentityID, false)),
		IdentitiesByResourceID:    identitysBy(cfg, g, j, client, through(membership.Table, membership.FieldIdentityID, membership.FieldResourceID, false)),
	}
}
