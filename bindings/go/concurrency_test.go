package workflowstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Goroutines sharing one store: every merge and every push lands, none is lost.
func TestGoroutinesShareOneStore(t *testing.T) {
	const goroutines, rounds = 8, 200
	s := openPath(t, tempPath(t, "shared.db"), Options{MaxHistoryDepth: goroutines * rounds})

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				key := fmt.Sprintf("g%d-%d", g, i)
				if err := s.UpdateState("f", "shared", map[string]any{key: i}); err != nil {
					errs <- err
					return
				}
				if err := s.HistoryPush("f", "shared", key); err != nil {
					errs <- err
					return
				}
				if _, err := s.GetState("f", "shared"); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	state, err := s.GetState("f", "shared")
	ok(t, err)
	if len(state) != goroutines*rounds {
		t.Fatalf("state has %d keys, want %d", len(state), goroutines*rounds)
	}
	for g := 0; g < goroutines; g++ {
		for i := 0; i < rounds; i++ {
			if v := state[fmt.Sprintf("g%d-%d", g, i)]; v != json.Number(fmt.Sprint(i)) {
				t.Fatalf("g%d-%d = %v, want %d", g, i, v, i)
			}
		}
	}
	n, err := s.HistoryLen("f", "shared")
	ok(t, err)
	if n != goroutines*rounds {
		t.Fatalf("history has %d entries, want %d", n, goroutines*rounds)
	}
}

// Many goroutines failing differently at the same time, between successful calls: each
// error carries the message of its own failure, never another goroutine's or the ""
// of a success. (The C library keeps messages per OS thread.)
func TestErrorMessagesBelongToTheirCall(t *testing.T) {
	const goroutines, rounds = 16, 150
	s := openMemory(t)

	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		ready.Add(1)
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ready.Done()
			<-start
			for i := 0; i < rounds; i++ {
				if err := oneFailure(s, g, i); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	ready.Wait()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// oneFailure makes a successful call, then one of several failing calls whose message
// is unique to (g, i), and checks the error.
func oneFailure(s *Store, g, i int) error {
	token := fmt.Sprintf("g%d-%d", g, i)
	if err := s.UpdateState("ok", token, map[string]any{"n": i}); err != nil {
		return fmt.Errorf("%s: successful call failed: %v", token, err)
	}
	var err error
	var want error
	var message string
	switch i % 4 {
	case 0:
		err = s.SetCurrentStep(token+":x", "s", "step")
		want, message = ErrInvalidArgument, fmt.Sprintf(`flow_id "%s:x" must not contain ':'`, token)
	case 1:
		_, err = s.CreateSession("ok", token, "")
		want, message = ErrAlreadyExists, fmt.Sprintf(`session "%s" of flow "ok" already exists`, token)
	case 2:
		// The bad byte's offset is unique to the goroutine and round.
		_, err = s.GetState("f", strings.Repeat("x", g*1000+i)+"\xff")
		want, message = ErrInvalidArgument, fmt.Sprintf("session_id is not valid UTF-8 (bad byte at offset %d)", g*1000+i)
	case 3:
		if err := s.UpdateState("ok", token, map[string]any{"_step_" + token: "text"}); err != nil {
			return fmt.Errorf("%s: successful call failed: %v", token, err)
		}
		err = s.UpdateStepState("ok", token, token, map[string]any{"k": 1})
		want, message = ErrConflict, fmt.Sprintf(`the state of step "%s" of session "%s" of flow "ok" is a string`, token, token)
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, want) || !strings.Contains(e.Message, message) {
		return fmt.Errorf("%s: got %v, want %v with a message containing %q", token, err, want, message)
	}
	return nil
}
