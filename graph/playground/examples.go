package playground

// Examples are the tabs the playground opens with: one per kind of first
// question people ask of an identity graph.
var Examples = []Tab{
	{Query: `# The directory, one page at a time: managers, reports, accounts.
# Every nested list is batched: one SQL statement per relation, whatever the page size.
query DirectoryPage {
  users(first: 20, orderBy: [{field: FULL_NAME}]) {
    totalCount
    nodes {
      fullName
      title
      department
      state
      manager { fullName }
      directReports(first: 5) { totalCount nodes { fullName } }
      identities { nodes { vendorId integration { vendor } } }
    }
  }
}
`},
	{Query: `# Accounts that match no directory user, per integration.
query OrphanIdentities {
  integrations {
    nodes {
      name
      vendor
      orphans: identities(where: {state: orphan}) { totalCount nodes { email displayName } }
    }
  }
}
`},
	{Query: `# BI: users per department and state, largest groups first (one grouped
# statement). Open the table view (the grid icon on the left) to see the groups
# as rows, or download them as CSV.
query UsersByDepartmentAndState {
  userAggregate(groupBy: [{dimension: DEPARTMENT}, {dimension: STATE}]) {
    totalGroups
    groups { keys count managers: countDistinct(dimension: MANAGER) }
  }
}
`},
	{Query: `# BI: a monthly trend: users created per month, with the first and last arrival.
query NewUsersPerMonth {
  userAggregate(groupBy: [{dimension: CREATED_AT, bucket: MONTH}], orderBy: KEYS_ASC, limit: 36) {
    groups { keys count first: min(dimension: CREATED_AT) last: max(dimension: CREATED_AT) }
  }
}
`},
	{Query: `# The org chart below the top of the organisation: everyone, each with its
# depth (1: direct reports), and each person's chain of managers.
query OrgChart {
  users(first: 1, where: {hasManager: false, hasDirectReports: true}) {
    nodes {
      fullName
      counts { directReports allReports }
      reports(first: 50, depth: 2, orderBy: [{field: FULL_NAME}]) {
        totalCount
        edges { depth node { fullName title managementChain { depth user { fullName } } } }
      }
    }
  }
}
`},
	{Query: `# Who has no manager (the top of the org chart, and anyone who fell off it)?
query NoManager {
  users(where: {hasManager: false, state: active}) {
    totalCount
    nodes { fullName title department isManager }
  }
}
`},
	{Query: `# Policies: who should hold each Member or Senior role, and where the
# assignments drifted from it. explain(userId:) shows why, condition by condition.
query PolicyDrift {
  policyRules(first: 20, where: {state: active}) {
    nodes {
      roleName
      ruleset { name isAuthoritative }
      manifestUsers { totalCount }
      missingAssignments(first: 3) { totalCount nodes { fullName department attributes { key value } } }
      unqualifiedAssignments(first: 3) { totalCount nodes { fullName department title } }
    }
  }
}
`},
	{Query: `# Who am I? The tenant and permissions of the token in the headers pane.
query Viewer {
  viewer { tenant { name slug } permissions }
}
`},
}
