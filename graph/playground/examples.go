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
	{Query: `# BI: active users per department, largest first (one grouped COUNT).
query ActivePerDepartment {
  userGroups(by: DEPARTMENT, where: {state: active}) { value count }
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
