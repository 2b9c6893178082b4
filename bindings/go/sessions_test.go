package workflowstate

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
)

var (
	uuid4     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?$`)
)

func TestCreateSession(t *testing.T) {
	s := openMemory(t)
	generated, err := s.CreateSession("f", "", "")
	ok(t, err)
	if !uuid4.MatchString(generated) {
		t.Fatalf("generated id %q is not a lowercase UUID4", generated)
	}
	other, err := s.CreateSession("f", "", "")
	ok(t, err)
	if other == generated {
		t.Fatal("two generated ids are equal")
	}

	id, err := s.CreateSession("f", "doc:42", "Ada's sign-up")
	ok(t, err)
	if id != "doc:42" {
		t.Fatalf("CreateSession returned %q, want the given id", id)
	}
	summary, err := s.GetSessionSummary("f", "doc:42")
	ok(t, err)
	if summary.Label == nil || *summary.Label != "Ada's sign-up" {
		t.Fatalf("label = %v", summary.Label)
	}
	if summary, _ := s.GetSessionSummary("f", generated); summary.Label != nil {
		t.Fatalf(`label "" stored as %q, want none`, *summary.Label)
	}

	id, err = s.CreateSession("f", "doc:42", "another")
	fails(t, err, ErrAlreadyExists, `session "doc:42" of flow "f" already exists`)
	if id != "" {
		t.Fatalf("failed CreateSession returned id %q", id)
	}
	if summary, _ := s.GetSessionSummary("f", "doc:42"); *summary.Label != "Ada's sign-up" {
		t.Fatalf("a refused CreateSession changed the label to %q", *summary.Label)
	}
	_, err = s.CreateSession("f:x", "", "")
	fails(t, err, ErrInvalidArgument, "must not contain ':'")
}

func TestSessionExistsAndSummary(t *testing.T) {
	s := openMemory(t)
	exists, err := s.SessionExists("f", "s")
	ok(t, err)
	summary, err := s.GetSessionSummary("f", "s")
	ok(t, err)
	if exists || summary != nil {
		t.Fatalf("absent session: exists %v, summary %+v", exists, summary)
	}

	ok(t, s.UpdateState("f", "s", map[string]any{"name": "Ada"}))
	ok(t, s.SetCurrentStep("f", "s", "review"))
	exists, err = s.SessionExists("f", "s")
	ok(t, err)
	summary, err = s.GetSessionSummary("f", "s")
	ok(t, err)
	if !exists || summary == nil {
		t.Fatalf("existing session: exists %v, summary %+v", exists, summary)
	}
	if summary.FlowID != "f" || summary.SessionID != "s" || summary.Label != nil ||
		summary.CurrentStep == nil || *summary.CurrentStep != "review" {
		t.Fatalf("summary = %+v", summary)
	}
	if summary.StateSizeBytes != int64(len(`{"name":"Ada"}`)) {
		t.Fatalf("state size = %d", summary.StateSizeBytes)
	}
	if !timestamp.MatchString(summary.CreatedAt) || !timestamp.MatchString(summary.UpdatedAt) ||
		summary.UpdatedAt < summary.CreatedAt {
		t.Fatalf("timestamps %q, %q", summary.CreatedAt, summary.UpdatedAt)
	}

	_, err = s.SessionExists("f", "")
	fails(t, err, ErrInvalidArgument, "session_id must not be empty")
	_, err = s.GetSessionSummary("", "s")
	fails(t, err, ErrInvalidArgument, "flow_id must not be empty")
}

func sessionIDs(list []SessionSummary) []string {
	ids := []string{}
	for _, summary := range list {
		ids = append(ids, summary.SessionID)
	}
	return ids
}

func TestListSessions(t *testing.T) {
	s := openMemory(t)
	for _, c := range []struct{ id, label string }{{"one", "b"}, {"two", ""}, {"three", "a"}} {
		_, err := s.CreateSession("f_", c.id, c.label)
		ok(t, err)
	}
	_, err := s.CreateSession("fx", "elsewhere", "") // '_' is not a wildcard
	ok(t, err)

	for _, c := range []struct {
		order      OrderBy
		descending bool
		want       string
	}{
		{OrderByCreatedAt, false, `["one","two","three"]`},
		{OrderByCreatedAt, true, `["three","two","one"]`},
		{OrderByLabel, false, `["two","three","one"]`},
		{OrderByLabel, true, `["one","three","two"]`},
	} {
		list, err := s.ListSessions("f_", c.order, c.descending)
		ok(t, err)
		got, _ := json.Marshal(sessionIDs(list))
		if string(got) != c.want {
			t.Errorf("order %d descending %v: %s, want %s", c.order, c.descending, got, c.want)
		}
	}

	// Update times may tie at millisecond resolution, so check the order they give, and
	// that descending is its exact reverse (ties reverse too).
	ok(t, s.UpdateState("f_", "one", map[string]any{"touched": true}))
	ascending, err := s.ListSessions("f_", OrderByUpdatedAt, false)
	ok(t, err)
	descending, err := s.ListSessions("f_", OrderByUpdatedAt, true)
	ok(t, err)
	if len(ascending) != 3 || len(descending) != 3 {
		t.Fatalf("by update time: %v and %v", sessionIDs(ascending), sessionIDs(descending))
	}
	for i := range ascending {
		if i > 0 && ascending[i].UpdatedAt < ascending[i-1].UpdatedAt {
			t.Fatalf("not in update order: %+v", ascending)
		}
		if ascending[i].SessionID != descending[2-i].SessionID {
			t.Fatalf("descending %v is not ascending %v reversed", sessionIDs(descending), sessionIDs(ascending))
		}
	}

	list, err := s.ListSessions("nobody", OrderByLabel, true)
	ok(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("empty flow lists %#v, want an empty slice", list)
	}

	_, err = s.ListSessions("f_", OrderBy(3), false)
	fails(t, err, ErrInvalidArgument, "order")
	_, err = s.ListSessions("f_", OrderBy(1<<32+1), false) // would wrap to OrderByCreatedAt
	fails(t, err, ErrInvalidArgument, "order_by 4294967297")
	_, err = s.ListSessions("f:", OrderByLabel, false)
	fails(t, err, ErrInvalidArgument, "must not contain ':'")
}

func TestSetSessionLabel(t *testing.T) {
	s := openMemory(t)
	label := func() *string {
		summary, err := s.GetSessionSummary("f", "s")
		ok(t, err)
		return summary.Label
	}
	_, err := s.CreateSession("f", "s", "")
	ok(t, err)

	ok(t, s.SetSessionLabel("f", "s", strPtr("Draft")))
	if l := label(); l == nil || *l != "Draft" {
		t.Fatalf("label = %v, want Draft", l)
	}
	ok(t, s.SetSessionLabel("f", "s", strPtr("")))
	if l := label(); l == nil || *l != "" {
		t.Fatalf("label = %v, want the empty label", l)
	}
	ok(t, s.SetSessionLabel("f", "s", nil))
	if l := label(); l != nil {
		t.Fatalf("label = %q, want none", *l)
	}

	ok(t, s.SetSessionLabel("f", "absent", strPtr("x")))
	if exists, _ := s.SessionExists("f", "absent"); exists {
		t.Fatal("SetSessionLabel created a session")
	}
	fails(t, s.SetSessionLabel("f", "s", strPtr("a\x00b")), ErrInvalidArgument, "label contains a NUL byte at offset 1")
	fails(t, s.SetSessionLabel("f", "s", strPtr("\xc3")), ErrInvalidArgument, "label is not valid UTF-8")
	if l := label(); l != nil {
		t.Fatalf("a refused label was stored: %q", *l)
	}
}

func TestDeleteSession(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateState("f", "s", map[string]any{"k": 1}))
	ok(t, s.Checkpoint("f", "s", "edit"))
	ok(t, s.DeleteSession("f", "s"))
	if exists, _ := s.SessionExists("f", "s"); exists {
		t.Fatal("session exists after DeleteSession")
	}
	if status, _ := s.UndoStatus("f", "s"); status.UndoDepth != 0 {
		t.Fatalf("undo stack of a deleted session: %+v", status)
	}
	ok(t, s.DeleteSession("f", "s"))
	fails(t, s.DeleteSession("f", ""), ErrInvalidArgument, "session_id must not be empty")
}

func TestPruneSessions(t *testing.T) {
	s := openMemory(t)
	for _, flow := range []string{"a", "b"} {
		for _, id := range []string{"s1", "s2", "s3"} {
			ok(t, s.UpdateState(flow, id, map[string]any{"k": 1}))
			ok(t, s.Checkpoint(flow, id, "edit"))
		}
	}
	// Every session here was updated now: nothing before 2000, all before 9999.
	if n, err := s.PruneSessions("a", "2000-01-01 00:00:00"); err != nil || n != 0 {
		t.Fatalf("PruneSessions before 2000 = %d, %v", n, err)
	}
	if n, err := s.PruneSessions("a", "9999-12-31 23:59:59"); err != nil || n != 3 {
		t.Fatalf(`PruneSessions("a") = %d, %v; want 3`, n, err)
	}
	if exists, _ := s.SessionExists("a", "s1"); exists {
		t.Fatal("a pruned session exists")
	}
	if status, _ := s.UndoStatus("b", "s1"); status.UndoDepth != 1 {
		t.Fatalf("the other flow's session lost its undo entry: %+v", status)
	}
	if n, err := s.PruneSessions("", "9999-12-31 23:59:59"); err != nil || n != 3 {
		t.Fatalf(`PruneSessions("") = %d, %v; want 3 (every flow)`, n, err)
	}
	n, err := s.PruneSessions("a", "yesterday")
	fails(t, err, ErrInvalidArgument,
		`updated_before "yesterday" is not a timestamp "YYYY-MM-DD HH:MM:SS" (UTC, the form updated_at is stored in)`)
	if n != 0 {
		t.Fatalf("a refused prune reports %d deleted", n)
	}
}

func TestCopySession(t *testing.T) {
	s := openMemory(t)
	_, err := s.CreateSession("f", "a", "Draft")
	ok(t, err)
	ok(t, s.UpdateState("f", "a", map[string]any{"v": 1}))
	ok(t, s.Checkpoint("f", "a", "one"))
	ok(t, s.UpdateState("f", "a", map[string]any{"v": 2}))
	source, err := s.GetSession("f", "a")
	ok(t, err)
	status, err := s.UndoStatus("f", "a")
	ok(t, err)
	latest, err := s.LatestSeq()
	ok(t, err)

	ok(t, s.CopySession("f", "a", "plain", false))
	plain, err := s.GetSession("f", "plain")
	ok(t, err)
	if plain.Revision != latest+1 || *plain.Label != "Draft" || !reflect.DeepEqual(plain.State, source.State) || stateJSON(t, s, "f", "plain") != stateJSON(t, s, "f", "a") {
		t.Fatalf("copy %+v of %+v (latest seq %d before)", plain, source, latest)
	}
	if st, _ := s.UndoStatus("f", "plain"); st.UndoDepth != 0 || st.RedoDepth != 0 {
		t.Fatalf("a copy without history has stacks: %+v", st)
	}

	ok(t, s.CopySession("f", "a", "hist", true))
	got, err := s.UndoStatus("f", "hist")
	ok(t, err)
	if !reflect.DeepEqual(got, status) {
		t.Fatalf("the copy's undo status %+v, the source's %+v", got, status)
	}
	if done, err := s.Undo("f", "hist"); !done || err != nil {
		t.Fatalf("Undo on the copy: %v, %v", done, err)
	}
	wantJSON(t, "the copy's state after Undo", json.RawMessage(stateJSON(t, s, "f", "hist")), `{"v":1}`)
	wantJSON(t, "the source's state", json.RawMessage(stateJSON(t, s, "f", "a")), `{"v":2}`)

	before, _ := s.LatestSeq()
	fails(t, s.CopySession("f", "nope", "c", true), ErrNotFound,
		`session "nope" of flow "f" does not exist: there is nothing to copy`)
	fails(t, s.CopySession("f", "a", "a", false), ErrAlreadyExists,
		`session "a" of flow "f" already exists: delete it first or copy to another session id`)
	fails(t, s.CopySession("f", "a", "", false), ErrInvalidArgument, "to_session_id must not be empty")
	fails(t, s.CopySession("f", "a\x00", "c", false), ErrInvalidArgument, "from_session_id contains a NUL byte")
	if after, _ := s.LatestSeq(); after != before {
		t.Fatalf("a refused copy took a change number: %d, then %d", before, after)
	}
	if exists, _ := s.SessionExists("f", "c"); exists {
		t.Fatal("a refused copy created the target")
	}
}
