/* mini_json.h: just enough JSON reading for examples/gtk/notes.c and its test helper,
 * so that neither needs a JSON library. It reads the library's own output (compact,
 * valid JSON) in place: find a member of an object, walk an array, decode a string
 * (every escape, \u surrogate pairs included) or an integer. Not a validating parser:
 * malformed text gives NULL / false, never a read past the terminating NUL.
 *
 * Every function is static: include it in one C file per program. C99, no GLib. */
#ifndef NOTES_MINI_JSON_H
#define NOTES_MINI_JSON_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *mj_ws(const char *p) {
  while (p != NULL && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* The end of the string that starts at p (p at '"'): just after its closing quote. */
static const char *mj_skip_string(const char *p) {
  for (p++; *p != '\0'; p++) {
    if (*p == '\\') {
      if (p[1] == '\0') return NULL;
      p++;
    } else if (*p == '"') {
      return p + 1;
    }
  }
  return NULL;
}

/* Just after the value that starts at p (after any white space), or NULL. */
static const char *mj_skip(const char *p) {
  int depth = 0;
  p = mj_ws(p);
  if (p == NULL || *p == '\0') return NULL;
  do {
    if (*p == '"') {
      p = mj_skip_string(p);
      if (p == NULL) return NULL;
    } else if (*p == '{' || *p == '[') {
      depth++;
      p++;
    } else if (*p == '}' || *p == ']') {
      if (--depth < 0) return NULL;
      p++;
    } else if (*p == '\0') {
      return NULL;
    } else if (depth == 0) { /* a number, true, false or null */
      while (*p != '\0' && strchr(",}] \t\r\n", *p) == NULL) p++;
      return p;
    } else {
      p++;
    }
  } while (depth > 0);
  return p;
}

/* Whether the JSON string at p (at '"') decodes to exactly `text`; plain keys only. */
static bool mj_key_is(const char *p, const char *text) {
  size_t n = strlen(text);
  return *p == '"' && strncmp(p + 1, text, n) == 0 && p[n + 1] == '"';
}

/* The value of member `key` of the object at `object` (at '{'), or NULL. */
static const char *mj_member(const char *object, const char *key) {
  const char *p = mj_ws(object);
  if (p == NULL || *p != '{') return NULL;
  p = mj_ws(p + 1);
  while (p != NULL && *p == '"') {
    bool match = mj_key_is(p, key);
    p = mj_skip_string(p);
    p = mj_ws(p);
    if (p == NULL || *p != ':') return NULL;
    p = mj_ws(p + 1);
    if (match) return p;
    p = mj_ws(mj_skip(p));
    if (p == NULL || *p != ',') return NULL;
    p = mj_ws(p + 1);
  }
  return NULL;
}

/* The first element of the array at p (at '['), or NULL when it is empty. */
static const char *mj_first(const char *p) {
  p = mj_ws(p);
  if (p == NULL || *p != '[') return NULL;
  p = mj_ws(p + 1);
  return (p == NULL || *p == ']') ? NULL : p;
}

/* The element after the one at p, or NULL after the last. */
static const char *mj_next(const char *p) {
  p = mj_ws(mj_skip(p));
  if (p == NULL || *p != ',') return NULL;
  return mj_ws(p + 1);
}

static bool mj_is_true(const char *p) { return p != NULL && strncmp(p, "true", 4) == 0; }

static bool mj_int(const char *p, long long *out) {
  char *end;
  if (p == NULL) return false;
  *out = strtoll(p, &end, 10);
  return end != p;
}

static int mj_hex4(const char *p) {
  int value = 0, i;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    value <<= 4;
    if (c >= '0' && c <= '9') value |= c - '0';
    else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
    else return -1;
  }
  return value;
}

static size_t mj_utf8(unsigned long c, char *out) {
  if (c < 0x80) { out[0] = (char)c; return 1; }
  if (c < 0x800) { out[0] = (char)(0xC0 | (c >> 6)); out[1] = (char)(0x80 | (c & 0x3F)); return 2; }
  if (c < 0x10000) {
    out[0] = (char)(0xE0 | (c >> 12)); out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F)); return 3;
  }
  out[0] = (char)(0xF0 | (c >> 18)); out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((c >> 6) & 0x3F)); out[3] = (char)(0x80 | (c & 0x3F)); return 4;
}

/* The JSON string at p decoded into a malloc'd UTF-8 text (free() it), or NULL when p
 * is not a string (null, a number, absent). A lone surrogate becomes U+FFFD. */
static char *mj_string(const char *p) {
  const char *end;
  char *out, *o;
  p = mj_ws(p);
  if (p == NULL || *p != '"' || (end = mj_skip_string(p)) == NULL) return NULL;
  out = o = (char *)malloc((size_t)(end - p)); /* never longer than its JSON text */
  if (out == NULL) return NULL;
  for (p++; p < end - 1; p++) {
    unsigned long c;
    int u;
    if (*p != '\\') { *o++ = *p; continue; }
    switch (*++p) {
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u':
      u = mj_hex4(p + 1);
      if (u < 0) { free(out); return NULL; }
      p += 4;
      c = (unsigned long)u;
      if (c >= 0xD800 && c < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
        int low = mj_hex4(p + 3);
        if (low >= 0xDC00 && low < 0xE000) {
          c = 0x10000 + ((c - 0xD800) << 10) + ((unsigned long)low - 0xDC00);
          p += 6;
        }
      }
      if (c >= 0xD800 && c < 0xE000) c = 0xFFFD;
      o += mj_utf8(c, o);
      break;
    default: *o++ = *p; break; /* \" \\ \/ */
    }
  }
  *o = '\0';
  return out;
}

#endif
