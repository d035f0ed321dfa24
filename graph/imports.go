package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/idgraph/idgraph/graph/model"
	"github.com/idgraph/idgraph/internal/apierror"
	"github.com/idgraph/idgraph/internal/directory"
	"github.com/idgraph/idgraph/internal/importer"
	"github.com/idgraph/idgraph/internal/viewer"
)

// maxImportRecords bounds importRecords: larger loads are idgraph import's.
const maxImportRecords = 1000

// importRecords runs an import of a request's records.
func importRecords(ctx context.Context, dir *directory.Service, input model.ImportRecordsInput) (*model.ImportRecordsPayload, error) {
	if len(input.Records) > maxImportRecords {
		return nil, &apierror.Error{Code: apierror.CodeBadUserInput,
			Message:    fmt.Sprintf("records: %d records; the limit is %d per request (idgraph import loads files of any size)", len(input.Records), maxImportRecords),
			Extensions: map[string]any{"field": "records", "limit": maxImportRecords}}
	}
	reader := importer.NewReader()
	for i, record := range input.Records {
		raw, err := json.Marshal(record)
		if err != nil {
			return nil, apierror.BadInputf("records[%d]: %v", i, err)
		}
		reader.Record(fmt.Sprintf("records[%d]", i), raw)
	}
	set := &reader.Set
	for _, need := range []struct {
		records    int
		permission string
	}{
		{len(set.Identities) + len(set.Memberships), viewer.DirectoryIdentityManage},
		{len(set.Integrations) + len(set.Resources), viewer.IntegrationManage},
	} {
		if need.records > 0 {
			if err := requirePermission(ctx, need.permission); err != nil {
				return nil, err
			}
		}
	}
	report, err := dir.Import(ctx, set, directory.ImportOptions{AllOrNothing: input.AllOrNothing != nil && *input.AllOrNothing})
	if err != nil && !errors.Is(err, directory.ErrNothingLoaded) {
		return nil, err
	}
	counts := func(c directory.ImportCounts) *model.ImportCounts {
		return &model.ImportCounts{Created: c.Created, Updated: c.Updated, Unchanged: c.Unchanged, Refused: c.Refused}
	}
	out := &model.ImportRecordsPayload{Integrations: counts(report.Integrations), Users: counts(report.Users),
		Identities: counts(report.Identities), Resources: counts(report.Resources), Memberships: counts(report.Memberships),
		Refused: make([]*model.ImportRefusal, 0, len(report.Refusals)), ClientMutationID: input.ClientMutationID}
	for _, r := range report.Refusals {
		refusal := &model.ImportRefusal{Code: r.Error.Code, Message: r.Error.Message}
		_, _ = fmt.Sscanf(strings.TrimPrefix(r.Origin, "records["), "%d]", &refusal.Index)
		if r.Kind != "" {
			refusal.Kind = &r.Kind
		}
		if r.ExternalID != "" {
			refusal.ID = &r.ExternalID
		}
		out.Refused = append(out.Refused, refusal)
	}
	return out, nil
}
