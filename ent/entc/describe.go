package main

import (
	"fmt"
	"regexp"
	"strings"

	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

// describe gives every generated type, field, argument and enum value a
// description, so the playground's docs pane is the API reference. Entity
// fields already carry their ent comments; filters, orderings and enum values
// are described here, the filters from the field they test.
func describe(_ *gen.Graph, s *ast.Schema) error {
	for name, t := range s.Types {
		if t.Description == "" {
			t.Description = typeDescriptions[name]
		}
		switch {
		case strings.HasSuffix(name, "WhereInput"):
			entity := s.Types[strings.TrimSuffix(name, "WhereInput")]
			for _, f := range t.Fields {
				// entgql labels the first filter of each field "<field> field predicates".
				if f.Description == "" || placeholder.MatchString(f.Description) {
					f.Description = filterDescription(entity, f.Name)
				}
			}
		case strings.HasSuffix(name, "OrderField"):
			for _, v := range t.EnumValues {
				if v.Description == "" {
					v.Description = "Order by " + strings.ToLower(strings.ReplaceAll(v.Name, "_", " ")) + "."
				}
			}
		case strings.HasSuffix(name, "Order") && t.Kind == ast.InputObject:
			for _, f := range t.Fields {
				if f.Description == "" {
					f.Description = map[string]string{"direction": "Ascending or descending.", "field": "The field to order by."}[f.Name]
				}
			}
		}
		for _, v := range t.EnumValues {
			if v.Description == "" {
				v.Description = enumDescriptions[name+"."+v.Name]
			}
		}
		for _, f := range t.Fields {
			if f.Description == "" {
				f.Description = fieldDescriptions[name+"."+f.Name]
			}
			for _, a := range f.Arguments {
				if a.Description == "" {
					a.Description = argumentDescriptions[a.Name]
				}
			}
		}
	}
	return nil
}

// placeholder matches entgql's generic labels for groups of filters.
var placeholder = regexp.MustCompile(`^\w+ (field|edge) predicates$`)

// predicate splits a filter name into the field it tests and the test.
var predicate = regexp.MustCompile(`^(.+?)(NEQ|NotIn|In|GTE|GT|LTE|LT|ContainsFold|Contains|HasPrefix|HasSuffix|EqualFold|IsNil|NotNil)?$`)

var tests = map[string]string{
	"":             "equals the value",
	"NEQ":          "differs from the value",
	"In":           "is one of the values",
	"NotIn":        "is none of the values",
	"GT":           "is greater than the value",
	"GTE":          "is greater than or equal to the value",
	"LT":           "is less than the value",
	"LTE":          "is less than or equal to the value",
	"Contains":     "contains the text (case-sensitive; % and _ are plain characters)",
	"ContainsFold": "contains the text, ignoring case",
	"HasPrefix":    "starts with the text (case-sensitive)",
	"HasSuffix":    "ends with the text (case-sensitive)",
	"EqualFold":    "equals the text, ignoring case",
	"IsNil":        "is null",
	"NotNil":       "is not null",
}

// filterDescription describes one field of a where input.
func filterDescription(entity *ast.Definition, name string) string {
	switch name {
	case "not":
		return "Matches records that do not match this filter."
	case "and":
		return "Matches records that match every one of these filters."
	case "or":
		return "Matches records that match at least one of these filters."
	}
	if edge, ok := strings.CutPrefix(name, "has"); ok && edge != "" && edge[0] >= 'A' && edge[0] <= 'Z' {
		with, filtered := strings.CutSuffix(edge, "With")
		if !filtered {
			with = edge
		}
		plural := strings.HasSuffix(with, "s")
		switch {
		case filtered && plural:
			return fmt.Sprintf("Matches records with at least one of their %s matching all of these filters.", words(with))
		case filtered:
			return fmt.Sprintf("Matches records whose %s matches all of these filters.", words(with))
		case plural:
			return fmt.Sprintf("True: records that have %s; false: records that have none.", words(with))
		}
		return fmt.Sprintf("True: records that have a %s; false: records without one.", words(with))
	}
	m := predicate.FindStringSubmatch(name)
	field, test := m[1], m[2]
	desc := fmt.Sprintf("Matches records whose %s %s.", field, tests[test])
	if entity != nil {
		if f := entity.Fields.ForName(field); f != nil && f.Description != "" {
			desc += " " + field + ": " + f.Description
		}
	}
	return desc
}

// words spells a camel-case name as lower-case words: "DirectReports" -> "direct reports".
func words(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte(' ')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var argumentDescriptions = map[string]string{
	"after":   "Returns the elements that come after this cursor.",
	"before":  "Returns the elements that come before this cursor.",
	"first":   "Returns the first n elements (at most 100).",
	"last":    "Returns the last n elements (at most 100).",
	"orderBy": "Ordering; ties are broken by id.",
	"where":   "Filter.",
	"id":      "A global id: a type prefix and a ULID, e.g. drusr_01hq8x...",
	"ids":     "Global ids of any types.",
	"input":   "Everything the mutation needs, in one object.",
}

var typeDescriptions = map[string]string{
	"User":             "A directory user: a person (or service, vendor, shared account...) the organisation knows, with the manager chain and the accounts they hold on integrated vendors.",
	"Identity":         "A directory identity: one account on an integrated vendor (Okta, Google, Slack, GitLab...), linked to the directory user it belongs to, or an orphan.",
	"Integration":      "A workspace integration: a vendor workspace idgraph imports identities and resources from. Exactly one is the tenant's primary.",
	"Resource":         "A group, channel, project, drive or file on an integrated vendor; identities are its members.",
	"PolicyRuleset":    "An access policy over one resource: its rules, conditions and the users assigned through it.",
	"PolicyRule":       "A rule of a ruleset: a role on the resource, granted to users who satisfy its conditions.",
	"PolicyCondition":  "A condition users must satisfy to qualify for a rule or ruleset: an attribute comparison, a named user, a group or a manager.",
	"PolicyAssignment": "A policy user: access one user holds through a ruleset (and rule).",
	"AuditEvent":       "A workspace-log entry: who changed what, when, with the changed fields before and after (PII redacted).",
	"Tenant":           "An organisation. Every record belongs to exactly one; a token reads only its own.",
	"Query":            "Reads, confined to the tenant of the request's token.",
	"Mutation":         "Changes. Each runs in one transaction with its workspace-log entry and writes nothing when it fails.",
	"PageInfo":         "Where a page sits in its connection, for fetching the next or previous page.",
	"OrderDirection":   "Ascending or descending.",
}

var fieldDescriptions = map[string]string{
	"PageInfo.hasNextPage":     "Whether more elements follow this page.",
	"PageInfo.hasPreviousPage": "Whether elements precede this page.",
	"PageInfo.startCursor":     "Cursor of the first element of the page.",
	"PageInfo.endCursor":       "Cursor of the last element of the page.",
}

var (
	states = map[string]string{
		"staged":      "Visible only to administrators and in the API; usually about to be onboarded. Staged users are not in ruleset manifests until active.",
		"active":      "Active.",
		"orphan":      "Active, but linked to no directory user.",
		"expiring":    "An expiration is scheduled (expiresAt is in the future); activating removes it.",
		"expired":     "expiresAt has passed and the record was deactivated.",
		"suspended":   "Temporarily suspended; this mirrors the primary integration.",
		"deactivated": "Deactivated in the primary integration.",
	}
	enumDescriptions = map[string]string{
		"OrderDirection.ASC":  "Smallest first.",
		"OrderDirection.DESC": "Largest first.",

		"UserType.employee":        "A person employed by the organisation.",
		"UserType.service_account": "A non-human account used by software.",
		"UserType.vendor":          "An outside supplier's account.",
		"UserType.shared":          "An account several people use.",
		"UserType.mailbox":         "A shared mailbox, not a person.",
		"UserType.client":          "A customer's account.",
		"UserType.temporary":       "A short-term account, e.g. a contractor or an intern.",
		"UserType.administrator":   "A privileged account for administration.",
		"UserType.auditor":         "An account for auditors, usually read-only.",
		"UserType.unknown":         "Not classified yet.",

		"IdentityLinkedBy.auto":   "Matched to its user automatically, e.g. by email.",
		"IdentityLinkedBy.manual": "Linked by a person (linkIdentity).",
		"IdentityLinkedBy.scim":   "Linked by SCIM provisioning.",

		"IntegrationKind.idp":       "An identity provider (e.g. Okta): where people sign in.",
		"IntegrationKind.directory": "A directory of people and groups (e.g. Google Workspace).",
		"IntegrationKind.app":       "An application whose accounts and groups are governed (e.g. Slack, GitLab).",
		"IntegrationKind.hris":      "An HR system (e.g. Workday): the source of employment data.",

		"IntegrationVendor.okta":     "Okta.",
		"IntegrationVendor.google":   "Google Workspace.",
		"IntegrationVendor.slack":    "Slack.",
		"IntegrationVendor.gitlab":   "GitLab.",
		"IntegrationVendor.github":   "GitHub.",
		"IntegrationVendor.azure_ad": "Microsoft Entra ID (Azure AD).",
		"IntegrationVendor.workday":  "Workday.",
		"IntegrationVendor.demo":     "Synthetic data for demonstrations.",

		"PolicyConditionType.attribute": "Compares an attribute of the user's profile (profileKey, profileOperator, profileValue).",
		"PolicyConditionType.user":      "Names one user.",
		"PolicyConditionType.group":     "Requires membership of a group.",
		"PolicyConditionType.manager":   "Requires a given manager.",

		"PolicyConditionProfileOperator.equals":       "The attribute equals the value.",
		"PolicyConditionProfileOperator.not_equals":   "The attribute differs from the value.",
		"PolicyConditionProfileOperator.contains":     "The attribute contains the value.",
		"PolicyConditionProfileOperator.not_contains": "The attribute does not contain the value.",
		"PolicyConditionProfileOperator.starts_with":  "The attribute starts with the value.",
		"PolicyConditionProfileOperator.ends_with":    "The attribute ends with the value.",
		"PolicyConditionProfileOperator.in":           "The attribute is one of the comma-separated values.",
		"PolicyConditionProfileOperator.not_in":       "The attribute is none of the comma-separated values.",

		"PolicyRuleState.staged":      "Defined, not in effect yet.",
		"PolicyRuleState.active":      "In effect.",
		"PolicyRuleState.suspended":   "Temporarily not in effect.",
		"PolicyRuleState.deactivated": "No longer in effect.",

		"PolicyRulesetState.unmanaged": "Imported from the vendor; its members are not managed from rules.",
		"PolicyRulesetState.managed":   "The resource's members are managed from the rules.",
		"PolicyRulesetState.staged":    "Rules defined but not applied yet.",
		"PolicyRulesetState.archived":  "No longer used; kept for history.",

		"PolicyRulesetType.directory_attribute": "Members follow directory attributes, e.g. department.",
		"PolicyRulesetType.manual":              "Members are assigned by hand.",
		"PolicyRulesetType.identity_attribute":  "Members follow attributes of vendor identities.",
		"PolicyRulesetType.group_sync":          "Members mirror another group.",

		"ResourceKind.gitlab_group":           "A GitLab group.",
		"ResourceKind.gitlab_project":         "A GitLab project.",
		"ResourceKind.google_drive_doc":       "A Google Docs document.",
		"ResourceKind.google_drive_file":      "A file on Google Drive.",
		"ResourceKind.google_drive_folder":    "A Google Drive folder.",
		"ResourceKind.google_drive_deck":      "A Google Slides deck.",
		"ResourceKind.google_drive_sheet":     "A Google Sheets spreadsheet.",
		"ResourceKind.google_identity_group":  "A Google Cloud identity group.",
		"ResourceKind.google_workspace_drive": "A Google Workspace shared drive.",
		"ResourceKind.google_workspace_group": "A Google Workspace group.",
		"ResourceKind.okta_group":             "An Okta group.",
		"ResourceKind.slack_public_channel":   "A public Slack channel.",
		"ResourceKind.slack_private_channel":  "A private Slack channel.",
		"ResourceKind.slack_group":            "A Slack user group.",
	}
)

func init() {
	for _, typ := range []string{"UserState", "IdentityState", "PolicyAssignmentState"} {
		for state, d := range states {
			enumDescriptions[typ+"."+state] = d
		}
	}
}
