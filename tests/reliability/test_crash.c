/* Crash test: a child process writes through the C API in a loop and acknowledges every
 * call that returned WS_OK on a pipe; the parent kills it with SIGKILL at a random moment
 * and then checks the files it left behind. The writes go to 3 sessions of one store
 * opened with max_history_depth 6 (so full stacks get trimmed): ws_update_state merges of
 * 1-3 keys, some holding strings of up to 6000 bytes (a state then spans several pages),
 * ws_update_step_state, ws_set_current_step, ws_checkpoint (with and without a label),
 * ws_undo, ws_redo, ws_history_push / _pop, ws_delete_session, ws_prune_sessions of the
 * whole flow (one batch, for 3 sessions), and now and then closing and reopening the
 * store. After each kill:
 *  - CPython's sqlite3, in a separate process (two SQLite copies in one process would
 *    break each other's POSIX locks), finds `PRAGMA integrity_check` "ok", the schema
 *    wholly there, every stored state a strict JSON object, every stack entry strict JSON
 *    (chunked ones reassembled), chunk reference counts exact and no stack entry or undo
 *    mark (ws_undo) without its session. On odd rounds it runs first, so CPython's
 *    SQLite recovers the file (rolls back the journal or replays the WAL); on even rounds
 *    it runs after the library has recovered and checked the file;
 *  - the store opens without error;
 *  - every session, as seen through the API (existence, state text, current step, undo
 *    status, history length and top, then every entry of its undo, redo and history
 *    stacks, walked with undo/redo/pop and put back), is exactly what an in-memory model
 *    gives after ALL the acknowledged writes, or after those and the one write that was
 *    in flight when the kill came. So no acknowledged write is lost and none is ever
 *    half-written. If that fails, the test says for each session after which prefix of
 *    the writes it looks as it does, if any.
 * Every call's result is checked too: the child reports what undo/redo/pop returned and
 * the parent checks it against the model as it replays the acknowledgements.
 *
 * Both durability modes are tested, each on its own file, the rounds following one
 * another on that file (each round starts from what the previous kill left):
 *  - the default, WAL with synchronous=normal;
 *  - {"journal_mode":"delete","synchronous":"full"}.
 * SIGKILL ends the process but not the machine: whatever the process handed to the OS is
 * in the page cache and reaches the next reader. So this proves that the library never
 * leaves a half-done transaction for the next open and never acknowledges a write before
 * it committed, in both modes; it does not simulate a power loss or an OS crash (where
 * synchronous=normal may lose the last commits, and where fsync really matters).
 *
 * The ops of a round are generated from a seeded PRNG before the child is forked, so
 * parent and child share them; the parent kills after a random number of acknowledgements
 * plus a random short busy-wait (the ordering comes from the pipe; nothing sleeps to
 * synchronise). WS_CRASH_SEED=N repeats a run's writes and kill points (how far the writer
 * gets during the busy-wait depends on the machine); WS_CRASH_ROUNDS=N sets the kills per
 * mode (default 60). */
#include "reliability.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#define FLOW "crash"
#define SESSIONS 3
#define DEPTH 6        /* max_history_depth: small, so that full stacks get trimmed */
#define DEPTH_TEXT "6" /* the same, for the options */
#define MAX_OPS 600    /* generated per round: more than a kill ever waits for */
#define PAD_MAX 6000   /* a state holding a pad this long spans several pages */
#define MAX_MEMBERS 6  /* a, b, c, pad, _step_x, _step_y */
#define TEXT_MAX 16384 /* room for any rendered state */

static const char *const session_ids[SESSIONS] = {"s0", "s1", "s2"};
static const char *const step_ids[] = {"x", "y", "z"}; /* step state only for x and y */
static const char *const state_keys[] = {"a", "b", "c", "pad"};

/* ------------------------------------------------------------------------------------ */
/* The model: plain data, copied by assignment. */

enum value_kind { V_INT, V_PAD, V_STEP };

struct value {
  int kind;
  long num;      /* V_INT */
  int pad_len;   /* V_PAD: a string of pad_len times pad_char */
  char pad_char;
  int n;         /* V_STEP: an object of n integer members, keys "p"/"q" in order */
  char step_key[2];
  long step_num[2];
};

struct member {
  char key[8];
  struct value v;
};

/* A JSON object with its keys in insertion order, as the library keeps them. */
struct object {
  int n;
  struct member m[MAX_MEMBERS];
};

/* A history snapshot: [id,"<pad>"]. */
struct snapshot {
  long id;
  int pad_len;
  char pad_char;
};

/* An undo or redo entry. label -1 is null, otherwise "c<label>"; step -1 is none. */
struct entry {
  long label;
  int step;
  struct object state;
};

struct session {
  int exists;
  int step; /* -1: none */
  struct object state;
  struct entry undo[DEPTH], redo[DEPTH];
  int n_undo, n_redo;
  struct snapshot hist[DEPTH];
  int n_hist;
};

struct model {
  struct session s[SESSIONS];
};

enum op_kind {
  OP_UPDATE_STATE,
  OP_UPDATE_STEP,
  OP_SET_STEP,
  OP_CHECKPOINT,
  OP_UNDO,
  OP_REDO,
  OP_PUSH,
  OP_POP,
  OP_DELETE,
  OP_PRUNE,
  OP_REOPEN,
  OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
    "ws_update_state", "ws_update_step_state", "ws_set_current_step", "ws_checkpoint",
    "ws_undo",         "ws_redo",              "ws_history_push",     "ws_history_pop",
    "ws_delete_session", "ws_prune_sessions", "close and reopen"};

struct op {
  int kind, session, step;
  struct object updates; /* OP_UPDATE_STATE: the members; OP_UPDATE_STEP: m[0], a V_STEP */
  long label;            /* OP_CHECKPOINT */
  struct snapshot snap;  /* OP_PUSH */
};

static struct member *find_member(struct object *o, const char *key) {
  int i;
  for (i = 0; i < o->n; i++)
    if (strcmp(o->m[i].key, key) == 0) return &o->m[i];
  return NULL;
}

/* dict.update for one key: an existing key keeps its place, a new one goes last. */
static struct member *set_member(struct object *o, const char *key, const struct value *v) {
  struct member *m = find_member(o, key);
  if (m == NULL) {
    CHECK(o->n < MAX_MEMBERS);
    m = &o->m[o->n++];
    CHECK(strlen(key) < sizeof m->key);
    strcpy(m->key, key);
  }
  m->v = *v;
  return m;
}

static void merge_step(struct value *step, const struct value *updates) {
  int i, j;
  for (i = 0; i < updates->n; i++) {
    for (j = 0; j < step->n && step->step_key[j] != updates->step_key[i]; j++) continue;
    if (j == step->n) {
      CHECK(step->n < 2);
      step->step_key[step->n++] = updates->step_key[i];
    }
    step->step_num[j] = updates->step_num[i];
  }
}

/* A push onto a full stack drops the oldest entry, as max_history_depth says. */
static void push_entry(struct entry *stack, int *n, const struct entry *e) {
  if (*n == DEPTH) {
    memmove(stack, stack + 1, (DEPTH - 1) * sizeof *stack);
    (*n)--;
  }
  stack[(*n)++] = *e;
}

static void push_snapshot(struct snapshot *stack, int *n, const struct snapshot *e) {
  if (*n == DEPTH) {
    memmove(stack, stack + 1, (DEPTH - 1) * sizeof *stack);
    (*n)--;
  }
  stack[(*n)++] = *e;
}

/* Undo and redo are one move in opposite directions (API.md "Undo / redo"). */
static int travel(struct session *s, struct entry *from, int *n_from, struct entry *to, int *n_to) {
  struct entry target, replaced;
  if (*n_from == 0) return 0;
  target = from[--*n_from];
  replaced.label = target.label;
  replaced.step = s->step;
  replaced.state = s->state;
  push_entry(to, n_to, &replaced);
  s->state = target.state;
  s->step = target.step;
  return 1;
}

/* Applies one op to the model. Returns what the API call returns: done for undo/redo,
 * 1 for a pop that returned a snapshot (then in *popped), else 0. */
static int model_apply(struct model *model, const struct op *op, struct snapshot *popped) {
  struct session *s = &model->s[op->session];
  struct entry e;
  struct member *m;
  char key[16];
  int i, pruned = 0;
  switch (op->kind) {
  case OP_UPDATE_STATE:
    for (i = 0; i < op->updates.n; i++) set_member(&s->state, op->updates.m[i].key, &op->updates.m[i].v);
    s->exists = 1;
    return 0;
  case OP_UPDATE_STEP:
    snprintf(key, sizeof key, "_step_%s", step_ids[op->step]);
    m = find_member(&s->state, key);
    if (m == NULL) {
      struct value empty;
      memset(&empty, 0, sizeof empty);
      empty.kind = V_STEP;
      m = set_member(&s->state, key, &empty);
    }
    merge_step(&m->v, &op->updates.m[0].v);
    s->exists = 1;
    return 0;
  case OP_SET_STEP:
    s->step = op->step;
    s->exists = 1;
    return 0;
  case OP_CHECKPOINT:
    e.label = op->label;
    e.step = s->step;
    e.state = s->state;
    push_entry(s->undo, &s->n_undo, &e);
    s->n_redo = 0;
    s->exists = 1;
    return 0;
  case OP_UNDO:
    return travel(s, s->undo, &s->n_undo, s->redo, &s->n_redo);
  case OP_REDO:
    return travel(s, s->redo, &s->n_redo, s->undo, &s->n_undo);
  case OP_PUSH:
    push_snapshot(s->hist, &s->n_hist, &op->snap);
    s->exists = 1;
    return 0;
  case OP_POP:
    if (s->n_hist == 0) return 0;
    *popped = s->hist[--s->n_hist];
    return 1;
  case OP_DELETE:
    memset(s, 0, sizeof *s);
    s->step = -1;
    return 0;
  case OP_PRUNE: /* every session of the flow (one batch: it commits whole or not at all) */
    for (i = 0, s = model->s; i < SESSIONS; i++, s++) {
      pruned += s->exists;
      memset(s, 0, sizeof *s);
      s->step = -1;
    }
    return pruned;
  case OP_REOPEN:
    return 0;
  }
  CHECK(!"unknown op kind");
  return 0;
}

static void model_init(struct model *model) {
  int i;
  memset(model, 0, sizeof *model);
  for (i = 0; i < SESSIONS; i++) model->s[i].step = -1;
}

/* ------------------------------------------------------------------------------------ */
/* JSON text of the model, compact as the library writes it. */

struct text {
  size_t len;
  char s[TEXT_MAX];
};

static void put(struct text *t, const char *format, ...) {
  va_list args;
  int n;
  va_start(args, format);
  n = vsnprintf(t->s + t->len, sizeof t->s - t->len, format, args);
  va_end(args);
  CHECK(n >= 0 && (size_t)n < sizeof t->s - t->len);
  t->len += (size_t)n;
}

static void put_pad(struct text *t, int len, char c) {
  CHECK(t->len + (size_t)len + 3 < sizeof t->s);
  t->s[t->len++] = '"';
  memset(t->s + t->len, c, (size_t)len);
  t->len += (size_t)len;
  t->s[t->len++] = '"';
  t->s[t->len] = '\0';
}

static void put_value(struct text *t, const struct value *v) {
  int i;
  switch (v->kind) {
  case V_INT:
    put(t, "%ld", v->num);
    return;
  case V_PAD:
    put_pad(t, v->pad_len, v->pad_char);
    return;
  case V_STEP:
    put(t, "{");
    for (i = 0; i < v->n; i++) put(t, "%s\"%c\":%ld", i ? "," : "", v->step_key[i], v->step_num[i]);
    put(t, "}");
    return;
  }
  CHECK(!"unknown value kind");
}

static const char *object_text(struct text *t, const struct object *o) {
  int i;
  t->len = 0;
  put(t, "{");
  for (i = 0; i < o->n; i++) {
    put(t, "%s\"%s\":", i ? "," : "", o->m[i].key);
    put_value(t, &o->m[i].v);
  }
  put(t, "}");
  return t->s;
}

static const char *snapshot_text(struct text *t, const struct snapshot *snap) {
  t->len = 0;
  put(t, "[%ld,", snap->id);
  put_pad(t, snap->pad_len, snap->pad_char);
  put(t, "]");
  return t->s;
}

static void put_label(struct text *t, long label) {
  if (label < 0) put(t, "null");
  else put(t, "\"c%ld\"", label);
}

static const char *status_text(struct text *t, const struct session *s) {
  t->len = 0;
  put(t, "{\"undo_depth\":%d,\"redo_depth\":%d,\"undo_label\":", s->n_undo, s->n_redo);
  put_label(t, s->n_undo ? s->undo[s->n_undo - 1].label : -1);
  put(t, ",\"redo_label\":");
  put_label(t, s->n_redo ? s->redo[s->n_redo - 1].label : -1);
  put(t, NO_META_NOT_CLEAN);
  return t->s;
}

/* ------------------------------------------------------------------------------------ */
/* The ops, and running them through the API. */

static void make_op(struct rng *r, long index, struct op *op) {
  uint32_t roll = rng_below(r, 100);
  memset(op, 0, sizeof *op);
  op->session = (int)rng_below(r, SESSIONS);
  op->label = -1;
  if (roll < 25) {
    /* 1-3 distinct keys in a random order; pads of up to PAD_MAX bytes. */
    int order[4] = {0, 1, 2, 3}, i, n = 1 + (int)rng_below(r, 3);
    op->kind = OP_UPDATE_STATE;
    for (i = 3; i > 0; i--) {
      int j = (int)rng_below(r, (uint32_t)i + 1), swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    for (i = 0; i < n; i++) {
      struct member *m = &op->updates.m[op->updates.n++];
      strcpy(m->key, state_keys[order[i]]);
      if (order[i] == 3) {
        m->v.kind = V_PAD;
        m->v.pad_len = (int)rng_below(r, PAD_MAX + 1);
        m->v.pad_char = (char)('a' + index % 26);
      } else {
        m->v.kind = V_INT;
        m->v.num = index * 10 + i;
      }
    }
  } else if (roll < 40) {
    struct value *v = &op->updates.m[0].v;
    op->kind = OP_UPDATE_STEP;
    op->step = (int)rng_below(r, 2);
    op->updates.n = 1;
    v->kind = V_STEP;
    v->n = 1 + (int)rng_below(r, 2);
    v->step_key[0] = rng_below(r, 2) ? 'p' : 'q';
    v->step_key[1] = v->step_key[0] == 'p' ? 'q' : 'p';
    v->step_num[0] = index * 10;
    v->step_num[1] = index * 10 + 1;
  } else if (roll < 50) {
    op->kind = OP_SET_STEP;
    op->step = (int)rng_below(r, 3);
  } else if (roll < 65) {
    op->kind = OP_CHECKPOINT;
    op->label = rng_below(r, 4) ? index : -1;
  } else if (roll < 77) {
    op->kind = OP_UNDO;
  } else if (roll < 85) {
    op->kind = OP_REDO;
  } else if (roll < 92) {
    op->kind = OP_PUSH;
    op->snap.id = index;
    op->snap.pad_len = (int)rng_below(r, 200);
    op->snap.pad_char = (char)('A' + index % 26);
  } else if (roll < 97) {
    op->kind = OP_POP;
  } else if (roll < 98) {
    op->kind = OP_DELETE;
  } else if (roll < 99) {
    op->kind = OP_PRUNE;
  } else {
    op->kind = OP_REOPEN;
  }
}

/* A store and what reopening it needs. */
struct conn {
  ws_store *store;
  const char *path, *options;
};

/* Runs one op through the API; every call must return WS_OK. Returns what model_apply
 * returns; a popped snapshot's text goes to *popped (free with ws_string_free). */
static int perform(struct conn *c, const struct op *op, char **popped) {
  const char *sid = session_ids[op->session];
  static struct text updates; /* one op at a time per process */
  char label[32];
  bool done = false;
  *popped = NULL;
  switch (op->kind) {
  case OP_UPDATE_STATE:
    CHECK_OK(ws_update_state(c->store, FLOW, sid, object_text(&updates, &op->updates)));
    return 0;
  case OP_UPDATE_STEP:
    updates.len = 0;
    put_value(&updates, &op->updates.m[0].v);
    CHECK_OK(ws_update_step_state(c->store, FLOW, sid, step_ids[op->step], updates.s));
    return 0;
  case OP_SET_STEP:
    CHECK_OK(ws_set_current_step(c->store, FLOW, sid, step_ids[op->step]));
    return 0;
  case OP_CHECKPOINT:
    snprintf(label, sizeof label, "c%ld", op->label);
    CHECK_OK(ws_checkpoint(c->store, FLOW, sid, op->label < 0 ? NULL : label));
    return 0;
  case OP_UNDO:
    CHECK_OK(ws_undo(c->store, FLOW, sid, &done));
    return done;
  case OP_REDO:
    CHECK_OK(ws_redo(c->store, FLOW, sid, &done));
    return done;
  case OP_PUSH:
    CHECK_OK(ws_history_push(c->store, FLOW, sid, snapshot_text(&updates, &op->snap)));
    return 0;
  case OP_POP:
    CHECK_OK(ws_history_pop(c->store, FLOW, sid, popped));
    return *popped != NULL;
  case OP_DELETE:
    CHECK_OK(ws_delete_session(c->store, FLOW, sid));
    return 0;
  case OP_PRUNE: {
    size_t deleted = 0;
    CHECK_OK(ws_prune_sessions(c->store, FLOW, "9999-12-31 23:59:59", &deleted));
    return (int)deleted;
  }
  case OP_REOPEN:
    ws_store_close(c->store);
    c->store = NULL;
    CHECK_OK(ws_store_open_with(c->path, c->options, &c->store));
    return 0;
  }
  CHECK(!"unknown op kind");
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Comparing the store with the model. */

static int same_text(const char *what, int session, const char *actual, const char *expected,
                     int report) {
  int same = (actual == NULL || expected == NULL) ? actual == expected
                                                  : strcmp(actual, expected) == 0;
  if (!same && report) {
    /* States hold pads of thousands of bytes: show where the texts part. */
    size_t from = 0, len_a = actual ? strlen(actual) : 0, len_e = expected ? strlen(expected) : 0;
    if (actual != NULL && expected != NULL) {
      while (actual[from] != '\0' && actual[from] == expected[from]) from++;
      from = from > 40 ? from - 40 : 0;
    }
    fprintf(stderr, "  session %s, %s (%lu and %lu bytes, shown from byte %lu):\n"
                    "    is:       %.160s\n    expected: %.160s\n",
            session_ids[session], what, (unsigned long)len_a, (unsigned long)len_e,
            (unsigned long)from, actual ? actual + from : "(NULL)",
            expected ? expected + from : "(NULL)");
  }
  return same;
}

/* Whether a session looks like the model's through the read calls (which change
 * nothing); with `report`, prints each difference. */
static int session_matches(ws_store *store, const struct model *model, int index, int report) {
  static struct text expected;
  const struct session *s = &model->s[index];
  const char *sid = session_ids[index];
  char *got = NULL, count[32];
  bool exists = false;
  size_t len = 0;
  int ok = 1;

  CHECK_OK(ws_session_exists(store, FLOW, sid, &exists));
  ok &= same_text("exists", index, exists ? "true" : "false", s->exists ? "true" : "false", report);
  CHECK_OK(ws_get_state(store, FLOW, sid, &got));
  ok &= same_text("state", index, got, object_text(&expected, &s->state), report);
  ws_string_free(got);
  CHECK_OK(ws_get_current_step(store, FLOW, sid, &got));
  ok &= same_text("current step", index, got, s->step < 0 ? NULL : step_ids[s->step], report);
  ws_string_free(got);
  CHECK_OK(ws_undo_status(store, FLOW, sid, &got));
  ok &= same_text("undo status", index, got, status_text(&expected, s), report);
  ws_string_free(got);
  CHECK_OK(ws_history_len(store, FLOW, sid, &len));
  snprintf(count, sizeof count, "%lu", (unsigned long)len);
  expected.len = 0;
  put(&expected, "%d", s->n_hist);
  ok &= same_text("history length", index, count, expected.s, report);
  CHECK_OK(ws_history_peek(store, FLOW, sid, &got));
  ok &= same_text("history top", index, got,
                  s->n_hist ? snapshot_text(&expected, &s->hist[s->n_hist - 1]) : NULL, report);
  ws_string_free(got);
  return ok;
}

static int model_matches(ws_store *store, const struct model *model, int report) {
  int i, ok = 1;
  for (i = 0; i < SESSIONS; i++) ok &= session_matches(store, model, i, report);
  return ok;
}

/* Runs an op on the store and on the model, and returns whether they agree on the result
 * and the session then looks like the model's. With `report`, a disagreement is printed
 * and ends the test. */
static int run_checked(struct conn *c, struct model *model, const struct op *op,
                       struct snapshot *popped, int report) {
  static struct text expected;
  char *text = NULL;
  int want = model_apply(model, op, popped);
  int got = perform(c, op, &text);
  int ok = got == want;
  if (!ok && report) {
    fprintf(stderr, "walk: %s on session %s returned %d, the model says %d\n", op_names[op->kind],
            session_ids[op->session], got, want);
    exit(1);
  }
  if (op->kind == OP_POP && want) {
    CHECK_STR(text, snapshot_text(&expected, popped));
  }
  ws_string_free(text);
  if (!session_matches(c->store, model, op->session, report)) {
    if (report) {
      fprintf(stderr, "walk: the session differs from the model after %s\n", op_names[op->kind]);
      exit(1);
    }
    ok = 0;
  }
  return ok;
}

/* Undoes the session to the bottom, redoes it to the top and undoes it back to where it
 * was, checking every undo and redo entry against the model. The moves depend only on the
 * model's stack depths, so when those are right the store ends as it started even if an
 * entry differs. Returns whether every step agreed; with `report`, a difference ends the
 * test. */
static int walk_stacks(struct conn *c, struct model *model, int index, int report) {
  struct session *s = &model->s[index];
  struct snapshot ignored;
  struct op op;
  int i, ok = 1, n_undo = s->n_undo, n_redo = s->n_redo;
  memset(&op, 0, sizeof op);
  op.session = index;
  op.kind = OP_UNDO;
  for (i = 0; i <= n_undo; i++) ok &= run_checked(c, model, &op, &ignored, report); /* the last: done=false */
  op.kind = OP_REDO;
  for (i = 0; i <= n_undo + n_redo; i++) ok &= run_checked(c, model, &op, &ignored, report);
  op.kind = OP_UNDO;
  for (i = 0; i < n_redo; i++) ok &= run_checked(c, model, &op, &ignored, report);
  return ok;
}

/* Whether the undo and redo entries below the tops, which the read calls do not show,
 * are the model's too (see walk_stacks; the store is left as it was). */
static int stacks_match(struct conn *c, const struct model *model) {
  static struct model scratch;
  int i, ok = 1;
  scratch = *model;
  for (i = 0; i < SESSIONS; i++) ok &= walk_stacks(c, &scratch, i, 0);
  return ok;
}

/* Reads every entry of every stack of the session through the API, checking each state,
 * step and label against the model, and leaves the session as it was: pops the whole
 * history and pushes it back, then walks the undo and redo stacks (walk_stacks). Returns
 * the number of stack entries checked. */
static long walk_session(struct conn *c, struct model *model, int index) {
  struct session *s = &model->s[index];
  struct snapshot popped[DEPTH], ignored;
  struct op op;
  int i, n_hist = s->n_hist;
  memset(&op, 0, sizeof op);
  op.session = index;

  op.kind = OP_POP;
  for (i = 0; i < n_hist; i++) run_checked(c, model, &op, &popped[i], 1);
  run_checked(c, model, &op, &ignored, 1); /* now empty: returns NULL */
  op.kind = OP_PUSH;
  for (i = n_hist - 1; i >= 0; i--) {
    op.snap = popped[i];
    run_checked(c, model, &op, &ignored, 1);
  }
  walk_stacks(c, model, index, 1);
  return n_hist + s->n_undo + s->n_redo;
}

/* ------------------------------------------------------------------------------------ */
/* The integrity check, by CPython's sqlite3 in a process of its own that lives for the
 * whole test (starting Python for each check would cost more than the rest). It reads
 * one database path per line and answers one line: "ok", or what is wrong. */

static const char *const python_checker[] = {
    "import json, os, sqlite3, sys\n"
    "SCHEMA = {'workflow_state', 'idx_workflow_state_updated', 'ws_session_list', 'ws_history',\n"
    "          'ws_history_deleted_with_session', 'ws_chunk', 'ws_chunk_data', 'ws_chunk_deleted',\n"
    "          'ws_history_chunks_inserted', 'ws_history_chunks_deleted', 'ws_history_chunks_updated',\n"
    "          'ws_change', 'ws_change_key', 'ws_change_deletions', 'ws_feed', 'ws_change_session_inserted',\n"
    "          'ws_change_session_updated', 'ws_change_session_renamed', 'ws_change_session_deleted',\n"
    "          'ws_change_deletion_added', 'ws_change_deletion_removed', 'ws_undo',\n"
    "          'ws_undo_deleted_with_session', 'ws_query_updated', 'ws_query_created', 'ws_query_label'}\n"
    "def strict(name):\n"
    "    raise ValueError('not strict JSON: ' + name)\n"
    "def check(path):\n"
    "    if not os.path.exists(path):\n"
    "        return 'the file does not exist'\n"
    "    c = sqlite3.connect('file:' + path + '?mode=rw', uri=True)\n"
    "    try:\n"
    "        rows = c.execute('PRAGMA integrity_check').fetchall()\n"
    "        if rows != [('ok',)]:\n"
    "            return 'integrity_check: %r' % (rows,)\n"
    "        version = c.execute('PRAGMA user_version').fetchone()[0]\n"
    "        names = {r[0] for r in c.execute('SELECT name FROM sqlite_master')\n"
    "                 if not r[0].startswith('sqlite_')}\n"
    "        if version == 0 and not names:\n"
    "            return 'ok (no schema yet)'\n"
    "        if version != 7 or names != SCHEMA:\n"
    "            return 'schema half there: version %d, %r' % (version, sorted(names))\n"
    "        for key, text in c.execute('SELECT flow_session_key, state_json FROM workflow_state'):\n"
    "            if not isinstance(json.loads(text, parse_constant=strict), dict):\n"
    "                return 'the state of %s is not an object: %.200s' % (key, text)\n"
    ,  /* two literals, each within the 4,095 characters C99 promises */
    "        for key, text, chunks in c.execute('SELECT flow_session_key, snapshot, chunks FROM ws_history'):\n"
    "            if chunks is not None:\n"
    "                parts = [c.execute('SELECT data FROM ws_chunk_data WHERE id = ?', (i,)).fetchone()\n"
    "                         for i in json.loads(chunks)]\n"
    "                if None in parts:\n"
    "                    return 'a stack entry of %s lists a missing chunk' % key\n"
    "                text = b''.join(bytes(p[0]) for p in parts).decode('utf-8')\n"
    "            json.loads(text, parse_constant=strict)\n"
    "        miscounted = c.execute('SELECT count(*) FROM ws_chunk k WHERE refs != (SELECT count(*) FROM'\n"
    "                               ' (SELECT DISTINCT h.flow_session_key, h.stack, h.seq FROM ws_history h,'\n"
    "                               ' json_each(h.chunks) j WHERE j.value = k.id))').fetchone()[0]\n"
    "        stray = c.execute('SELECT count(*) FROM ws_chunk_data WHERE id NOT IN (SELECT id FROM ws_chunk)')\n"
    "        if miscounted or stray.fetchone()[0]:\n"
    "            return 'chunk reference counts are wrong'\n"
    "        for table in ('ws_history', 'ws_undo'):\n"
    "            orphans = c.execute('SELECT count(*) FROM %s WHERE flow_session_key NOT IN'\n"
    "                                ' (SELECT flow_session_key FROM workflow_state)' % table).fetchone()[0]\n"
    "            if orphans:\n"
    "                return '%d rows of %s without their session' % (orphans, table)\n"
    "        unnumbered = c.execute('SELECT count(*) FROM workflow_state w WHERE NOT EXISTS (SELECT 1'\n"
    "                               ' FROM ws_change c WHERE c.flow_session_key = w.flow_session_key'\n"
    "                               ' AND c.deleted_at IS NULL)').fetchone()[0]\n"
    "        ghosts = c.execute('SELECT count(*) FROM ws_change c WHERE deleted_at IS NULL AND NOT EXISTS'\n"
    "                           ' (SELECT 1 FROM workflow_state w WHERE w.flow_session_key = c.flow_session_key)')\n"
    "        counted = c.execute('SELECT deletions = (SELECT count(*) FROM ws_change WHERE deleted_at'\n"
    "                            ' IS NOT NULL) FROM ws_feed').fetchone()[0]\n"
    "        twice = c.execute('SELECT count(*) FROM (SELECT 1 FROM ws_change GROUP BY flow_session_key'\n"
    "                          ' HAVING count(*) > 1)').fetchone()[0]\n"
    "        if unnumbered or ghosts.fetchone()[0] or not counted or twice:\n"
    "            return 'the change sequence does not match the sessions'\n"
    "        return 'ok'\n"
    "    except Exception as e:\n"
    "        return 'error: %r' % (e,)\n"
    "    finally:\n"
    "        c.close()\n"
    "for line in sys.stdin:\n"
    "    print(check(line.rstrip('\\n')), flush=True)\n"};

struct checker {
  pid_t pid;
  int to;    /* its stdin */
  FILE *from; /* its stdout */
};

static const char *python(void) {
  const char *p = getenv("WS_TEST_PYTHON");
  return p && *p ? p : "python3";
}

static void checker_start(struct checker *py) {
  static char program[8192];
  int in[2], out[2];
  size_t i;
  program[0] = '\0';
  for (i = 0; i < sizeof python_checker / sizeof python_checker[0]; i++) {
    CHECK(strlen(program) + strlen(python_checker[i]) < sizeof program);
    strcat(program, python_checker[i]);
  }
  CHECK(pipe(in) == 0 && pipe(out) == 0);
  fflush(NULL);
  py->pid = fork();
  CHECK(py->pid >= 0);
  if (py->pid == 0) {
    CHECK(dup2(in[0], 0) == 0 && dup2(out[1], 1) == 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execlp(python(), python(), "-c", program, (char *)NULL);
    fprintf(stderr, "cannot run %s\n", python());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  py->to = in[1];
  py->from = fdopen(out[0], "r");
  CHECK(py->from != NULL);
}

/* The checker's verdict on the file; "ok (no schema yet)" only while nothing was acked. */
static void checker_run(struct checker *py, const char *path, long acked) {
  char answer[1024];
  write_all(py->to, path, strlen(path));
  write_all(py->to, "\n", 1);
  if (fgets(answer, sizeof answer, py->from) == NULL) {
    fprintf(stderr, "the Python checker (%s) stopped answering\n", python());
    exit(1);
  }
  answer[strcspn(answer, "\n")] = '\0';
  if (strcmp(answer, "ok") != 0 && !(acked == 0 && strcmp(answer, "ok (no schema yet)") == 0)) {
    fprintf(stderr, "%s after the kill: %s\n", path, answer);
    exit(1);
  }
}

static void checker_stop(struct checker *py) {
  int status = 0;
  close(py->to);
  fclose(py->from);
  CHECK(waitpid(py->pid, &status, 0) == py->pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------------------------------------------ */
/* One round: fork the writer, kill it, check what it left. */

/* What the child sends after each call that returned WS_OK: which op, what it returned,
 * and for a pop the hash of the snapshot text. 12 bytes: a pipe write that is atomic. */
struct ack {
  uint32_t index;
  int32_t result;
  uint32_t text_hash;
};

static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

struct mode {
  int id;
  const char *name;
  const char *child_options;
  /* The parent checks with synchronous=off: its own writes (the walks) need no fsync
   * when no power is lost, and that keeps the full-sync mode fast to test. */
  const char *parent_options;
  int max_acks;      /* kill after 0..max_acks acknowledgements */
  int max_delay_us;  /* plus a busy-wait of 0..max_delay_us, about 10 writes' time */
};

static void child_writes(const struct op *ops, const char *path, const char *options,
                         int ack_fd, int hold_fd) {
  struct conn c;
  uint32_t i;
  char byte;
  c.path = path;
  c.options = options;
  c.store = NULL;
  CHECK_OK(ws_store_open_with(path, options, &c.store));
  for (i = 0; i < MAX_OPS; i++) {
    struct ack ack;
    char *popped = NULL;
    ack.index = i;
    ack.result = perform(&c, &ops[i], &popped);
    ack.text_hash = popped ? fnv1a(popped) : 0;
    ws_string_free(popped);
    write_all(ack_fd, &ack, sizeof ack);
  }
  /* Every op done: wait to be killed (or for the parent to go away). */
  if (read(hold_fd, &byte, 1) < 0) _exit(1);
  _exit(0);
}

/* Replays one acknowledgement onto the model, checking what the call returned. */
static void replay(struct model *model, const struct op *ops, const struct ack *ack, long expected_index) {
  static struct text text;
  struct snapshot popped;
  int want;
  if ((long)ack->index != expected_index) {
    fprintf(stderr, "acknowledgement %u arrived where %ld was due\n", ack->index, expected_index);
    exit(1);
  }
  want = model_apply(model, &ops[ack->index], &popped);
  if (ack->result != want) {
    fprintf(stderr, "op %u (%s on %s) returned %d, the model says %d\n", ack->index,
            op_names[ops[ack->index].kind], session_ids[ops[ack->index].session], ack->result, want);
    exit(1);
  }
  if (ops[ack->index].kind == OP_POP && want && ack->text_hash != fnv1a(snapshot_text(&text, &popped))) {
    fprintf(stderr, "op %u: ws_history_pop returned another snapshot than %s\n", ack->index, text.s);
    exit(1);
  }
}

/* Whether the kill left a rollback journal (a transaction cut short, to roll back) or a
 * WAL holding frames (commits not yet copied into the database, to replay). */
static int left_journal(const char *path) {
  char other[600];
  struct stat st;
  snprintf(other, sizeof other, "%s-journal", path);
  if (stat(other, &st) == 0) return 1;
  snprintf(other, sizeof other, "%s-wal", path);
  return stat(other, &st) == 0 && st.st_size > 0;
}

static void busy_wait_us(long us) {
  double until = now_seconds() + (double)us / 1e6;
  while (now_seconds() < until) continue;
}

/* For a file that matches neither expected model: after which prefix of this round's
 * writes does each session look as it does? Then fail. */
static void explain_and_fail(ws_store *store, const struct model *start, const struct model *acked,
                             const struct op *ops, long n_acked) {
  static struct model m;
  int i;
  long j;
  fprintf(stderr, "the file matches neither the model after the %ld acknowledged writes of this "
                  "round nor that after the write in flight; against the former:\n", n_acked);
  (void)model_matches(store, acked, 1);
  for (i = 0; i < SESSIONS; i++) {
    int found = 0;
    m = *start;
    for (j = 0; j <= n_acked + 1 && j <= MAX_OPS; j++) {
      struct snapshot ignored;
      if (session_matches(store, &m, i, 0)) {
        fprintf(stderr, "  session %s looks as after %ld of the round's writes (%ld acknowledged)\n",
                session_ids[i], j, n_acked);
        found = 1;
      }
      if (j < MAX_OPS) (void)model_apply(&m, &ops[j], &ignored);
    }
    if (!found) fprintf(stderr, "  session %s looks as after no prefix of the writes: half-written\n", session_ids[i]);
  }
  exit(1);
}

struct totals {
  long kills, acked, in_flight_committed, entries_walked;
  long seen_below_tops; /* of in_flight_committed: told only by the entries below the stack tops */
  long left_journal; /* kills that left a -journal or a non-empty -wal to recover from */
  double writing, python, api; /* seconds spent on each part */
};

static void run_round(const struct mode *mode, const char *path, uint64_t seed, long round,
                      struct model *model, struct checker *py, struct totals *totals) {
  static struct op ops[MAX_OPS];
  static struct model start, next;
  struct rng r = rng_for(seed, (uint64_t)round, (uint64_t)mode->id);
  struct conn c;
  struct ack ack;
  int acks[2], hold[2], status = 0, i, acked_ok, next_ok = 0;
  long n_acked = 0, kill_after, delay_us;
  int python_first = round % 2 == 1; /* else the library recovers the file first */
  pid_t pid;
  double t0 = now_seconds(), t1;

  for (i = 0; i < MAX_OPS; i++) make_op(&r, i, &ops[i]);
  kill_after = (long)rng_below(&r, (uint32_t)mode->max_acks + 1);
  delay_us = rng_below(&r, 4) == 0 ? 0 : (long)rng_below(&r, (uint32_t)mode->max_delay_us + 1);
  start = *model;

  CHECK(pipe(acks) == 0 && pipe(hold) == 0);
  fflush(NULL);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(acks[0]);
    close(hold[1]);
    close(py->to);
    child_writes(ops, path, mode->child_options, acks[1], hold[0]);
  }
  close(acks[1]);
  close(hold[0]);

  while (n_acked < kill_after) {
    size_t n = read_full(acks[0], &ack, sizeof ack);
    if (n == 0) break; /* the child died: waitpid below says how */
    CHECK(n == sizeof ack);
    replay(model, ops, &ack, n_acked++);
  }
  busy_wait_us(delay_us);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &status, 0) == pid);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    fprintf(stderr, "round %ld: the writer ended by itself (status %d) before the kill\n", round, status);
    exit(1);
  }
  /* Acknowledgements sent before the kill but not read yet count as well. */
  for (;;) {
    size_t n = read_full(acks[0], &ack, sizeof ack);
    if (n == 0) break;
    CHECK(n == sizeof ack);
    replay(model, ops, &ack, n_acked++);
  }
  close(acks[0]);
  close(hold[1]);
  totals->kills++;
  totals->acked += n_acked;
  totals->left_journal += left_journal(path);
  t1 = now_seconds();
  totals->writing += t1 - t0;

  if (python_first) checker_run(py, path, totals->acked);
  t0 = now_seconds();
  totals->python += t0 - t1;
  c.path = path;
  c.options = mode->parent_options;
  c.store = NULL;
  CHECK_OK(ws_store_open_with(path, mode->parent_options, &c.store));
  acked_ok = model_matches(c.store, model, 0);
  next = *model;
  if (n_acked < MAX_OPS) {
    struct snapshot ignored;
    (void)model_apply(&next, &ops[n_acked], &ignored);
    next_ok = model_matches(c.store, &next, 0);
  }
  /* Both look right when the write in flight changed nothing (an undo of an empty stack)
   * or changed only what the read calls do not show: a checkpoint without a label onto a
   * full undo stack whose top has none, with no redo, drops the bottom entry and pushes
   * one alike at the top. Then the entries below the top decide. */
  if (acked_ok && next_ok && !stacks_match(&c, model)) {
    acked_ok = 0;
    totals->seen_below_tops++;
  }
  if (!acked_ok) {
    if (!next_ok) explain_and_fail(c.store, &start, model, ops, n_acked);
    *model = next; /* the write in flight had committed before the kill */
    totals->in_flight_committed++;
  }
  for (i = 0; i < SESSIONS; i++) totals->entries_walked += walk_session(&c, model, i);
  if (!model_matches(c.store, model, 1)) {
    fprintf(stderr, "round %ld: the walk did not leave the sessions as they were\n", round);
    exit(1);
  }
  ws_store_close(c.store);
  t1 = now_seconds();
  totals->api += t1 - t0;
  if (!python_first) checker_run(py, path, totals->acked);
  totals->python += now_seconds() - t1;
}

static void run_mode(const struct mode *mode, uint64_t seed, long rounds, struct checker *py) {
  static struct model model;
  struct totals totals;
  const char *dir = fresh_dir(mode->name);
  char path[512];
  double started = now_seconds();
  long round;
  memset(&totals, 0, sizeof totals);
  model_init(&model);
  path_in(path, sizeof path, dir, "crash.db");
  for (round = 0; round < rounds; round++) run_round(mode, path, seed, round, &model, py, &totals);
  printf("ok %s: %ld kills (%ld left a journal or WAL to recover), %ld acknowledged writes, "
         "none lost or half-written (the write in flight had committed at %ld kills, %ld of "
         "them seen only below the stack tops), %ld "
         "stack entries walked, integrity_check ok after every kill, %.1f s (writer %.1f s, "
         "Python checks %.1f s, checks through the API %.1f s)\n",
         mode->name, totals.kills, totals.left_journal, totals.acked, totals.in_flight_committed, totals.seen_below_tops,
         totals.entries_walked, now_seconds() - started, totals.writing, totals.python, totals.api);
  fflush(stdout);
}

int main(void) {
  static const struct mode modes[] = {
      {0, "wal-normal", "{\"max_history_depth\":" DEPTH_TEXT "}",
       "{\"max_history_depth\":" DEPTH_TEXT ",\"synchronous\":\"off\"}", 200, 400},
      {1, "delete-full",
       "{\"journal_mode\":\"delete\",\"synchronous\":\"full\",\"max_history_depth\":" DEPTH_TEXT "}",
       "{\"journal_mode\":\"delete\",\"synchronous\":\"off\",\"max_history_depth\":" DEPTH_TEXT "}",
       30, 4000},
  };
  uint64_t seed = seed_from_env("WS_CRASH_SEED");
  long rounds = count_from_env("WS_CRASH_ROUNDS", 60, 1000000);
  struct checker py;
  size_t i;
  /* A child killed while the parent writes to it must not kill the parent. */
  signal(SIGPIPE, SIG_IGN);
  checker_start(&py);
  for (i = 0; i < sizeof modes / sizeof modes[0]; i++) run_mode(&modes[i], seed, rounds, &py);
  checker_stop(&py);
  return 0;
}
