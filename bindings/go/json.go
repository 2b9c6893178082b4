package workflowstate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// checkUTF8 refuses invalid UTF-8 in the strings of map[string]any and []any values,
// keys included, because encoding/json would replace the bad bytes with U+FFFD and so
// store something other than what the caller holds. Values of other types are left to
// encoding/json's own rules.
func checkUTF8(name string, v any) error {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			return newError(StatusInvalidArgument, fmt.Sprintf("%s is not valid UTF-8: %q", name, v))
		}
	case map[string]any:
		for key, value := range v {
			if !utf8.ValidString(key) {
				return newError(StatusInvalidArgument, fmt.Sprintf("%s has a key that is not valid UTF-8: %q", name, key))
			}
			if err := checkUTF8(fmt.Sprintf("%s[%q]", name, key), value); err != nil {
				return err
			}
		}
	case []any:
		for i, value := range v {
			if err := checkUTF8(fmt.Sprintf("%s[%d]", name, i), value); err != nil {
				return err
			}
		}
	}
	return nil
}

// encodeUpdates encodes the map of an update. A nil map is refused: it is more likely
// a missing value than a deliberate "merge nothing", which an empty map says.
func encodeUpdates(name string, updates map[string]any) ([]byte, error) {
	if updates == nil {
		return nil, newError(StatusInvalidArgument, name+" is a nil map")
	}
	return encodeJSON(name, updates)
}

// decodeObject decodes JSON text the library returned as an object, numbers as
// json.Number. what names the value in the error for anything else.
func decodeObject(text json.RawMessage, what string) (map[string]any, error) {
	var v any
	if err := decodeValue(text, &v, what); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, newError(StatusConflict, fmt.Sprintf("%s is %s, not an object", what, jsonKind(v)))
	}
	return m, nil
}

// decodeValue decodes JSON text the library returned into v, numbers as json.Number.
// The library returns only valid JSON, so a failure here is reported as internal.
func decodeValue(text json.RawMessage, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &Error{Code: StatusInternal, Message: fmt.Sprintf("cannot decode %s: %v", what, err), cause: err}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}
