package workflowstate

import (
	"fmt"
	"testing"
)

// C reads a string up to its first NUL byte, so "s\x00x" would silently become the
// session "s". Every string argument of every method refuses a NUL byte instead,
// naming the argument, and nothing is written.
func TestEveryMethodRefusesNULBytes(t *testing.T) {
	s := openMemory(t)
	for _, m := range methods {
		args := [][3]string{{"f\x00x", "s", "x"}, {"f", "s\x00x", "x"}}
		names := []string{"flow_id", "session_id"}
		if m.third != "" {
			args = append(args, [3]string{"f", "s", "x\x00y"})
			names = append(names, m.third)
		}
		for i, a := range args {
			err := m.call(s, a[0], a[1], a[2])
			fails(t, err, ErrInvalidArgument, fmt.Sprintf("%s contains a NUL byte at offset 1", names[i]))
		}
	}
	_, err := s.ListSessions("f\x00x", OrderByLabel, false)
	fails(t, err, ErrInvalidArgument, "flow_id contains a NUL byte at offset 1")

	list, err := s.ListSessions("f", OrderByCreatedAt, false)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("refused calls wrote sessions: %+v", list)
	}
}

// Invalid UTF-8 in any string argument is refused by the library, naming the argument.
func TestEveryMethodRefusesInvalidUTF8(t *testing.T) {
	s := openMemory(t)
	for _, m := range methods {
		args := [][3]string{{"f\xff", "s", "x"}, {"f", "s\xc3", "x"}}
		names := []string{"flow_id", "session_id"}
		if m.third != "" {
			args = append(args, [3]string{"f", "s", "\xe2\x82"})
			names = append(names, m.third)
		}
		for i, a := range args {
			err := m.call(s, a[0], a[1], a[2])
			fails(t, err, ErrInvalidArgument, names[i]+" is not valid UTF-8")
		}
	}
	list, err := s.ListSessions("f", OrderByCreatedAt, false)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("refused calls wrote sessions: %+v", list)
	}
}

// The ids every method needs: a non-empty flow without ':' and a non-empty session.
func TestEveryMethodRefusesBadIDs(t *testing.T) {
	s := openMemory(t)
	for _, m := range methods {
		fails(t, m.call(s, "", "s", "x"), ErrInvalidArgument, "flow_id must not be empty")
		fails(t, m.call(s, "a:b", "s", "x"), ErrInvalidArgument, `flow_id "a:b" must not contain ':'`)
		if m.name != "CreateSession" { // "" asks CreateSession for a new id
			fails(t, m.call(s, "f", "", "x"), ErrInvalidArgument, "session_id must not be empty")
		}
	}
}

// Every method works on the session it is given, with ids that C would find awkward
// (':' in a session id, non-ASCII text).
func TestEveryMethodSucceeds(t *testing.T) {
	s := openMemory(t)
	for _, m := range methods {
		if err := m.call(s, "flöw", "séssion:"+m.name, "stép"); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
	}
}
