package graph

import (
	"runtime"
	"time"

	"github.com/idgraph/idgraph/graph/querylimit"
)

// Limits protect the server from expensive or hostile requests. Zero fields take
// the value in DefaultLimits.
type Limits struct {
	querylimit.Limits
	MaxBodyBytes int64         // request body
	Timeout      time.Duration // per request; cancels its SQL
	MaxBatch     int           // operations per batched request; 0 refuses batches
	MaxErrors    int           // errors reported per response
	ParserTokens int           // tokens the parser reads before giving up
	APQEntries   int           // automatic persisted queries kept
	// MaxConcurrent is how many requests run at once; the others wait for a
	// slot (within their time limit). Requests are CPU-bound: past a few per
	// core, more at once only adds their memory together. 0: 4 per CPU.
	MaxConcurrent int
	// MaxResponseFields is how many field values a request's responses may hold
	// in all; the fields past it fail with QUERY_TOO_COMPLEX. What a request
	// allocates grows with them (about 1 KB each), whatever the data.
	MaxResponseFields int
	// DisableIntrospection turns off __schema and __type, and with them the
	// "did you mean" suggestions that would otherwise leak field names.
	DisableIntrospection bool
	// MaxExportRows is the most rows one POST /export may stream.
	MaxExportRows int
	// CORSOrigins are the browser origins allowed to call /graphql; none by default.
	CORSOrigins []string
}

// DefaultLimits are the limits of a server started without flags.
var DefaultLimits = Limits{
	Limits:        querylimit.Defaults,
	MaxBodyBytes:  1 << 20,
	Timeout:       15 * time.Second,
	MaxExportRows: 1_000_000,
	MaxErrors:     20,
	// About 50 MB of allocation at the most.
	MaxResponseFields: 60_000,
	ParserTokens:      15_000,
	APQEntries:        1000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.MaxDepth, d.MaxDepth)
	fill(&l.MaxFields, d.MaxFields)
	fill(&l.MaxCost, d.MaxCost)
	fill(&l.MaxStatements, d.MaxStatements)
	fill(&l.MaxInputDepth, d.MaxInputDepth)
	fill(&l.MaxInputObjects, d.MaxInputObjects)
	fill(&l.MaxInputList, d.MaxInputList)
	fill(&l.MaxInputString, d.MaxInputString)
	fill(&l.DefaultPage, d.DefaultPage)
	fill(&l.MaxPage, d.MaxPage)
	fill(&l.MaxErrors, d.MaxErrors)
	fill(&l.MaxResponseFields, d.MaxResponseFields)
	fill(&l.ParserTokens, d.ParserTokens)
	fill(&l.APQEntries, d.APQEntries)
	fill(&l.MaxExportRows, d.MaxExportRows)
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = 4 * runtime.GOMAXPROCS(0)
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	return l
}
