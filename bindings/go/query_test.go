package workflowstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestQuerySessionsPagesWithFields(t *testing.T) {
	s := openMemory(t)
	for i := 0; i < 25; i++ {
		ok(t, s.UpdateState("f", fmt.Sprintf("s%02d", i), map[string]any{"title": fmt.Sprintf("T%d", i), "tags": []any{"a", i}}))
		ok(t, s.UpdateState("other", fmt.Sprintf("s%02d", i), map[string]any{}))
	}
	q := Query{OrderBy: OrderByCreatedAt, Ascending: true, Limit: 10, Fields: []string{"/title", "/tags/1", "/none"}}
	var ids []string
	pages := 0
	for {
		page, err := s.QuerySessions("f", q)
		ok(t, err)
		pages++
		for _, session := range page.Sessions {
			ids = append(ids, session.SessionID)
			want := fmt.Sprintf(`"T%s"`, strings.TrimLeft(session.SessionID[1:], "0"))
			if session.SessionID == "s00" {
				want = `"T0"`
			}
			if got := string(session.Fields["/title"]); got != want {
				t.Fatalf("%s: /title = %s, want %s", session.SessionID, got, want)
			}
			if string(session.Fields["/none"]) != "null" || session.Revision <= 0 || session.FlowID != "f" {
				t.Fatalf("%s: %+v", session.SessionID, session)
			}
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if pages != 3 || len(ids) != 25 || ids[0] != "s00" || ids[24] != "s24" {
		t.Fatalf("%d pages: %v", pages, ids)
	}
}

func TestSessionsIterates(t *testing.T) {
	s := openMemory(t)
	for i := 0; i < 7; i++ {
		ok(t, s.UpdateState("f", fmt.Sprintf("s%d", i), map[string]any{}))
	}
	it := s.Sessions(context.Background(), "f", Query{OrderBy: OrderByLabel, Limit: 3})
	seen := map[string]bool{}
	for it.Next() {
		if seen[it.Session().SessionID] {
			t.Fatalf("%s twice", it.Session().SessionID)
		}
		seen[it.Session().SessionID] = true
	}
	ok(t, it.Err())
	if len(seen) != 7 {
		t.Fatalf("walked %v", seen)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it = s.Sessions(ctx, "f", Query{})
	if it.Next() || !errors.Is(it.Err(), context.Canceled) {
		t.Fatalf("a cancelled walk: %v", it.Err())
	}
}

func TestQuerySessionsRefuses(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateState("f", "a", map[string]any{}))
	ok(t, s.UpdateState("f", "b", map[string]any{}))
	page, err := s.QuerySessions("f", Query{Limit: 1})
	ok(t, err)
	for _, c := range []struct {
		q    Query
		flow string
		says string
	}{
		{Query{After: page.Next, Ascending: true}, "f", "ascending"},
		{Query{After: page.Next}, "g", `not of flow "g"`},
		{Query{After: "00"}, "f", "is not a cursor that ws_query_sessions returned"},
		{Query{Fields: []string{"x"}}, "f", `fields[0]: "x" is not a JSON Pointer`},
		{Query{Limit: 10001}, "f", "from 1 to 10000"},
		{Query{OrderBy: 7}, "f", "OrderBy 7"},
	} {
		_, err := s.QuerySessions(c.flow, c.q)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), c.says) {
			t.Fatalf("%+v: %v", c.q, err)
		}
	}
}
