/*
 * compat_tool: the C side of the cjm-workflow-state compatibility test
 * (tests/compat/compat_test.py drives it). Everything goes through the public C API.
 *
 *   compat_tool [--options JSON] dump DB [--step STEP]... FLOW...
 *       Opens DB and prints one JSON document describing every session of every FLOW:
 *         {"flows":[{"flow":F,"list":RAW,"sessions":[{"session_id":S,"exists":true,
 *           "summary":RAW,"state":RAW,"current_step":STR|null,"steps":{STEP:RAW,...}}]}]}
 *       where RAW is the exact text the library returned, as a JSON string, so that the
 *       caller can check it byte for byte. Sessions come in the order of
 *       ws_list_sessions(WS_ORDER_CREATED_AT, ascending); "steps" has every "_step_*" key
 *       of the state plus every --step asked for.
 *   compat_tool [--options JSON] write DB
 *       Writes the scripted scenario below and prints {"generated":UUID} (the id of the
 *       session created without one).
 *   compat_tool [--options JSON] call DB OP FLOW [SESSION [ARG...]]
 *       One call; prints {"status":NAME,"message":MSG,"result":RAW|null} and exits 0
 *       whatever the status (the caller judges it). OP: get_state, get_current_step,
 *       get_step_state STEP, update_state JSON, update_step_state STEP JSON,
 *       clear_step_state STEP, summary, list (FLOW only), set_current_step STEP,
 *       exists, delete_session, clear_state, history_push JSON, history_pop,
 *       history_peek, history_len, history_clear, checkpoint [LABEL], undo, redo,
 *       undo_status, create_session SESSION|null LABEL|null, set_session_label
 *       LABEL|null, get_revision, get_session, apply EDIT, list_by ORDER DIRECTION
 *       (ORDER updated_at|created_at|label, DIRECTION asc|desc), latest_seq (no FLOW),
 *       changes_since FLOW|null AFTER LIMIT. A count, a number or a bool result is
 *       printed as its text ("3", "true"); null arguments can only be given to "serve".
 *   compat_tool [--options JSON] calls DB OP FLOW [SESSION [ARG...]] [-- OP FLOW ...]...
 *       Several calls on one store (one process): prints a JSON array of the objects
 *       "call" prints, in order.
 *   compat_tool [--options JSON] serve DB
 *       Opens DB once and runs calls read from stdin, one a line, each a JSON array of
 *       strings (or null for a NULL argument) [OP, FLOW, SESSION, ARG...] as "call" takes
 *       them; prints each call's object on one line and flushes, so that another process
 *       can interleave its own writes between the calls. One more call,
 *       ["wait_change", TIMEOUT_MS], reads ws_latest_seq, prints {"waiting":SEQ} and
 *       flushes, then calls ws_wait_for_change(SEQ, TIMEOUT_MS) and prints
 *       {"status":NAME,"message":MSG,"after":SEQ,"seq":RETURNED,"waited_ms":MS,
 *       "started_at":S,"woke_at":S} (S: CLOCK_MONOTONIC seconds when the wait was called
 *       and when it returned, comparable with Python's time.monotonic()). Ends at the end
 *       of stdin.
 *   compat_tool [--options JSON] export-import SRC DST
 *       Opens SRC read-only, exports every session of it (ws_export with NULL, NULL),
 *       opens DST (with the options) and imports the document into it without replace;
 *       prints {"document":RAW}, RAW the exported text as a JSON string.
 *   compat_tool json-history OPS_FILE
 *       Runs ws_json_history_push / ws_json_history_pop over a JSON array of operations
 *         {"op":"push","snapshot":TEXT,"max_depth":N[,"history":TEXT|null]}
 *         {"op":"pop"[,"history":TEXT|null]}
 *       where TEXT is the JSON text to pass, as a JSON string, and null passes NULL.
 *       Without "history" an operation takes the history the last successful operation
 *       returned (the sequence is a chain). Prints a JSON array with, per operation,
 *         {"op":OP,"status":NAME,"message":MSG,"in":TEXT|null,"history":RAW|null,
 *          "snapshot":RAW|null,"unset":NAMES}
 *       ("snapshot" for pops; "unset" names the out-parameters the call left unset,
 *       comma-separated, "" when none). Needs no store.
 *
 * --options (or the environment variable WS_COMPAT_OPTIONS) is passed to
 * ws_store_open_with. Any failure exits 1 with the status name and
 * ws_last_error_message() on stderr.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workflow_state.h"

/* ---- failure reporting ---------------------------------------------------------------- */

static int fail_status(const char *what, ws_status st) {
  fprintf(stderr, "compat_tool: %s failed: %s: %s\n", what, ws_status_name(st),
          ws_last_error_message());
  return 1;
}

#define CHECK(call)                                   \
  do {                                                \
    ws_status check_st_ = (call);                     \
    if (check_st_ != WS_OK) {                         \
      rc = fail_status(#call, check_st_);             \
      goto done;                                      \
    }                                                 \
  } while (0)

/* ---- output --------------------------------------------------------------------------- */

/* Prints s as a JSON string literal; UTF-8 passes through, control characters, quotes and
   backslashes are escaped. NULL prints null. */
static void put_json_string(FILE *out, const char *s) {
  const unsigned char *p;
  if (s == NULL) {
    fputs("null", out);
    return;
  }
  fputc('"', out);
  for (p = (const unsigned char *)s; *p != '\0'; p++) {
    switch (*p) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\n': fputs("\\n", out); break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      default:
        if (*p < 0x20) {
          fprintf(out, "\\u%04x", (unsigned)*p);
        } else {
          fputc(*p, out);
        }
    }
  }
  fputc('"', out);
}

/* ---- a small JSON scanner for the library's own output ---------------------------------- */

typedef struct {
  const char *p;
  bool ok;
} scanner;

static void skip_ws(scanner *sc) {
  while (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r') sc->p++;
}

static bool expect(scanner *sc, char c) {
  skip_ws(sc);
  if (*sc->p != c) {
    sc->ok = false;
    return false;
  }
  sc->p++;
  return true;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static void put_utf8(char **w, unsigned cp) {
  char *o = *w;
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  *w = o;
}

/* Reads a string literal; returns it decoded in malloc'd memory (NULL on a syntax error).
   A \u0000 is left out of the result and sets *had_nul (the text cannot be a C string). */
static char *scan_string(scanner *sc, bool *had_nul) {
  const char *p;
  char *buf, *w;
  *had_nul = false;
  if (!expect(sc, '"')) return NULL;
  p = sc->p;
  /* The decoded text is never longer than the escaped text. */
  buf = malloc(strlen(p) + 1);
  if (buf == NULL) {
    sc->ok = false;
    return NULL;
  }
  w = buf;
  while (*p != '"') {
    if (*p == '\0') goto bad;
    if (*p != '\\') {
      *w++ = *p++;
      continue;
    }
    p++;
    switch (*p) {
      case '"': *w++ = '"'; p++; break;
      case '\\': *w++ = '\\'; p++; break;
      case '/': *w++ = '/'; p++; break;
      case 'b': *w++ = '\b'; p++; break;
      case 'f': *w++ = '\f'; p++; break;
      case 'n': *w++ = '\n'; p++; break;
      case 'r': *w++ = '\r'; p++; break;
      case 't': *w++ = '\t'; p++; break;
      case 'u': {
        unsigned cp, lo;
        if (!hex4(p + 1, &cp)) goto bad;
        p += 5;
        if (cp >= 0xD800 && cp < 0xDC00) {
          if (p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 || lo >= 0xE000)
            goto bad;
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          goto bad;
        }
        if (cp == 0) *had_nul = true;
        else put_utf8(&w, cp);
        break;
      }
      default: goto bad;
    }
  }
  *w = '\0';
  sc->p = p + 1;
  return buf;
bad:
  free(buf);
  sc->ok = false;
  return NULL;
}

/* Skips any value (strings, numbers, literals, nested arrays and objects). */
static void skip_value(scanner *sc) {
  int depth = 0;
  skip_ws(sc);
  do {
    char c = *sc->p;
    if (c == '\0') {
      sc->ok = false;
      return;
    }
    if (c == '"') {
      bool nul;
      char *s = scan_string(sc, &nul);
      if (s == NULL) return;
      free(s);
    } else {
      if (c == '[' || c == '{') depth++;
      else if (c == ']' || c == '}') depth--;
      sc->p++;
      /* Inside a container, separators and scalars are consumed one character at a
         time; at depth 0 a scalar ends at the next separator. */
      if (depth == 0 && c != ']' && c != '}') {
        while (*sc->p != '\0' && strchr(",]} \t\r\n", *sc->p) == NULL) sc->p++;
      }
    }
  } while (depth > 0 && sc->ok);
}

typedef struct {
  char **items;
  size_t len;
} strlist;

static bool strlist_push(strlist *l, char *s) {
  char **grown = realloc(l->items, (l->len + 1) * sizeof *grown);
  if (grown == NULL) return false;
  l->items = grown;
  l->items[l->len++] = s;
  return true;
}

static void strlist_free(strlist *l) {
  size_t i;
  for (i = 0; i < l->len; i++) free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

static bool strlist_has(const strlist *l, const char *s) {
  size_t i;
  for (i = 0; i < l->len; i++)
    if (strcmp(l->items[i], s) == 0) return true;
  return false;
}

/* Walks one object at sc: for each key, if want_key is NULL and the key starts with
   prefix, pushes key+strlen(prefix); if want_key matches, pushes the (string) value. */
static void scan_object(scanner *sc, const char *want_key, const char *prefix, strlist *out) {
  if (!expect(sc, '{')) return;
  skip_ws(sc);
  if (*sc->p == '}') {
    sc->p++;
    return;
  }
  for (;;) {
    bool key_nul, value_nul;
    char *key = scan_string(sc, &key_nul);
    if (key == NULL) return;
    if (!expect(sc, ':')) {
      free(key);
      return;
    }
    if (want_key != NULL && strcmp(key, want_key) == 0) {
      char *value = scan_string(sc, &value_nul);
      free(key);
      if (value == NULL) return;
      if (value_nul) {
        /* Not usable as an argument of the C API. */
        free(value);
        sc->ok = false;
        return;
      }
      if (!strlist_push(out, value)) {
        free(value);
        sc->ok = false;
        return;
      }
    } else {
      if (want_key == NULL && !key_nul && strncmp(key, prefix, strlen(prefix)) == 0 &&
          !strlist_has(out, key + strlen(prefix))) {
        char *step = malloc(strlen(key) - strlen(prefix) + 1);
        if (step == NULL || !strlist_push(out, step)) {
          free(step);
          free(key);
          sc->ok = false;
          return;
        }
        strcpy(step, key + strlen(prefix));
      }
      free(key);
      skip_value(sc);
      if (!sc->ok) return;
    }
    skip_ws(sc);
    if (*sc->p == ',') {
      sc->p++;
      continue;
    }
    expect(sc, '}');
    return;
  }
}

/* The "session_id" of every summary in a ws_list_sessions array, in order. */
static bool list_session_ids(const char *list_json, strlist *out) {
  scanner sc;
  sc.p = list_json;
  sc.ok = true;
  if (!expect(&sc, '[')) return false;
  skip_ws(&sc);
  if (*sc.p == ']') return true;
  for (;;) {
    size_t before = out->len;
    scan_object(&sc, "session_id", NULL, out);
    if (!sc.ok || out->len != before + 1) return false;
    skip_ws(&sc);
    if (*sc.p == ',') {
      sc.p++;
      continue;
    }
    return expect(&sc, ']');
  }
}

/* ---- subcommands ---------------------------------------------------------------------- */

static const char *options_json = NULL;

static ws_status open_store(const char *path, ws_store **out) {
  return ws_store_open_with(path, options_json, out);
}

static int cmd_dump(int argc, char **argv) {
  const char *db;
  strlist extra_steps = {NULL, 0};
  int rc = 0, i, first_flow;
  ws_store *store = NULL;
  char *list = NULL;
  strlist ids = {NULL, 0};
  strlist steps = {NULL, 0};
  char *summary = NULL, *state = NULL, *step = NULL, *step_state = NULL;

  if (argc < 1) {
    fputs("usage: compat_tool dump DB [--step STEP]... FLOW...\n", stderr);
    return 2;
  }
  db = argv[0];
  for (i = 1; i + 1 < argc && strcmp(argv[i], "--step") == 0; i += 2) {
    char *copy = malloc(strlen(argv[i + 1]) + 1);
    if (copy == NULL || !strlist_push(&extra_steps, copy)) {
      free(copy);
      fputs("compat_tool: out of memory\n", stderr);
      rc = 1;
      goto done;
    }
    strcpy(copy, argv[i + 1]);
  }
  first_flow = i;

  CHECK(open_store(db, &store));
  fputs("{\"flows\":[", stdout);
  for (i = first_flow; i < argc; i++) {
    const char *flow = argv[i];
    size_t k, j;
    CHECK(ws_list_sessions(store, flow, WS_ORDER_CREATED_AT, false, &list));
    if (!list_session_ids(list, &ids)) {
      fprintf(stderr, "compat_tool: cannot read the session ids of flow %s from %s\n", flow,
              list);
      rc = 1;
      goto done;
    }
    if (i > first_flow) fputc(',', stdout);
    fputs("{\"flow\":", stdout);
    put_json_string(stdout, flow);
    fputs(",\"list\":", stdout);
    put_json_string(stdout, list);
    fputs(",\"sessions\":[", stdout);
    for (k = 0; k < ids.len; k++) {
      const char *sid = ids.items[k];
      bool exists = false;
      scanner sc;
      CHECK(ws_session_exists(store, flow, sid, &exists));
      CHECK(ws_get_session_summary(store, flow, sid, &summary));
      CHECK(ws_get_state(store, flow, sid, &state));
      CHECK(ws_get_current_step(store, flow, sid, &step));
      if (k > 0) fputc(',', stdout);
      fputs("{\"session_id\":", stdout);
      put_json_string(stdout, sid);
      fputs(exists ? ",\"exists\":true" : ",\"exists\":false", stdout);
      fputs(",\"summary\":", stdout);
      put_json_string(stdout, summary);
      fputs(",\"state\":", stdout);
      put_json_string(stdout, state);
      fputs(",\"current_step\":", stdout);
      put_json_string(stdout, step);
      fputs(",\"steps\":{", stdout);

      sc.p = state;
      sc.ok = true;
      scan_object(&sc, NULL, "_step_", &steps);
      if (!sc.ok) {
        fprintf(stderr, "compat_tool: cannot read the keys of the state of %s:%s: %s\n",
                flow, sid, state);
        rc = 1;
        goto done;
      }
      for (j = 0; j < extra_steps.len; j++) {
        if (!strlist_has(&steps, extra_steps.items[j])) {
          char *copy = malloc(strlen(extra_steps.items[j]) + 1);
          if (copy == NULL || !strlist_push(&steps, copy)) {
            free(copy);
            fputs("compat_tool: out of memory\n", stderr);
            rc = 1;
            goto done;
          }
          strcpy(copy, extra_steps.items[j]);
        }
      }
      for (j = 0; j < steps.len; j++) {
        CHECK(ws_get_step_state(store, flow, sid, steps.items[j], &step_state));
        if (j > 0) fputc(',', stdout);
        put_json_string(stdout, steps.items[j]);
        fputc(':', stdout);
        put_json_string(stdout, step_state);
        ws_string_free(step_state);
        step_state = NULL;
      }
      fputs("}}", stdout);
      strlist_free(&steps);
      ws_string_free(summary);
      ws_string_free(state);
      ws_string_free(step);
      summary = state = step = NULL;
    }
    fputs("]}", stdout);
    strlist_free(&ids);
    ws_string_free(list);
    list = NULL;
  }
  fputs("]}\n", stdout);

done:
  fflush(stdout);
  ws_string_free(step_state);
  ws_string_free(summary);
  ws_string_free(state);
  ws_string_free(step);
  ws_string_free(list);
  strlist_free(&steps);
  strlist_free(&ids);
  strlist_free(&extra_steps);
  ws_store_close(store);
  return rc;
}

/* The scenario compat_test.py checks after "write". Keep the two in step. */
static const char *const A = "compat-a";
static const char *const B = "compat.b";

static int cmd_write(int argc, char **argv) {
  int rc = 0;
  ws_store *store = NULL;
  char *id = NULL, *generated = NULL;
  ws_status st;

  if (argc != 1) {
    fputs("usage: compat_tool write DB\n", stderr);
    return 2;
  }
  CHECK(open_store(argv[0], &store));

  /* s1: labelled, nested state, exact numbers, non-ASCII, step states, a cleared step. */
  CHECK(ws_create_session(store, A, "s1", "First session", &id));
  if (strcmp(id, "s1") != 0) {
    fprintf(stderr, "compat_tool: ws_create_session returned %s, not s1\n", id);
    rc = 1;
    goto done;
  }
  ws_string_free(id);
  id = NULL;
  CHECK(ws_update_state(store, A, "s1",
                        "{\"name\":\"\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x99\x82\","
                        "\"big\":1180591620717411303424,"
                        "\"neg_big\":-1180591620717411303424,"
                        "\"f\":0.1,\"tiny\":1e-7,"
                        "\"nested\":{\"z\":1,\"a\":[1,2.5,{\"k\":null}],\"t\":true,\"f\":false},"
                        "\"esc\":\"q\\\"b\\\\s/\\n\\t\\u0001\\u00e9\"}"));
  CHECK(ws_update_state(store, A, "s1", " { \"f\" : 0.30000000000000004 , \"added\" : \"x\" } "));
  CHECK(ws_set_current_step(store, A, "s1", "step-2"));
  CHECK(ws_update_step_state(store, A, "s1", "step-1", "{\"done\":true,\"score\":1e-7}"));
  CHECK(ws_update_step_state(store, A, "s1", "step-1", "{\"score\":0.1,\"extra\":[1,2]}"));
  CHECK(ws_update_step_state(store, A, "s1", "step-2",
                             "{\"draft\":\"\xe6\x97\xa5\xe6\x9c\xac\"}"));
  CHECK(ws_update_step_state(store, A, "s1", "tmp", "{\"x\":1}"));
  CHECK(ws_clear_step_state(store, A, "s1", "tmp"));

  /* A taken id is refused and changes nothing. */
  st = ws_create_session(store, A, "s1", "should not be stored", &id);
  if (st != WS_ALREADY_EXISTS || id != NULL) {
    fprintf(stderr, "compat_tool: duplicate ws_create_session gave %s, want WS_ALREADY_EXISTS\n",
            ws_status_name(st));
    rc = 1;
    goto done;
  }

  /* A generated id, no label. */
  CHECK(ws_create_session(store, A, NULL, NULL, &generated));
  CHECK(ws_set_current_step(store, A, generated, "intro"));

  /* A session id with ':' and a non-ASCII label. */
  CHECK(ws_create_session(store, A, "user:42:run",
                          "\xc3\x9cn\xc3\xaf""c\xc3\xb6""d\xc3\xa9 \xf0\x9f\x99\x82 label", &id));
  ws_string_free(id);
  id = NULL;
  CHECK(ws_update_state(store, A, "user:42:run", "{\"k\":\"v\",\"n\":[]}"));

  /* A deleted session. */
  CHECK(ws_create_session(store, A, "doomed", "to delete", &id));
  ws_string_free(id);
  id = NULL;
  CHECK(ws_update_state(store, A, "doomed", "{\"gone\":1}"));
  CHECK(ws_delete_session(store, A, "doomed"));

  /* Sessions created by an upsert, not by ws_create_session. */
  CHECK(ws_set_current_step(store, A, "implicit", "only-step"));
  CHECK(ws_update_state(store, A, "upserted", "{\"n\":-0.0,\"e\":1E+2,\"i\":-17}"));

  /* Labels changed and cleared. */
  CHECK(ws_create_session(store, A, "relabel", "old label", &id));
  ws_string_free(id);
  id = NULL;
  CHECK(ws_set_session_label(store, A, "relabel", "new label"));
  CHECK(ws_create_session(store, A, "unlabel", "x", &id));
  ws_string_free(id);
  id = NULL;
  CHECK(ws_set_session_label(store, A, "unlabel", NULL));

  /* Flow B: the same session id as in A, and a step id with ':'. */
  CHECK(ws_create_session(store, B, "s1", NULL, &id));
  ws_string_free(id);
  id = NULL;
  CHECK(ws_update_state(store, B, "s1", "{\"flow\":\"b\"}"));
  CHECK(ws_update_step_state(store, B, "s1", "step:with:colon", "{\"v\":[0.1,1e-7]}"));
  CHECK(ws_set_current_step(store, B, "s1", "step:with:colon"));

  fputs("{\"generated\":", stdout);
  put_json_string(stdout, generated);
  fputs("}\n", stdout);

done:
  fflush(stdout);
  ws_string_free(id);
  ws_string_free(generated);
  ws_store_close(store);
  return rc;
}

static bool parse_ll(const char *text, long long *out) {
  char *end = NULL;
  if (text == NULL || *text == '\0') return false;
  *out = strtoll(text, &end, 10);
  return *end == '\0';
}

static bool parse_ull(const char *text, unsigned long long *out) {
  char *end = NULL;
  if (text == NULL || *text == '\0' || *text == '-') return false;
  *out = strtoull(text, &end, 10);
  return *end == '\0';
}

/* One call of "call"/"calls" on an open store: argv is OP FLOW [SESSION [ARG...]].
   Prints its result object; returns 0, or 2 for an unknown call, 1 if the call failed
   but left its out-parameter set. */
static int do_call(ws_store *store, int argc, char **argv) {
  char *result = NULL;
  char number[32];
  const char *text = NULL; /* a result that is not a ws_ string */
  ws_status st;
  const char *op, *flow, *sid;
  int rc = 0;

  if (argc < 1 || argv[0] == NULL) {
    fputs("compat_tool: a call needs OP [FLOW ...]\n", stderr);
    return 2;
  }
  op = argv[0];
  flow = argc > 1 ? argv[1] : NULL;
  sid = argc > 2 ? argv[2] : NULL;

  if (strcmp(op, "latest_seq") == 0 && argc == 1) {
    int64_t seq = -1;
    st = ws_latest_seq(store, &seq);
    if (st == WS_OK) {
      snprintf(number, sizeof number, "%lld", (long long)seq);
      text = number;
    } else if (seq != 0) {
      rc = 1;
    }
  } else if (strcmp(op, "changes_since") == 0 && argc == 4) {
    long long after;
    unsigned long long limit;
    if (!parse_ll(argv[2], &after) || !parse_ull(argv[3], &limit)) {
      fprintf(stderr, "compat_tool: changes_since needs numbers, not %s %s\n",
              argv[2] ? argv[2] : "null", argv[3] ? argv[3] : "null");
      return 2;
    }
    st = ws_changes_since(store, flow, (int64_t)after, (size_t)limit, &result);
  } else if (argc < 2 || flow == NULL) {
    fprintf(stderr, "compat_tool: call %s needs a FLOW\n", op);
    return 2;
  } else if (strcmp(op, "get_revision") == 0 && argc == 3) {
    int64_t revision = -1;
    st = ws_get_revision(store, flow, sid, &revision);
    if (st == WS_OK) {
      snprintf(number, sizeof number, "%lld", (long long)revision);
      text = number;
    } else if (revision != 0) {
      rc = 1;
    }
  } else if (strcmp(op, "get_session") == 0 && argc == 3) {
    st = ws_get_session(store, flow, sid, &result);
  } else if (strcmp(op, "apply") == 0 && argc == 4) {
    st = ws_apply(store, flow, sid, argv[3], &result);
  } else if (strcmp(op, "create_session") == 0 && argc == 4) {
    st = ws_create_session(store, flow, sid, argv[3], &result);
  } else if (strcmp(op, "set_session_label") == 0 && argc == 4) {
    st = ws_set_session_label(store, flow, sid, argv[3]);
  } else if (strcmp(op, "list_by") == 0 && argc == 4 && argv[2] != NULL && argv[3] != NULL) {
    ws_order_by order;
    if (strcmp(argv[2], "updated_at") == 0) order = WS_ORDER_UPDATED_AT;
    else if (strcmp(argv[2], "created_at") == 0) order = WS_ORDER_CREATED_AT;
    else if (strcmp(argv[2], "label") == 0) order = WS_ORDER_LABEL;
    else {
      fprintf(stderr, "compat_tool: list_by: unknown order %s\n", argv[2]);
      return 2;
    }
    if (strcmp(argv[3], "asc") != 0 && strcmp(argv[3], "desc") != 0) {
      fprintf(stderr, "compat_tool: list_by: direction %s is not asc or desc\n", argv[3]);
      return 2;
    }
    st = ws_list_sessions(store, flow, order, strcmp(argv[3], "desc") == 0, &result);
  } else if (strcmp(op, "list") == 0 && argc == 2) {
    st = ws_list_sessions(store, flow, WS_ORDER_CREATED_AT, false, &result);
  } else if (strcmp(op, "get_state") == 0 && argc == 3) {
    st = ws_get_state(store, flow, sid, &result);
  } else if (strcmp(op, "get_current_step") == 0 && argc == 3) {
    st = ws_get_current_step(store, flow, sid, &result);
  } else if (strcmp(op, "summary") == 0 && argc == 3) {
    st = ws_get_session_summary(store, flow, sid, &result);
  } else if (strcmp(op, "get_step_state") == 0 && argc == 4) {
    st = ws_get_step_state(store, flow, sid, argv[3], &result);
  } else if (strcmp(op, "update_state") == 0 && argc == 4) {
    st = ws_update_state(store, flow, sid, argv[3]);
  } else if (strcmp(op, "update_step_state") == 0 && argc == 5) {
    st = ws_update_step_state(store, flow, sid, argv[3], argv[4]);
  } else if (strcmp(op, "clear_step_state") == 0 && argc == 4) {
    st = ws_clear_step_state(store, flow, sid, argv[3]);
  } else if (strcmp(op, "set_current_step") == 0 && argc == 4) {
    st = ws_set_current_step(store, flow, sid, argv[3]);
  } else if (strcmp(op, "exists") == 0 && argc == 3) {
    bool exists = true;
    st = ws_session_exists(store, flow, sid, &exists);
    if (st == WS_OK) text = exists ? "true" : "false";
    else if (exists) rc = 1;
  } else if (strcmp(op, "delete_session") == 0 && argc == 3) {
    st = ws_delete_session(store, flow, sid);
  } else if (strcmp(op, "clear_state") == 0 && argc == 3) {
    st = ws_clear_state(store, flow, sid);
  } else if (strcmp(op, "history_push") == 0 && argc == 4) {
    st = ws_history_push(store, flow, sid, argv[3]);
  } else if (strcmp(op, "history_pop") == 0 && argc == 3) {
    st = ws_history_pop(store, flow, sid, &result);
  } else if (strcmp(op, "history_peek") == 0 && argc == 3) {
    st = ws_history_peek(store, flow, sid, &result);
  } else if (strcmp(op, "history_len") == 0 && argc == 3) {
    size_t len = 12345;
    st = ws_history_len(store, flow, sid, &len);
    if (st == WS_OK) {
      snprintf(number, sizeof number, "%lu", (unsigned long)len);
      text = number;
    } else if (len != 0) {
      rc = 1;
    }
  } else if (strcmp(op, "history_clear") == 0 && argc == 3) {
    st = ws_history_clear(store, flow, sid);
  } else if (strcmp(op, "checkpoint") == 0 && (argc == 3 || argc == 4)) {
    st = ws_checkpoint(store, flow, sid, argc == 4 ? argv[3] : NULL);
  } else if ((strcmp(op, "undo") == 0 || strcmp(op, "redo") == 0) && argc == 3) {
    bool done = true;
    st = (op[0] == 'u' ? ws_undo : ws_redo)(store, flow, sid, &done);
    if (st == WS_OK) text = done ? "true" : "false";
    else if (done) rc = 1;
  } else if (strcmp(op, "undo_status") == 0 && argc == 3) {
    st = ws_undo_status(store, flow, sid, &result);
  } else {
    fprintf(stderr, "compat_tool: unknown call %s with %d arguments\n", op, argc - 2);
    return 2;
  }
  fputs("{\"status\":", stdout);
  put_json_string(stdout, ws_status_name(st));
  fputs(",\"message\":", stdout);
  put_json_string(stdout, ws_last_error_message());
  fputs(",\"result\":", stdout);
  put_json_string(stdout, result != NULL ? result : text);
  fputs("}", stdout);
  if (st != WS_OK && (result != NULL || rc != 0)) {
    fprintf(stderr, "compat_tool: %s failed with %s but left its out-parameter set\n", op,
            ws_status_name(st));
    rc = 1;
  }
  ws_string_free(result);
  return rc;
}

static int cmd_call(int argc, char **argv) {
  int rc = 0;
  ws_store *store = NULL;

  if (argc < 3) {
    fputs("usage: compat_tool call DB OP FLOW [SESSION [ARG...]]\n", stderr);
    return 2;
  }
  CHECK(open_store(argv[0], &store));
  rc = do_call(store, argc - 1, argv + 1);
  fputs("\n", stdout);

done:
  fflush(stdout);
  ws_store_close(store);
  return rc;
}

static int cmd_calls(int argc, char **argv) {
  int rc = 0, i, first;
  ws_store *store = NULL;

  if (argc < 3) {
    fputs("usage: compat_tool calls DB OP FLOW [SESSION [ARG...]] [-- OP FLOW ...]...\n",
          stderr);
    return 2;
  }
  CHECK(open_store(argv[0], &store));
  fputs("[", stdout);
  for (first = 1, i = 1; i <= argc; i++) {
    if (i == argc || strcmp(argv[i], "--") == 0) {
      int one;
      if (first > 1) fputs(",", stdout);
      one = do_call(store, i - first, argv + first);
      if (one == 2) {
        rc = 2;
        goto done;
      }
      if (one != 0) rc = one;
      first = i + 1;
    }
  }
  fputs("]\n", stdout);

done:
  fflush(stdout);
  ws_store_close(store);
  return rc;
}

/* ---- serve ---------------------------------------------------------------------------- */

/* Reads a line's JSON array of strings and nulls into args (NULL for null). */
static bool scan_args(const char *line, strlist *args) {
  scanner sc;
  sc.p = line;
  sc.ok = true;
  if (!expect(&sc, '[')) return false;
  skip_ws(&sc);
  if (*sc.p == ']') return false; /* a call needs at least its OP */
  for (;;) {
    skip_ws(&sc);
    if (strncmp(sc.p, "null", 4) == 0) {
      sc.p += 4;
      if (!strlist_push(args, NULL)) return false;
    } else {
      bool nul;
      char *arg = scan_string(&sc, &nul);
      if (arg == NULL) return false;
      if (nul || !strlist_push(args, arg)) {
        free(arg);
        return false;
      }
    }
    skip_ws(&sc);
    if (*sc.p == ',') {
      sc.p++;
      continue;
    }
    if (!expect(&sc, ']')) return false;
    skip_ws(&sc);
    return *sc.p == '\0';
  }
}

static double monotonic_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ["wait_change", TIMEOUT_MS]: see the usage at the top. */
static int serve_wait(ws_store *store, const char *timeout_text) {
  long long timeout;
  int64_t after = -1, seq = -1;
  double started, woke;
  ws_status st;
  if (!parse_ll(timeout_text, &timeout) || timeout > INT32_MAX || timeout < INT32_MIN) {
    fprintf(stderr, "compat_tool: wait_change needs a timeout in ms, not %s\n",
            timeout_text != NULL ? timeout_text : "null");
    return 2;
  }
  st = ws_latest_seq(store, &after);
  if (st != WS_OK) {
    fputs("{\"status\":", stdout);
    put_json_string(stdout, ws_status_name(st));
    fputs(",\"message\":", stdout);
    put_json_string(stdout, ws_last_error_message());
    fputs(",\"after\":null,\"seq\":null}", stdout);
    return 0;
  }
  /* The other side writes once it has read this line: the wait starts right after. */
  printf("{\"waiting\":%lld}\n", (long long)after);
  fflush(stdout);
  started = monotonic_s();
  st = ws_wait_for_change(store, after, (int32_t)timeout, &seq);
  woke = monotonic_s();
  fputs("{\"status\":", stdout);
  put_json_string(stdout, ws_status_name(st));
  fputs(",\"message\":", stdout);
  put_json_string(stdout, ws_last_error_message());
  printf(",\"after\":%lld,\"seq\":%lld,\"waited_ms\":%.3f,\"started_at\":%.6f,"
         "\"woke_at\":%.6f}", (long long)after, (long long)seq, (woke - started) * 1000.0,
         started, woke);
  return 0;
}

static int cmd_serve(int argc, char **argv) {
  int rc = 0;
  ws_store *store = NULL;
  char *line = NULL;
  size_t cap = 0;
  strlist args = {NULL, 0};

  if (argc != 1) {
    fputs("usage: compat_tool serve DB\n", stderr);
    return 2;
  }
  CHECK(open_store(argv[0], &store));
  while (getline(&line, &cap, stdin) != -1) {
    int one;
    if (!scan_args(line, &args)) {
      fprintf(stderr, "compat_tool: serve: not a JSON array of strings: %s", line);
      one = 2;
    } else if (args.items[0] != NULL && strcmp(args.items[0], "wait_change") == 0 &&
               args.len == 2) {
      one = serve_wait(store, args.items[1]);
    } else {
      one = do_call(store, (int)args.len, args.items);
    }
    /* An unusable request still gets its line, so that the caller never waits for one. */
    if (one == 2) fputs("{\"status\":\"USAGE\",\"message\":\"see stderr\",\"result\":null}", stdout);
    else if (one != 0) rc = one;
    fputs("\n", stdout);
    fflush(stdout);
    strlist_free(&args);
  }

done:
  fflush(stdout);
  strlist_free(&args);
  free(line);
  ws_store_close(store);
  return rc;
}

/* ---- json-history --------------------------------------------------------------------- */

/* One field of an operation object: a string (decoded), a scalar (its text), or null. */
typedef struct {
  const char *name;
  bool present;
  bool is_null;
  char *value;
} field;

static char *copy_span(const char *from, const char *to) {
  char *s = malloc((size_t)(to - from) + 1);
  if (s == NULL) return NULL;
  memcpy(s, from, (size_t)(to - from));
  s[to - from] = '\0';
  return s;
}

/* Reads one object at sc, filling the fields it names (other keys are skipped). */
static void scan_fields(scanner *sc, field *fields, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    fields[i].present = fields[i].is_null = false;
    fields[i].value = NULL;
  }
  if (!expect(sc, '{')) return;
  skip_ws(sc);
  if (*sc->p == '}') {
    sc->p++;
    return;
  }
  for (;;) {
    bool nul;
    field *f = NULL;
    char *key = scan_string(sc, &nul);
    if (key == NULL) return;
    for (i = 0; i < n; i++)
      if (strcmp(fields[i].name, key) == 0) f = &fields[i];
    free(key);
    if (!expect(sc, ':')) return;
    skip_ws(sc);
    if (f == NULL) {
      skip_value(sc);
    } else {
      free(f->value);
      f->value = NULL;
      f->present = true;
      f->is_null = false;
      if (*sc->p == '"') {
        f->value = scan_string(sc, &nul);
        if (f->value != NULL && nul) sc->ok = false; /* not usable as a C string */
      } else {
        const char *start = sc->p;
        skip_value(sc);
        if (sc->ok) {
          f->value = copy_span(start, sc->p);
          if (f->value == NULL) sc->ok = false;
          else if (strcmp(f->value, "null") == 0) {
            free(f->value);
            f->value = NULL;
            f->is_null = true;
          }
        }
      }
    }
    if (!sc->ok) return;
    skip_ws(sc);
    if (*sc->p == ',') {
      sc->p++;
      continue;
    }
    expect(sc, '}');
    return;
  }
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0, got;
  if (f == NULL) return NULL;
  for (;;) {
    if (cap - len < 65536) {
      char *grown = realloc(buf, cap + 65536 + 1);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
      cap += 65536;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  buf[len] = '\0';
  return buf;
}

static int cmd_export_import(int argc, char **argv) {
  int rc = 0;
  ws_store *src = NULL, *dst = NULL;
  char *document = NULL;

  if (argc != 2) {
    fputs("usage: compat_tool export-import SRC DST\n", stderr);
    return 2;
  }
  CHECK(ws_store_open_with(argv[0], "{\"read_only\":true}", &src));
  CHECK(ws_export(src, NULL, NULL, &document));
  CHECK(open_store(argv[1], &dst));
  CHECK(ws_import(dst, document, false));
  fputs("{\"document\":", stdout);
  put_json_string(stdout, document);
  fputs("}\n", stdout);
done:
  fflush(stdout);
  ws_string_free(document);
  ws_store_close(dst);
  ws_store_close(src);
  return rc;
}

/* Marks an out-parameter the library must set: still pointing here afterwards means it
   was left unset. */
static char unset_mark;

static int cmd_json_history(int argc, char **argv) {
  int rc = 0;
  char *ops = NULL, *chain = NULL;
  scanner sc;
  field fields[4] = {{"op", false, false, NULL},
                     {"history", false, false, NULL},
                     {"snapshot", false, false, NULL},
                     {"max_depth", false, false, NULL}};
  size_t count = 0, k;

  if (argc != 1) {
    fputs("usage: compat_tool json-history OPS_FILE\n", stderr);
    return 2;
  }
  ops = read_file(argv[0]);
  if (ops == NULL) {
    fprintf(stderr, "compat_tool: cannot read %s\n", argv[0]);
    return 1;
  }
  sc.p = ops;
  sc.ok = true;
  if (!expect(&sc, '[')) goto syntax;
  skip_ws(&sc);
  fputs("[", stdout);
  if (*sc.p == ']') goto end;
  for (;;) {
    const char *op, *in;
    char *out_hist = &unset_mark, *out_snap = &unset_mark;
    bool is_pop;
    ws_status st;
    char unset[32] = "";

    scan_fields(&sc, fields, 4);
    if (!sc.ok) goto syntax;
    op = fields[0].value;
    if (op == NULL || (strcmp(op, "push") != 0 && strcmp(op, "pop") != 0)) {
      fprintf(stderr, "compat_tool: operation %lu: \"op\" must be \"push\" or \"pop\"\n",
              (unsigned long)count);
      rc = 1;
      goto done;
    }
    is_pop = op[1] == 'o';
    if (fields[1].present) in = fields[1].value; /* NULL for null */
    else in = chain != NULL ? chain : "[]";

    if (is_pop) {
      st = ws_json_history_pop(in, &out_snap, &out_hist);
    } else {
      unsigned long long depth;
      char *end = NULL;
      if (fields[2].value == NULL || fields[3].value == NULL) {
        fprintf(stderr, "compat_tool: operation %lu: a push needs \"snapshot\" and "
                "\"max_depth\"\n", (unsigned long)count);
        rc = 1;
        goto done;
      }
      depth = strtoull(fields[3].value, &end, 10);
      if (end == fields[3].value || *end != '\0' || depth > (unsigned long long)SIZE_MAX) {
        fprintf(stderr, "compat_tool: operation %lu: bad max_depth %s\n",
                (unsigned long)count, fields[3].value);
        rc = 1;
        goto done;
      }
      st = ws_json_history_push(in, fields[2].value, (size_t)depth, &out_hist);
    }
    if (out_hist == &unset_mark) {
      strcat(unset, "history");
      out_hist = NULL;
    }
    if (is_pop && out_snap == &unset_mark) {
      strcat(unset, unset[0] != '\0' ? ",snapshot" : "snapshot");
      out_snap = NULL;
    }
    if (!is_pop) out_snap = NULL;

    if (count > 0) fputs(",\n", stdout);
    fputs("{\"op\":", stdout);
    put_json_string(stdout, op);
    fputs(",\"status\":", stdout);
    put_json_string(stdout, ws_status_name(st));
    fputs(",\"message\":", stdout);
    put_json_string(stdout, ws_last_error_message());
    fputs(",\"in\":", stdout);
    put_json_string(stdout, in);
    fputs(",\"history\":", stdout);
    put_json_string(stdout, out_hist);
    if (is_pop) {
      fputs(",\"snapshot\":", stdout);
      put_json_string(stdout, out_snap);
    }
    fputs(",\"unset\":", stdout);
    put_json_string(stdout, unset);
    fputs("}", stdout);
    count++;

    ws_string_free(out_snap);
    if (st == WS_OK && out_hist != NULL) {
      ws_string_free(chain);
      chain = out_hist;
    } else {
      ws_string_free(out_hist);
    }
    for (k = 0; k < 4; k++) {
      free(fields[k].value);
      fields[k].value = NULL;
    }
    skip_ws(&sc);
    if (*sc.p == ',') {
      sc.p++;
      continue;
    }
    if (!expect(&sc, ']')) goto syntax;
    break;
  }
end:
  fputs("]\n", stdout);
  goto done;
syntax:
  fprintf(stderr, "compat_tool: %s: not a JSON array of operations (near byte %lu)\n",
          argv[0], (unsigned long)(sc.p - ops));
  rc = 1;
done:
  fflush(stdout);
  for (k = 0; k < 4; k++) free(fields[k].value);
  ws_string_free(chain);
  free(ops);
  return rc;
}

int main(int argc, char **argv) {
  int i = 1;
  const char *env = getenv("WS_COMPAT_OPTIONS");
  if (env != NULL && env[0] != '\0') options_json = env;
  if (i + 1 < argc && strcmp(argv[i], "--options") == 0) {
    options_json = argv[i + 1];
    i += 2;
  }
  if (i < argc) {
    if (strcmp(argv[i], "dump") == 0) return cmd_dump(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "write") == 0) return cmd_write(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "call") == 0) return cmd_call(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "calls") == 0) return cmd_calls(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "serve") == 0) return cmd_serve(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "json-history") == 0)
      return cmd_json_history(argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "export-import") == 0)
      return cmd_export_import(argc - i - 1, argv + i + 1);
  }
  fputs("usage: compat_tool [--options JSON] dump DB [--step STEP]... FLOW...\n"
        "       compat_tool [--options JSON] write DB\n"
        "       compat_tool [--options JSON] call DB OP FLOW [SESSION [ARG...]]\n"
        "       compat_tool [--options JSON] calls DB OP FLOW [SESSION [ARG...]] "
        "[-- OP FLOW ...]...\n"
        "       compat_tool [--options JSON] serve DB\n"
        "       compat_tool [--options JSON] export-import SRC DST\n"
        "       compat_tool json-history OPS_FILE\n",
        stderr);
  return 2;
}
