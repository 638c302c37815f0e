package outbox

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDeadLetters(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	a := mustAppend(t, o, order("ord_1", "k1", `{"n":1}`), order("ord_1", "k2", `{"n":2,"big":"x"}`), order("ord_2", "k3", `{"n":3}`))

	dl, ok, err := o.MoveToDead(Orders, a[1].Seq, "broker closed the connection on it 3 times")
	if err != nil || !ok {
		t.Fatalf("MoveToDead: %v %v", ok, err)
	}
	if dl.ID != a[1].ID || dl.Subject != "ord_1" || dl.SubjectSeq != 2 || dl.Bytes != len(`{"n":2,"big":"x"}`) {
		t.Errorf("dead letter %+v", dl)
	}
	if _, ok, err := o.MoveToDead(Orders, a[1].Seq, "again"); ok || err != nil {
		t.Errorf("moving a row that is gone: %v %v", ok, err)
	}
	checkCounters(t, db, o)
	// The others stay, in order; the notice names the dead letter.
	rows, _ := o.Peek(Orders, 0, 10)
	if len(rows) != 2 || rows[0].Seq != a[0].Seq || rows[1].Seq != a[2].Seq {
		t.Fatalf("orders left: %+v", rows)
	}
	notes, _ := o.Peek(SyncLogs, 0, 10)
	var n deadNotice
	if len(notes) != 1 || notes[0].Type != DeadLetterType || json.Unmarshal(notes[0].Data, &n) != nil || n.EventID != dl.ID || n.Stream != Orders {
		t.Fatalf("notice: %+v", notes)
	}
	list, err := o.DeadLetters()
	if err != nil || len(list) != 1 || list[0].ID != dl.ID || list[0].Data != nil || list[0].Reason == "" {
		t.Fatalf("DeadLetters: %+v %v", list, err)
	}
	if c := o.DeadCount(); c[Orders] != 1 {
		t.Errorf("DeadCount %v", c)
	}

	// Retry: the tail of its stream, the same id and subject sequence.
	ap, err := o.RetryDead(dl.ID)
	if err != nil || ap.ID != dl.ID || ap.SubjectSeq != 2 || ap.Seq <= a[2].Seq {
		t.Fatalf("RetryDead: %+v %v", ap, err)
	}
	rows, _ = o.Peek(Orders, a[2].Seq, 10)
	if len(rows) != 1 || rows[0].ID != dl.ID || string(rows[0].Data) != `{"n":2,"big":"x"}` || rows[0].SubjectSeq != 2 {
		t.Fatalf("retried row: %+v", rows)
	}
	if _, err := o.RetryDead(dl.ID); !errors.Is(err, ErrNoDeadLetter) {
		t.Errorf("retry twice: %v", err)
	}
	// A later revision of the subject still gets the next sequence.
	if b := mustAppend(t, o, order("ord_1", "k4", `{"n":4}`)); b[0].SubjectSeq != 3 {
		t.Errorf("next revision seq %d, want 3", b[0].SubjectSeq)
	}

	// Drop.
	dl2, _, _ := o.MoveToDead(Orders, ap.Seq, "again")
	if _, err := o.DropDead(dl2.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := o.DeadLetters(); len(list) != 0 {
		t.Errorf("after drop: %+v", list)
	}
	if _, err := o.DropDead(dl2.ID); !errors.Is(err, ErrNoDeadLetter) {
		t.Errorf("drop twice: %v", err)
	}
	checkCounters(t, db, o)
}
