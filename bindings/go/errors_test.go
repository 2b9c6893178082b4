package workflowstate

import (
	"errors"
	"testing"
)

func TestStatusNamesAreTheCNames(t *testing.T) {
	want := map[Status]string{
		StatusOK: "WS_OK", StatusInvalidArgument: "WS_INVALID_ARGUMENT", StatusInvalidJSON: "WS_INVALID_JSON",
		StatusNotFound: "WS_NOT_FOUND", StatusAlreadyExists: "WS_ALREADY_EXISTS", StatusConflict: "WS_CONFLICT",
		StatusBusy: "WS_BUSY", StatusIO: "WS_IO", StatusCorrupt: "WS_CORRUPT", StatusInternal: "WS_INTERNAL",
		Status(10): "WS_UNKNOWN", Status(-1): "WS_UNKNOWN", Status(1 << 40): "WS_UNKNOWN",
	}
	for status, name := range want {
		if got := status.String(); got != name {
			t.Errorf("Status(%d).String() = %q, want %q", int(status), got, name)
		}
	}
	// The values are the C API's, fixed by the contract.
	for i, status := range []Status{StatusOK, StatusInvalidArgument, StatusInvalidJSON, StatusNotFound,
		StatusAlreadyExists, StatusConflict, StatusBusy, StatusIO, StatusCorrupt, StatusInternal} {
		if int(status) != i {
			t.Errorf("%v = %d, want %d", status, int(status), i)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Code: StatusNotFound, Message: `session "s" of flow "f" not found`}
	if got, want := e.Error(), `workflowstate: WS_NOT_FOUND: session "s" of flow "f" not found`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := ErrBusy.Error(), "workflowstate: WS_BUSY"; got != want {
		t.Errorf("ErrBusy.Error() = %q, want %q", got, want)
	}
}

// errors.Is matches by code; a target with a message also needs the same message.
func TestErrorIsMatchesTheCode(t *testing.T) {
	sentinels := []error{ErrInvalidArgument, ErrInvalidJSON, ErrNotFound, ErrAlreadyExists, ErrConflict,
		ErrBusy, ErrIO, ErrCorrupt, ErrInternal}
	for i, sentinel := range sentinels {
		code := Status(i + 1)
		if sentinel.(*Error).Code != code {
			t.Fatalf("sentinel %v has code %d, want %d", sentinel, int(sentinel.(*Error).Code), int(code))
		}
		err := error(&Error{Code: code, Message: "what happened"})
		for j, other := range sentinels {
			if got := errors.Is(err, other); got != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %v", err, other, got)
			}
		}
		if !errors.Is(err, &Error{Code: code, Message: "what happened"}) {
			t.Errorf("%v does not match an equal error", err)
		}
		if errors.Is(err, &Error{Code: code, Message: "something else"}) {
			t.Errorf("%v matches an error with another message", err)
		}
		if errors.Is(err, ErrClosed) {
			t.Errorf("%v matches ErrClosed", err)
		}
	}
	var nilTarget *Error
	if errors.Is(&Error{Code: StatusIO}, nilTarget) {
		t.Error("an *Error matches a nil *Error")
	}
}
