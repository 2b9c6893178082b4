package workflowstate

// The flags find the header and library of this repository; CGO_CFLAGS and
// CGO_LDFLAGS from the environment come first, so they select another copy.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lworkflow_state -Wl,-rpath,${SRCDIR}/../../target/release
#include <stdlib.h>
#include <string.h>
#include "workflow_state.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// cArgs holds the C copies of one call's arguments, which call frees together. The
// first conversion that fails is kept in err, so that a method converts all its
// arguments and checks once, in call.
type cArgs struct {
	ptrs []unsafe.Pointer
	err  error
}

// str copies a required string argument. name is the C parameter's, so that Go-side
// and C-side messages name arguments alike.
func (a *cArgs) str(name, value string) *C.char {
	if a.err != nil {
		return nil
	}
	// C would read the string only up to the NUL: refuse rather than cut it short.
	if i := strings.IndexByte(value, 0); i >= 0 {
		a.err = newError(StatusInvalidArgument, fmt.Sprintf("%s contains a NUL byte at offset %d", name, i))
		return nil
	}
	p := C.CString(value)
	a.ptrs = append(a.ptrs, unsafe.Pointer(p))
	return p
}

// optStr copies a nullable argument: "" passes NULL.
func (a *cArgs) optStr(name, value string) *C.char {
	if value == "" {
		return nil
	}
	return a.str(name, value)
}

// json copies JSON text. A NUL byte is never valid in JSON text, and C would parse
// only the part before it, so it is an InvalidJSON error here.
func (a *cArgs) json(name string, text []byte) *C.char {
	if a.err != nil {
		return nil
	}
	for i, b := range text {
		if b == 0 {
			a.err = newError(StatusInvalidJSON, fmt.Sprintf("%s is not valid JSON: NUL byte at offset %d", name, i))
			return nil
		}
	}
	p := C.malloc(C.size_t(len(text) + 1))
	buf := unsafe.Slice((*byte)(p), len(text)+1)
	copy(buf, text)
	buf[len(text)] = 0
	a.ptrs = append(a.ptrs, p)
	return (*C.char)(p)
}

// value copies v as JSON: a json.RawMessage as it is (the library validates it),
// anything else encoded by encodeJSON. name is the Go parameter's; the JSON text is
// then named as C names it, name + "_json".
func (a *cArgs) value(name string, v any) *C.char {
	if a.err != nil {
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return a.json(name+"_json", raw)
	}
	text, err := encodeJSON(name, v)
	if err != nil {
		a.err = err
		return nil
	}
	return a.json(name+"_json", text)
}

func (a *cArgs) free() {
	for _, p := range a.ptrs {
		C.free(p)
	}
	a.ptrs = nil
}

// cCall runs one C call and, if it fails, reads its message. The goroutine stays on
// one OS thread for both, because the library keeps the message per thread and the
// scheduler may otherwise run the second call on another thread, whose message
// belongs to some other call.
func cCall(args *cArgs, f func() C.ws_status) error {
	defer args.free()
	if args.err != nil {
		return args.err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := f()
	if status == C.WS_OK {
		return nil
	}
	return newError(Status(status), C.GoString(C.ws_last_error_message()))
}

// call runs a C call on the store's handle. The read lock lets calls run in parallel
// (the C store is thread-safe) while keeping Close from freeing the handle under them.
func (s *Store) call(args *cArgs, f func(h *C.ws_store) C.ws_status) error {
	if s == nil {
		args.free()
		return errClosed()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.handle == nil {
		args.free()
		return errClosed()
	}
	return cCall(args, func() C.ws_status { return f(s.handle) })
}

// takeString copies and frees a string the library returned; NULL gives ok false.
func takeString(p *C.char) (s string, ok bool) {
	if p == nil {
		return "", false
	}
	defer C.ws_string_free(p)
	return C.GoString(p), true
}

// takeJSON is takeString for JSON text.
func takeJSON(p *C.char) json.RawMessage {
	if p == nil {
		return nil
	}
	defer C.ws_string_free(p)
	return json.RawMessage(C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p))))
}

// Version returns the version of the linked C library, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.ws_version())
}
