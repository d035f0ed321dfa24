package rest

import (
	"strings"
)

// GET /api/v1/directory/users/{user}: the user, its counts, and what include=
// asks for.

// DirectoryUser is GET /api/v1/directory/users/{user}.
type DirectoryUser struct {
	ID            string            `json:"id"`
	State         string            `json:"state"`
	ManagerID     *string           `json:"manager_id"`
	IsManager     bool              `json:"is_manager"`
	FirstName     string            `json:"first_name"`
	LastName      string            `json:"last_name"`
	FullName      string            `json:"full_name"`
	Email         string            `json:"email"`
	Username      string            `json:"username"`
	BadgeID       *string           `json:"badge_id"`
	EmployeeID    *string           `json:"employee_id"`
	EmployeeAltID *string           `json:"employee_alt_id"`
	Timestamp     UserTimestamps    `json:"timestamp"`
	Org           map[string]string `json:"org"`
	Metadata      map[string]any    `json:"metadata"`
	Count         UserCount         `json:"count"`
	// Exists answers the -exists includes, by the names of count.
	Exists   map[string]bool `json:"exists,omitempty"`
	Included UserIncluded    `json:"included"`
	Links    UserLinks       `json:"links"`
}

// UserTimestamps are a directory user's timestamps.
type UserTimestamps struct {
	CreatedAt       Time  `json:"created_at"`
	UpdatedAt       Time  `json:"updated_at"`
	DeletedAt       *Time `json:"deleted_at"`
	ExpiresAt       *Time `json:"expires_at"`
	ProvisionedAt   *Time `json:"provisioned_at"`
	DeprovisionedAt *Time `json:"deprovisioned_at"`
}

// UserCount holds a directory user's counts; a count the token may not read
// (policy.view, audit.view) is left out.
type UserCount struct {
	SecondaryUsers        *int `json:"secondary_users,omitempty"`
	DirectReportUsers     *int `json:"direct_report_users,omitempty"`
	DirectoryIdentities   *int `json:"directory_identities,omitempty"`
	PolicyConditions      *int `json:"policy_conditions,omitempty"`
	PolicyUsers           *int `json:"policy_users,omitempty"`
	PolicyRulesets        *int `json:"policy_rulesets,omitempty"`
	ManifestRules         *int `json:"manifest_rules,omitempty"`
	QualifiedRules        *int `json:"qualified_rules,omitempty"`
	StagedRules           *int `json:"staged_rules,omitempty"`
	WorkspaceLogsParent   *int `json:"workspace_logs_parent,omitempty"`
	WorkspaceLogsRecord   *int `json:"workspace_logs_record,omitempty"`
	WorkspaceLogsRelated  *int `json:"workspace_logs_related,omitempty"`
	WorkspaceLogsSubject  *int `json:"workspace_logs_subject,omitempty"`
	DirectoryAttributes   *int `json:"directory_attributes,omitempty"`
	GitlabGroups          *int `json:"gitlab_groups,omitempty"`
	GitlabProjects        *int `json:"gitlab_projects,omitempty"`
	GoogleDriveDocs       *int `json:"google_drive_docs,omitempty"`
	GoogleDriveFiles      *int `json:"google_drive_files,omitempty"`
	GoogleDriveFolders    *int `json:"google_drive_folders,omitempty"`
	GoogleDriveDecks      *int `json:"google_drive_decks,omitempty"`
	GoogleDriveSheets     *int `json:"google_drive_sheets,omitempty"`
	GoogleIdentityGroups  *int `json:"google_identity_groups,omitempty"`
	GoogleWorkspaceDrives *int `json:"google_workspace_drives,omitempty"`
	GoogleWorkspaceGroups *int `json:"google_workspace_groups,omitempty"`
	OktaGroups            *int `json:"okta_groups,omitempty"`
	SlackPublicChannels   *int `json:"slack_public_channels,omitempty"`
	SlackPrivateChannels  *int `json:"slack_private_channels,omitempty"`
	SlackGroups           *int `json:"slack_groups,omitempty"`
}

// UserIncluded holds a directory user's related records. Lists hold at most
// 100 records (count has the totals); the ones an include= asks for are
// present only when asked for.
type UserIncluded struct {
	ManagerUser          *UserSummary          `json:"manager_user"`
	WorkspaceUser        *WorkspaceUser        `json:"workspace_user"`
	ParentUser           *UserSummary          `json:"parent_user"`
	SecondaryUsers       *[]UserSummary        `json:"secondary_users,omitempty"`
	DirectReportUsers    []UserSummary         `json:"direct_report_users"`
	WorkspaceIntegration *IntegrationSummary   `json:"workspace_integration"`
	DirectoryIdentities  []IdentitySummary     `json:"directory_identities"`
	PolicyConditions     *[]PolicyCondition    `json:"policy_conditions,omitempty"`
	PolicyUsers          *[]PolicyUser         `json:"policy_users,omitempty"`
	PolicyRulesManifest  *[]PolicyRule         `json:"policy_rules_manifest,omitempty"`
	PolicyRulesQualified *[]PolicyRule         `json:"policy_rules_qualified,omitempty"`
	PolicyRulesStaged    *[]PolicyRule         `json:"policy_rules_staged,omitempty"`
	PolicyRulesets       *[]PolicyRulesetShort `json:"policy_rulesets,omitempty"`
}

// UserLinks are the shim's addresses of a user and its included lists.
type UserLinks struct {
	Self           string `json:"self"`
	SecondaryUsers string `json:"secondary_users"`
}

// PolicyCondition is a policy condition that names the user.
type PolicyCondition struct {
	ID              string  `json:"id"`
	IsImported      bool    `json:"is_imported"`
	Type            string  `json:"type"`
	RulesetID       string  `json:"ruleset_id"`
	RuleID          *string `json:"rule_id"`
	ResourceID      *string `json:"resource_id"`
	ProfileKey      string  `json:"profile_key"`
	ProfileOperator string  `json:"profile_operator"`
	ProfileValue    string  `json:"profile_value"`
	Description     string  `json:"description"`
}

// PolicyUser is a policy assignment of the user.
type PolicyUser struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Timestamp struct {
		CreatedAt   Time  `json:"created_at"`
		UpdatedAt   Time  `json:"updated_at"`
		ActivatedAt *Time `json:"activated_at"`
		ExpiresAt   *Time `json:"expires_at"`
		DeletedAt   *Time `json:"deleted_at"`
	} `json:"timestamp"`
	Included struct {
		DirectoryUser *UserSummary       `json:"directory_user"`
		PolicyRuleset PolicyRulesetShort `json:"policy_ruleset"`
		PolicyRule    *PolicyRule        `json:"policy_rule"`
	} `json:"included"`
}

// PolicyRule is a rule of a ruleset.
type PolicyRule struct {
	ID                        string `json:"id"`
	State                     string `json:"state"`
	RoleName                  string `json:"role_name"`
	RoleHandle                string `json:"role_handle"`
	IsImported                bool   `json:"is_imported"`
	Description               string `json:"description"`
	ExpiresAfterDays          *int   `json:"expires_after_days"`
	ExpiresAfterDaysInherited bool   `json:"expires_after_days_inherited"`
	Priority                  int    `json:"priority"`
}

// PolicyRulesetShort is a ruleset as records include it.
type PolicyRulesetShort struct {
	ID               string  `json:"id"`
	State            string  `json:"state"`
	Type             string  `json:"type"`
	ResourceID       *string `json:"resource_id"`
	IsAuthoritative  bool    `json:"is_authoritative"`
	ExpiresAfterDays *int    `json:"expires_after_days"`
}

// The -count and -exists forms of every include are accepted; count always
// holds every count the token may read, and exists answers the -exists ones.
var directoryUserIncludes = func() []string {
	var out []string
	for _, base := range []string{"secondary-users", "policy-conditions", "policy-users", "policy-rules-manifest",
		"policy-rules-qualified", "policy-rules-staged", "policy-rulesets"} {
		out = append(out, base, base+"-count", base+"-exists")
	}
	return out
}()

// includeVariables are the operation's @include variables, by include.
var includeVariables = map[string]string{
	"secondary-users":        "secondaryUsers",
	"policy-conditions":      "policyConditions",
	"policy-users":           "policyUsers",
	"policy-rules-manifest":  "rulesManifest",
	"policy-rules-qualified": "rulesQualified",
	"policy-rules-staged":    "rulesStaged",
	"policy-rulesets":        "policyRulesets",
}

// DirectoryUserOperation answers GET /api/v1/directory/users/{user}.
const DirectoryUserOperation = `query RestDirectoryUser($id: ID, $externalId: String,
  $secondaryUsers: Boolean!, $policyConditions: Boolean!, $policyUsers: Boolean!, $rulesManifest: Boolean!,
  $rulesQualified: Boolean!, $rulesStaged: Boolean!, $policyRulesets: Boolean!) {
  user(id: $id, externalId: $externalId) {
    ...RestUser firstName lastName badgeId employeeId employeeAltId
    createdAt updatedAt deletedAt expiresAt provisionedAt deprovisionedAt
    counts { secondaryUsers directReports identities policyConditions policyAssignments policyRulesets
      manifestRules qualifiedRules stagedRules workspaceLogsParent workspaceLogsRecord workspaceLogsRelated
      workspaceLogsSubject directoryAttributes gitlabGroups gitlabProjects googleDriveDocs googleDriveFiles
      googleDriveFolders googleDriveDecks googleDriveSheets googleIdentityGroups googleWorkspaceDrives
      googleWorkspaceGroups oktaGroups slackPublicChannels slackPrivateChannels slackGroups }
    manager { ...RestUser }
    parentUser { ...RestUser }
    directReports(first: 100) { nodes { ...RestUser } }
    secondaryUsers(first: 100) @include(if: $secondaryUsers) { nodes { ...RestUser } }
    workspace: identities(first: 1, where: {hasIntegrationWith: {isPrimary: true}}) {
      nodes { id state vendorId displayName username email integration { ...RestIntegration } } }
    identities(first: 100) { nodes { id vendorId displayName email state
      integration { id vendor handle } user { id attributes { key value } } } }
    policyConditions(first: 100) @include(if: $policyConditions) { nodes { id isImported type
      ruleset { id resource { id } } rule { id } profileKey profileOperator profileValue description } }
    policyAssignments(first: 100) @include(if: $policyUsers) { nodes { id state createdAt updatedAt activatedAt
      expiresAt deletedAt user { ...RestUser } ruleset { ...RestRuleset } rule { ...RestRule } } }
    manifestRules(first: 100) @include(if: $rulesManifest) { nodes { ...RestRule } }
    qualifiedRules(first: 100) @include(if: $rulesQualified) { nodes { ...RestRule } }
    stagedRules(first: 100) @include(if: $rulesStaged) { nodes { ...RestRule } }
    policyRulesets(first: 100) @include(if: $policyRulesets) { nodes { ...RestRuleset } }
  }
}` + recordFragments + policyFragments

// DirectoryUserVariables are the operation's variables for a path's user and
// the include= list.
func DirectoryUserVariables(user string, included map[string]bool) map[string]any {
	vars := idVariables(user, "drusr")
	for include, variable := range includeVariables {
		vars[variable] = included[include]
	}
	return vars
}

func (r gqlRule) rest() PolicyRule {
	return PolicyRule{ID: r.ID, State: r.State, RoleName: r.RoleName, RoleHandle: r.RoleHandle, IsImported: r.IsImported,
		Description: r.Description, ExpiresAfterDays: r.ExpiresAfterDays, ExpiresAfterDaysInherited: r.ExpiresAfterDaysInherited,
		Priority: r.Priority}
}

func rules(list *gqlNodes[gqlRule]) *[]PolicyRule {
	if list == nil {
		return nil
	}
	out := make([]PolicyRule, len(list.Nodes))
	for i, r := range list.Nodes {
		out[i] = r.rest()
	}
	return &out
}

func (r gqlRuleset) rest() PolicyRulesetShort {
	return PolicyRulesetShort{ID: r.ID, State: r.State, Type: r.Type, ResourceID: refID(r.Resource),
		IsAuthoritative: r.IsAuthoritative, ExpiresAfterDays: r.ExpiresAfterDays}
}

func directoryUser(c *call) (any, error) {
	id := c.r.PathValue("user")
	var data struct {
		User *struct {
			gqlUser
			FirstName, LastName                                  string
			BadgeID, EmployeeID, EmployeeAltID                   *string
			CreatedAt, UpdatedAt                                 Time
			DeletedAt, ExpiresAt, ProvisionedAt, DeprovisionedAt *Time
			Counts                                               userCounts
			Manager                                              *gqlUser
			ParentUser                                           *gqlUser
			DirectReports                                        gqlNodes[gqlUser]
			SecondaryUsers                                       *gqlNodes[gqlUser]
			Workspace                                            gqlNodes[struct {
				ID, State, VendorID, DisplayName, Username, Email string
				Integration                                       gqlIntegration
			}]
			Identities gqlNodes[struct {
				ID, VendorID, DisplayName, Email, State string
				Integration                             struct{ ID, Vendor, Handle string }
				User                                    *gqlUser
			}]
			PolicyConditions *gqlNodes[struct {
				ID, Type, ProfileKey, ProfileOperator, ProfileValue, Description string
				IsImported                                                       bool
				Ruleset                                                          struct {
					ID       string
					Resource *gqlRef
				}
				Rule *gqlRef
			}]
			PolicyAssignments *gqlNodes[struct {
				ID, State                         string
				CreatedAt, UpdatedAt              Time
				ActivatedAt, ExpiresAt, DeletedAt *Time
				User                              *gqlUser
				Ruleset                           gqlRuleset
				Rule                              *gqlRule
			}]
			ManifestRules, QualifiedRules, StagedRules *gqlNodes[gqlRule]
			PolicyRulesets                             *gqlNodes[gqlRuleset]
		}
	}
	if err := c.run(DirectoryUserOperation, DirectoryUserVariables(id, c.included), &data); err != nil {
		return nil, asNotFound(err, "User", id)
	}
	u := data.User
	if u == nil {
		return nil, notFound("User", id)
	}
	self := "/api/v1/directory/users/" + u.ID
	out := DirectoryUser{
		ID: u.ID, State: u.State, ManagerID: u.Manager.id(), IsManager: u.IsManager,
		FirstName: u.FirstName, LastName: u.LastName, FullName: u.FullName, Email: u.Email, Username: u.Username,
		BadgeID: u.BadgeID, EmployeeID: u.EmployeeID, EmployeeAltID: u.EmployeeAltID,
		Timestamp: UserTimestamps{CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, DeletedAt: u.DeletedAt,
			ExpiresAt: u.ExpiresAt, ProvisionedAt: u.ProvisionedAt, DeprovisionedAt: u.DeprovisionedAt},
		Org: org(u.Attributes), Metadata: object(u.Metadata), Count: u.Counts.rest(),
		Links: UserLinks{Self: self, SecondaryUsers: self + "?include=secondary-users"},
	}
	in := &out.Included
	in.ManagerUser = u.Manager.optionalSummary()
	in.ParentUser = u.ParentUser.optionalSummary()
	in.DirectReportUsers = summaries(u.DirectReports.Nodes)
	if u.SecondaryUsers != nil {
		s := summaries(u.SecondaryUsers.Nodes)
		in.SecondaryUsers = &s
	}
	if len(u.Workspace.Nodes) > 0 {
		w := u.Workspace.Nodes[0]
		in.WorkspaceUser = &WorkspaceUser{ID: w.ID, State: w.State, Provider: w.Integration.Vendor, ProviderID: w.VendorID,
			Name: w.DisplayName, Handle: w.Username, Email: w.Email}
		integration := w.Integration.summary()
		in.WorkspaceIntegration = &integration
	}
	in.DirectoryIdentities = make([]IdentitySummary, len(u.Identities.Nodes))
	for i, n := range u.Identities.Nodes {
		s := IdentitySummary{ID: n.ID, WorkspaceIntegrationID: n.Integration.ID, IntegrationVendor: n.Integration.Vendor,
			IntegrationHandle: n.Integration.Handle, VendorID: n.VendorID, FullName: n.DisplayName, Email: n.Email,
			State: n.State, Org: map[string]string{}}
		if n.User != nil {
			s.DirectoryUserID, s.Org = &n.User.ID, org(n.User.Attributes)
		}
		in.DirectoryIdentities[i] = s
	}
	if list := u.PolicyConditions; list != nil {
		out := make([]PolicyCondition, len(list.Nodes))
		for i, n := range list.Nodes {
			out[i] = PolicyCondition{ID: n.ID, IsImported: n.IsImported, Type: n.Type, RulesetID: n.Ruleset.ID,
				RuleID: refID(n.Rule), ResourceID: refID(n.Ruleset.Resource), ProfileKey: n.ProfileKey,
				ProfileOperator: n.ProfileOperator, ProfileValue: n.ProfileValue, Description: n.Description}
		}
		in.PolicyConditions = &out
	}
	if list := u.PolicyAssignments; list != nil {
		out := make([]PolicyUser, len(list.Nodes))
		for i, n := range list.Nodes {
			p := PolicyUser{ID: n.ID, State: n.State}
			p.Timestamp.CreatedAt, p.Timestamp.UpdatedAt = n.CreatedAt, n.UpdatedAt
			p.Timestamp.ActivatedAt, p.Timestamp.ExpiresAt, p.Timestamp.DeletedAt = n.ActivatedAt, n.ExpiresAt, n.DeletedAt
			p.Included.DirectoryUser = n.User.optionalSummary()
			p.Included.PolicyRuleset = n.Ruleset.rest()
			if n.Rule != nil {
				r := n.Rule.rest()
				p.Included.PolicyRule = &r
			}
			out[i] = p
		}
		in.PolicyUsers = &out
	}
	in.PolicyRulesManifest, in.PolicyRulesQualified, in.PolicyRulesStaged = rules(u.ManifestRules), rules(u.QualifiedRules), rules(u.StagedRules)
	if list := u.PolicyRulesets; list != nil {
		out := make([]PolicyRulesetShort, len(list.Nodes))
		for i, n := range list.Nodes {
			out[i] = n.rest()
		}
		in.PolicyRulesets = &out
	}
	out.Exists = exists(c.included, out.Count)
	return out, nil
}

// userCounts is the GraphQL counts object of a user.
type userCounts struct {
	SecondaryUsers, DirectReports, Identities, PolicyConditions, PolicyAssignments, PolicyRulesets *int
	ManifestRules, QualifiedRules, StagedRules                                                     *int
	WorkspaceLogsParent, WorkspaceLogsRecord, WorkspaceLogsRelated, WorkspaceLogsSubject           *int
	DirectoryAttributes, GitlabGroups, GitlabProjects, GoogleDriveDocs, GoogleDriveFiles           *int
	GoogleDriveFolders, GoogleDriveDecks, GoogleDriveSheets, GoogleIdentityGroups                  *int
	GoogleWorkspaceDrives, GoogleWorkspaceGroups, OktaGroups, SlackPublicChannels                  *int
	SlackPrivateChannels, SlackGroups                                                              *int
}

func (n userCounts) rest() UserCount {
	return UserCount{SecondaryUsers: n.SecondaryUsers, DirectReportUsers: n.DirectReports, DirectoryIdentities: n.Identities,
		PolicyConditions: n.PolicyConditions, PolicyUsers: n.PolicyAssignments, PolicyRulesets: n.PolicyRulesets,
		ManifestRules: n.ManifestRules, QualifiedRules: n.QualifiedRules, StagedRules: n.StagedRules,
		WorkspaceLogsParent: n.WorkspaceLogsParent, WorkspaceLogsRecord: n.WorkspaceLogsRecord,
		WorkspaceLogsRelated: n.WorkspaceLogsRelated, WorkspaceLogsSubject: n.WorkspaceLogsSubject,
		DirectoryAttributes: n.DirectoryAttributes, GitlabGroups: n.GitlabGroups, GitlabProjects: n.GitlabProjects,
		GoogleDriveDocs: n.GoogleDriveDocs, GoogleDriveFiles: n.GoogleDriveFiles, GoogleDriveFolders: n.GoogleDriveFolders,
		GoogleDriveDecks: n.GoogleDriveDecks, GoogleDriveSheets: n.GoogleDriveSheets, GoogleIdentityGroups: n.GoogleIdentityGroups,
		GoogleWorkspaceDrives: n.GoogleWorkspaceDrives, GoogleWorkspaceGroups: n.GoogleWorkspaceGroups, OktaGroups: n.OktaGroups,
		SlackPublicChannels: n.SlackPublicChannels, SlackPrivateChannels: n.SlackPrivateChannels, SlackGroups: n.SlackGroups}
}

// existsCounts names the count behind each -exists include.
var existsCounts = map[string]func(UserCount) *int{
	"secondary-users":        func(c UserCount) *int { return c.SecondaryUsers },
	"policy-conditions":      func(c UserCount) *int { return c.PolicyConditions },
	"policy-users":           func(c UserCount) *int { return c.PolicyUsers },
	"policy-rules-manifest":  func(c UserCount) *int { return c.ManifestRules },
	"policy-rules-qualified": func(c UserCount) *int { return c.QualifiedRules },
	"policy-rules-staged":    func(c UserCount) *int { return c.StagedRules },
	"policy-rulesets":        func(c UserCount) *int { return c.PolicyRulesets },
}

// exists answers the -exists includes from the counts; one whose count the
// token may not read is refused like the list would be.
func exists(included map[string]bool, count UserCount) map[string]bool {
	var out map[string]bool
	for include := range included {
		base, ok := strings.CutSuffix(include, "-exists")
		if !ok {
			continue
		}
		if n := existsCounts[base](count); n != nil {
			if out == nil {
				out = map[string]bool{}
			}
			out[strings.ReplaceAll(base, "-", "_")] = *n > 0
		}
	}
	return out
}
