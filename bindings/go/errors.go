package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import "errors"

// Status is a status code of the C library (ws_status): what kind of failure
// happened. The values are fixed by the C API.
type Status int

// The status codes, with the values of the C API's WS_* constants.
const (
	StatusOK              Status = C.WS_OK               // success
	StatusInvalidArgument Status = C.WS_INVALID_ARGUMENT // a NUL byte or invalid UTF-8 in a string, an empty id, a ':' in a flow id, a bad option or enum value, a closed store
	StatusInvalidJSON     Status = C.WS_INVALID_JSON     // unparsable JSON, or JSON of the wrong shape
	StatusNotFound        Status = C.WS_NOT_FOUND        // the operation needs a thing that does not exist
	StatusAlreadyExists   Status = C.WS_ALREADY_EXISTS   // CreateSession with an id that is taken
	StatusConflict        Status = C.WS_CONFLICT         // an expectation about the stored data did not hold
	StatusBusy            Status = C.WS_BUSY             // the database stayed locked past the busy timeout
	StatusIO              Status = C.WS_IO               // the file cannot be opened, read or written (also: a read-only store)
	StatusCorrupt         Status = C.WS_CORRUPT          // not a database, damaged, stored text that is not strict JSON, or a newer schema
	StatusInternal        Status = C.WS_INTERNAL         // a bug in the library
)

// String returns the C name of the status, such as "WS_NOT_FOUND", or "WS_UNKNOWN" for
// a value that is not a status.
func (s Status) String() string {
	if s != Status(C.ws_status(s)) { // out of the C int's range
		return "WS_UNKNOWN"
	}
	return C.GoString(C.ws_status_name(C.ws_status(s)))
}

// Error is the error every failing call returns: the status code and the library's
// message, which names the argument or session concerned.
type Error struct {
	Code    Status
	Message string
	cause   error // what Unwrap returns: ErrClosed, or an encoding/json error
}

func newError(code Status, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Error formats the error as "workflowstate: WS_NOT_FOUND: message".
func (e *Error) Error() string {
	if e.Message == "" {
		return "workflowstate: " + e.Code.String()
	}
	return "workflowstate: " + e.Code.String() + ": " + e.Message
}

// Is reports whether target is an *Error with the same Code and either no Message
// (as the sentinels ErrNotFound, ErrBusy, ... have) or the same Message. So
// errors.Is(err, ErrNotFound) tests the kind of failure.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Unwrap returns the underlying error, if any: ErrClosed for a call on a closed store,
// the encoding/json error for a value that cannot be encoded.
func (e *Error) Unwrap() error {
	return e.cause
}

// Sentinels for errors.Is, one per failure status: errors.Is(err, ErrNotFound) is true
// for every *Error with Code StatusNotFound.
var (
	ErrInvalidArgument error = &Error{Code: StatusInvalidArgument}
	ErrInvalidJSON     error = &Error{Code: StatusInvalidJSON}
	ErrNotFound        error = &Error{Code: StatusNotFound}
	ErrAlreadyExists   error = &Error{Code: StatusAlreadyExists}
	ErrConflict        error = &Error{Code: StatusConflict}
	ErrBusy            error = &Error{Code: StatusBusy}
	ErrIO              error = &Error{Code: StatusIO}
	ErrCorrupt         error = &Error{Code: StatusCorrupt}
	ErrInternal        error = &Error{Code: StatusInternal}
)

// ErrClosed is matched (with errors.Is) by the error of a call on a closed Store. That
// error is an *Error with Code StatusInvalidArgument, as C reports a NULL store.
var ErrClosed = errors.New("workflowstate: store is closed")

func errClosed() error {
	return &Error{Code: StatusInvalidArgument, Message: "store is closed", cause: ErrClosed}
}
