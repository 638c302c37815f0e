package parse

import (
	"regexp"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Journal groups a register's journal lines into transactions: by the
// rules' journal start and end patterns when the rules file has them, or by
// the built-in reading, where a transaction ends at the first separator,
// date or receipt-number line after its total and payment lines. It is not
// safe for concurrent use.
type Journal struct {
	opts  Options
	mf    moneyFormat
	lines []string
	// built-in state
	sawTotal, sawTender bool
}

// maxJournalLines bounds one transaction: a register that never prints an
// end line still yields transactions of at most this many lines.
const maxJournalLines = 500

// NewJournal returns a Journal that groups lines as opts.Rules say.
func NewJournal(opts Options) *Journal {
	mf := moneyFormat{Digits: 2}
	if opts.Currency != "" {
		mf.Digits = model.MinorDigits(opts.Currency)
	}
	if opts.Rules != nil {
		mf.Decimal, mf.Thousands = opts.Rules.decimal, opts.Rules.thousands
	}
	return &Journal{opts: opts, mf: mf}
}

// Line feeds one text line (without its line ending). When the line
// completes a transaction, Line returns its text and true; the line that
// starts the next transaction is kept for it.
func (j *Journal) Line(s string) (txn string, done bool) {
	s = strings.TrimRight(s, "\r\n")
	if r := j.opts.Rules; r != nil && (r.journalStart != nil || r.journalEnd != nil) {
		if matchAny(r.journalStart, s) && j.hasText() {
			txn = j.take()
			j.lines = append(j.lines, s)
			return txn, true
		}
		j.lines = append(j.lines, s)
		if matchAny(r.journalEnd, s) || len(j.lines) >= maxJournalLines {
			return j.take(), true
		}
		return "", false
	}
	// built-in: a transaction is over when, after its total and a payment,
	// a line starts the next one (a separator, a date or a receipt number).
	if j.sawTotal && j.sawTender && (reSep.MatchString(s) || startsTxn(s)) {
		txn = j.take()
		if !reSep.MatchString(s) {
			j.lines = append(j.lines, s)
		}
		return txn, true
	}
	j.lines = append(j.lines, s)
	in := builtinClassify(s, j.mf, j.sawTotal)
	switch in.class {
	case cTotal:
		j.sawTotal = true
	case cTender, cChange:
		j.sawTender = j.sawTotal
	}
	if len(j.lines) >= maxJournalLines {
		return j.take(), true
	}
	return "", false
}

var reJournalStart = regexp.MustCompile(`(?i)^\s*(?:bon|beleg|receipt|rcpt|ticket|trans(?:action)?|invoice|rechnung|factura|facture)\b`)

func startsTxn(s string) bool {
	if reJournalStart.MatchString(s) {
		return true
	}
	return !findDateTime([]string{s}, false, time.UTC).IsZero()
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func (j *Journal) hasText() bool {
	for _, l := range j.lines {
		if strings.TrimSpace(l) != "" {
			return true
		}
	}
	return false
}

func (j *Journal) take() string {
	// drop blank lines at both ends
	ls := j.lines
	for len(ls) > 0 && strings.TrimSpace(ls[0]) == "" {
		ls = ls[1:]
	}
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	s := strings.Join(ls, "\n")
	j.lines, j.sawTotal, j.sawTender = nil, false, false
	return s
}

// Flush returns the pending partial transaction (call it on an idle gap), or
// "" if nothing is pending.
func (j *Journal) Flush() string {
	if !j.hasText() {
		j.lines, j.sawTotal, j.sawTender = nil, false, false
		return ""
	}
	return j.take()
}
