#!/usr/bin/env python3
"""Compatibility test: workflow_state (C API, through compat_tool) against the real Python
package cjm-workflow-state (0.0.3, and 0.0.2 for the schema migration), on shared files.

    compat_test.py --tool PATH --workdir DIR --python PYTHON [--memcheck "valgrind ..."]

The packages are installed from PyPI into DIR/venv (0.0.3) and DIR/py002 (0.0.2, with
--target) the first time. Every use of Python's sqlite3 or of the package happens in a
subprocess of its own (this file run as `--worker NAME ARGS_JSON` with the venv's
interpreter), and every use of the C library in a compat_tool process: a file is never
open through two SQLite libraries in one process.

Scenarios:
  a  Python 0.0.3 writes, compat_tool dump reads: values, key order, exact numbers,
     compact UTF-8 output, summaries and listing agree with what Python reads back.
  b  compat_tool write writes, Python 0.0.3 reads every value back exactly; Python keeps
     writing to the file and compat_tool reads those writes.
  c  Python 0.0.2 writes a file without the label column; a read-only open leaves it
     untouched; a writable open migrates it in place (label column, the current
     user_version, the library's tables) with every 0.0.2 value unchanged; 0.0.3 (and
     0.0.2) keep working on it, and 0.0.2's clear_state deletes a session's stacks and its
     ws_undo row (triggers).
  d  Python stores NaN / Infinity: the C API answers WS_CORRUPT naming the session, and
     never rewrites the stored text.
  e  ws_json_history_push / ws_json_history_pop against the real push_history /
     pop_history on seeded random chains (depths 1, 2, 3, 5, 50 and SIZE_MAX): every
     output of C is fed back as the next input of both sides; results must be equal
     (types, key order, exact numbers) and C's text compact. --seed N (or the environment
     variable WS_COMPAT_SEED) repeats a run; the seed is printed.
  f  the history tables on disk (schema 3, and ws_undo of schema 5): Python 0.0.3 opens,
     reads and writes a file with C history/undo/redo stacks and undo marks, leaves the
     other sessions' rows of both tables as they were, and its delete_session /
     clear_state delete the stacks and the ws_undo row too (triggers); the stored schema
     is accepted by CPython's SQLite, a DELETE through it fires both triggers, and one
     of a session whose large undo/redo snapshots are kept as shared chunks fires the
     chunk triggers (reference counts stay right, the chunks go); a read-only C open
     of a 0.0.3 file (no ws_history) reads empty stacks and leaves the file byte for
     byte; writable opens add the table and trigger (also to a user_version 1 file).
  g  the change sequence (schema 4) under the package's writes: a compat_tool serve process
     keeps a store open while one Python process calls the package (create_session,
     update_state and set_current_step as UPDATE and as INSERT upserts, set_session_label,
     update/clear_step_state, rewrites of the same values in the same and in a later
     second, delete_session, clear_state, re-creations, its constructor) and runs raw SQL
     (its upsert for two rows, an UPDATE of many rows, REPLACE, a key rename, a DELETE of
     two rows). After each write, the library must show exactly one new number per row
     that changed (Python's view of the whole table before and after decides), each
     changed session at its new revision in ws_changes_since (deletions as "deleted":true),
     every other revision unchanged, ws_latest_seq the newest. ws_wait_for_change in
     compat_tool wakes on Python commits made once it said it is waiting (the wake-up
     latency is printed, not asserted; a missed wake fails by its timeout's seq).
  h  timestamps: after every kind of library write (create, update, step, label, apply,
     undo, redo, checkpoint, history) the package's get_session_summary and list_sessions
     give texts that strptime("%Y-%m-%d %H:%M:%S") reads, UTC, equal to C's; 12 writes by
     both sides in turn within one second list by updated_at in the order of the changes
     and by created_at in the order of the creations, both directions; 0.1's ".SSS"
     values read and sort as time, and a library write makes a row's both whole-second.
  i  a file only the package wrote (no library table): the first writable open numbers
     every session in the order of updated_at (ties in creation order); the package's
     constructor and writes keep working on it and keep being numbered.
  j  ws_export / ws_import of a file Python 0.0.3 wrote (scenario a's sessions: a NULL
     state, repeated keys, whitespace and \\u escapes as another program leaves them):
     compat_tool exports it through a read-only store (the file stays byte for byte) and
     imports the document into a fresh file; the document holds every row's stored
     texts exactly, and Python reads the fresh file back equal to the original (values,
     steps, summaries, timestamps, every column of every row).
"""

import argparse
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import time

FLOW_A = "compat-a"  # the flows of compat_tool's "write" scenario
FLOW_B = "compat.b"

SCHEMA_VERSION = 7  # PRAGMA user_version of a file the C library opened for writing

# Exactly CURRENT_TIMESTAMP's form, what the library writes since 0.2 (0.1 added ".SSS").
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"  # what apps on the Python package parse with
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# ==========================================================================================
# Worker side: runs in a subprocess with the venv's python. Only here are sqlite3 and the
# Python package imported.
# ==========================================================================================

def _load_store(py002=None):
    if py002:
        sys.path.insert(0, py002)
    from cjm_workflow_state import state_store
    origin = os.path.realpath(state_store.__file__)
    if py002:
        assert origin.startswith(os.path.realpath(py002) + os.sep), origin
        assert not hasattr(state_store, "SessionSummary"), "expected 0.0.2, got a newer package"
    else:
        assert hasattr(state_store, "SessionSummary"), "expected 0.0.3"
        import importlib.metadata
        assert importlib.metadata.version("cjm-workflow-state") == "0.0.3"
    return state_store.SQLiteWorkflowStateStore


def w_inspect(args):
    """The raw file, through Python's sqlite3 only."""
    import sqlite3
    conn = sqlite3.connect(args["db"])
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(workflow_state)")]
        rows = {}
        if columns:
            for r in conn.execute("SELECT * FROM workflow_state ORDER BY rowid"):
                row = dict(zip(columns, r))
                rows[row["flow_session_key"]] = row
        return {
            "columns": columns,
            "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
            "tables": sorted(r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")),
            "indexes": sorted(r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%'")),
            "triggers": sorted(r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger'")),
            "sql": {r[0]: r[1] for r in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")},
            "rows": rows,
            "history": _table_rows(conn, "ws_history"),
            "undo": _table_rows(conn, "ws_undo"),
        }
    finally:
        conn.close()


def _table_rows(conn, table):
    """Every row of the library's table `table` (ws_history, ws_undo; column -> value), in
    rowid order, or None when the file has no such table. Only flow_session_key is relied
    upon."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                        "name=?", (table,)).fetchone():
        return None
    cur = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def w_dump(args):
    """What cjm-workflow-state 0.0.3 reads back, plus the raw rows."""
    import dataclasses
    Store = _load_store()
    s = Store(args["db"])
    out = {"flows": []}
    for flow in args["flows"]:
        listed = s.list_sessions(flow, order_by="created_at", descending=False)
        sessions = {}
        for summary in listed:
            sid = summary.session_id
            state = s.get_state(flow, sid)
            steps = {k[len("_step_"):]: s.get_step_state(flow, sid, k[len("_step_"):])
                     for k in state if k.startswith("_step_")}
            for extra in args.get("steps", []):
                steps.setdefault(extra, s.get_step_state(flow, sid, extra))
            one = s.get_session_summary(flow, sid)
            sessions[sid] = {
                "state": state,
                "current_step": s.get_current_step(flow, sid),
                "exists": s.session_exists(flow, sid),
                "summary": dataclasses.asdict(one) if one else None,
                "steps": steps,
            }
        out["flows"].append({
            "flow": flow,
            "list": [dataclasses.asdict(x) for x in listed],
            "sessions": sessions,
        })
    for flow, sid in args.get("absent", []):
        out.setdefault("absent", []).append({
            "flow": flow, "session_id": sid, "exists": s.session_exists(flow, sid),
            "state": s.get_state(flow, sid), "summary": s.get_session_summary(flow, sid)})
    out["raw"] = w_inspect(args)
    return out


def w_write_a(args):
    """Scenario a: 0.0.3 writes a file the C side then reads."""
    Store = _load_store()
    s = Store(args["db"])
    f, g = "py-flow", "py.flow2"
    assert s.create_session(f, "alpha", "Alpha label") == "alpha"
    s.update_state(f, "alpha", {
        "name": "é日本🙂", "big": 2**70, "neg": -2**70, "f": 0.1, "tiny": 1e-7,
        "nested": {"z": 1, "a": [1, 2.5, {"k": None}], "t": True, "f": False},
        "esc": "q\"b\\s/\n\t\x01\x00\u2028\x7f"})
    s.update_state(f, "alpha", {"f": 0.30000000000000004,
                                "more": [2**64, -1.5e300, 5e-324, 1e22, -0.0]})
    s.set_current_step(f, "alpha", "step-2")
    s.update_step_state(f, "alpha", "step-1", {"done": True, "score": 1e-7})
    s.update_step_state(f, "alpha", "step-1", {"score": 0.1, "list": [1, 2]})
    s.update_step_state(f, "alpha", "step-2", {"draft": "日本"})
    s.update_step_state(f, "alpha", "tmp", {"x": 1})
    s.clear_step_state(f, "alpha", "tmp")
    generated = s.create_session(f)
    s.set_current_step(f, generated, "intro")
    s.create_session(f, "user:42:run", "Ünïcödé 🙂")
    s.update_state(f, "user:42:run", {"k": "v", "empty": {}, "list": []})
    s.create_session(f, "doomed", "bye")
    s.update_state(f, "doomed", {"x": 1})
    s.delete_session(f, "doomed")
    s.set_current_step(f, "implicit", "only")
    s.update_state(f, "upserted", {"n": -0.0, "i": -17, "t": "日本"})
    s.create_session(f, "relabel", "old")
    s.set_session_label(f, "relabel", "new é")
    s.create_session(f, "unlabel", "x")
    s.set_session_label(f, "unlabel", None)
    s.update_state(f, "cleared", {"a": 1})
    s.clear_state(f, "cleared")
    s.create_session(g, "alpha", None)
    s.update_state(g, "alpha", {"flow": "g"})
    s.update_step_state(g, "alpha", "step:with:colon", {"v": [0.1]})
    # Rows as another program might leave them (the package reads all of them): a NULL
    # state, a duplicated key (the last value wins, at the first key's place, as in a
    # dict), insignificant whitespace and \u escapes.
    import sqlite3
    conn = sqlite3.connect(args["db"])
    with conn:
        conn.execute("INSERT INTO workflow_state (flow_session_key, state_json) VALUES (?, NULL)",
                     (f + ":rawnull",))
        conn.execute("INSERT INTO workflow_state (flow_session_key, state_json, current_step, "
                     "label) VALUES (?, ?, ?, ?)", (f + ":dupkeys", '{"a":1,"b":2,"a":3}', "s", "d"))
        conn.execute("INSERT INTO workflow_state (flow_session_key, state_json) VALUES (?, ?)",
                     (f + ":spaced", ' {"a" : 1 ,\n "e" : "\\u00e9\\ud83d\\ude42" } '))
    conn.close()
    return {"generated": generated,
            "order": {f: ["alpha", generated, "user:42:run", "implicit", "upserted",
                          "relabel", "unlabel", "rawnull", "dupkeys", "spaced"],
                      g: ["alpha"]},
            "absent": [[f, "doomed"], [f, "cleared"]]}


def w_continue_b(args):
    """Scenario b: 0.0.3 keeps writing to the file the C side wrote."""
    Store = _load_store()
    s = Store(args["db"])
    a, b = args["flows"]
    s.update_state(a, "s1", {"py": "added é", "big2": 2**70 + 1})
    s.update_step_state(a, "s1", "step-1", {"py": True})
    assert s.create_session(a, "py-new", "from python é") == "py-new"
    s.set_current_step(a, "py-new", "p1")
    s.set_session_label(a, args["generated"], "labelled by python")
    s.delete_session(a, "unlabel")
    s.update_state(b, "s1", {"py": [2**70, 0.1]})
    return {}


def w_write_002(args):
    """Scenario c: the real 0.0.2 package writes a file (no label column)."""
    Store = _load_store(args["py002"])
    s = Store(args["db"])
    s.update_state("legacy", "one", {"name": "é日本🙂", "big": 2**70, "f": 0.1, "tiny": 1e-7,
                                     "nested": {"b": [1, {"c": None}], "a": True}})
    s.set_current_step("legacy", "one", "step-a")
    s.update_step_state("legacy", "one", "step-a", {"x": 1})
    s.update_step_state("legacy", "one", "tmp", {"y": 2})
    s.clear_step_state("legacy", "one", "tmp")
    s.set_current_step("legacy", "two:with:colon", "start")
    s.update_state("legacy", "three", {"k": [0.1, -2**70]})
    s.update_state("legacy", "gone", {"a": 1})
    s.clear_state("legacy", "gone")
    s.update_state("other", "x", {"o": 1})
    return {}


def w_read_002(args):
    """Scenario c: what the 0.0.2 package reads (it has no listing: sessions are given)."""
    Store = _load_store(args["py002"])
    s = Store(args["db"])
    out = {}
    for flow, sid in args["sessions"]:
        state = s.get_state(flow, sid)
        out[flow + ":" + sid] = {
            "state": state,
            "current_step": s.get_current_step(flow, sid),
            "steps": {k[len("_step_"):]: s.get_step_state(flow, sid, k[len("_step_"):])
                      for k in state if k.startswith("_step_")},
        }
    return out


def w_write_002_after(args):
    """Scenario c: 0.0.2 still writes to the migrated file."""
    Store = _load_store(args["py002"])
    s = Store(args["db"])
    s.update_state("legacy", "three", {"from002": "après"})
    return {}


def w_label_003(args):
    """Scenario c: 0.0.3 sets labels and creates sessions on the migrated file."""
    import dataclasses
    Store = _load_store()
    s = Store(args["db"])
    s.set_session_label("legacy", "one", "Now labelled é")
    assert s.create_session("legacy", "new-003", "made by 0.0.3") == "new-003"
    s.update_state("legacy", "new-003", {"v": 2**70})
    return {"list": [dataclasses.asdict(x) for x in
                     s.list_sessions("legacy", order_by="label", descending=False)]}


def w_write_nan(args):
    """Scenario d: Python's json writes NaN and Infinity, which are not JSON."""
    Store = _load_store()
    s = Store(args["db"])
    s.update_state("bad", "nan-session", {"x": float("nan"), "ok": 1})
    s.set_current_step("bad", "nan-session", "s")
    s.update_state("bad", "inf-session", {"y": float("inf"), "z": -float("inf")})
    s.update_state("bad", "fine", {"v": 1})
    # A lone surrogate: json.dumps writes it as a \ud800 escape, which has no UTF-8 form.
    s.update_state("bad", "surrogate-session", {"s": "\ud800x"})
    return {}


def w_read_nan(args):
    Store = _load_store()
    s = Store(args["db"])
    x = s.get_state("bad", "nan-session")["x"]
    y = s.get_state("bad", "inf-session")["y"]
    return {"nan": math.isnan(x), "inf": math.isinf(y) and y > 0}


def w_json_history(args):
    """Scenario e: the real push_history / pop_history of 0.0.3 over the operations in a
    file (too big for a command line); results go to another file."""
    import importlib.metadata
    from cjm_workflow_state import history
    assert importlib.metadata.version("cjm-workflow-state") == "0.0.3"
    with open(args["ops_file"], encoding="utf-8") as f:
        ops = json.load(f)
    out = []
    for op in ops:
        if op["op"] == "push":
            out.append({"history": history.push_history(op["history"], op["snapshot"],
                                                        op["max_depth"])})
        else:
            r = history.pop_history(op["history"])
            out.append(None if r is None else {"snapshot": r[0], "history": r[1]})
    with open(args["out_file"], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
    return {"count": len(out), "module": os.path.realpath(history.__file__)}


def w_history_python(args):
    """Scenario f: 0.0.3 reads a file with C history stacks, writes to a control session,
    deletes two sessions (delete_session and clear_state) and re-creates one."""
    import dataclasses
    Store = _load_store()
    s = Store(args["db"])
    f = args["flow"]
    read = {}
    for sid in args["sessions"]:
        one = s.get_session_summary(f, sid)
        read[sid] = {"state": s.get_state(f, sid), "current_step": s.get_current_step(f, sid),
                     "exists": s.session_exists(f, sid),
                     "summary": dataclasses.asdict(one) if one else None}
    listed = [x.session_id for x in s.list_sessions(f, order_by="created_at", descending=False)]
    s.update_state(f, "h2", {"py": "écrit par Python", "big2": 2**70 + 3})
    s.update_step_state(f, "h2", "st", {"x": 0.1})
    s.update_step_state(f, "h2", "tmp", {"y": 1})
    s.clear_step_state(f, "h2", "tmp")
    s.set_current_step(f, "h2", "py-step")
    s.set_session_label(f, "h2", "py label é")
    s.delete_session(f, "h1")
    s.clear_state(f, "h3")
    after_delete = {sid: s.session_exists(f, sid) for sid in ("h1", "h3")}
    assert s.create_session(f, "h1", "again") == "h1"
    return {"read": read, "list": listed, "after_delete": after_delete,
            "h2_state": s.get_state(f, "h2")}


def w_sql_check(args):
    """Scenario f: the stored schema through CPython's own SQLite: integrity, the stored
    CREATE statements re-run on a fresh database, and the triggers firing on a DELETE."""
    import sqlite3
    out = {"sqlite_version": sqlite3.sqlite_version}
    conn = sqlite3.connect(args["db"])
    try:
        out["integrity"] = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        out["quick"] = [r[0] for r in conn.execute("PRAGMA quick_check")]
        schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                              "WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()
        out["schema"] = [list(r) for r in schema]
        # Every stored statement parses and runs in CPython's SQLite (tables first).
        fresh = sqlite3.connect(":memory:")
        errors = []
        for kind in ("table", "index", "trigger", "view"):
            for t, name, _, sql in schema:
                if t == kind and sql:
                    try:
                        fresh.execute(sql)
                    except sqlite3.Error as e:
                        errors.append(f"{name}: {e}: {sql}")
        out["replay_errors"] = errors
        fresh.close()
        # The triggers, fired by Python's SQLite on the file itself.
        key = args["key"]
        before = conn.execute("SELECT count(*) FROM ws_history").fetchone()[0]
        undo_before = conn.execute("SELECT count(*) FROM ws_undo").fetchone()[0]
        with conn:
            conn.execute("INSERT INTO workflow_state (flow_session_key, state_json) "
                         "VALUES (?, '{}')", (key,))
            cols = [r[1] for r in conn.execute("PRAGMA table_info(ws_history)")]
            out["history_columns"] = cols
            for seq in (1, 2):
                conn.execute("INSERT INTO ws_history (flow_session_key, stack, seq, snapshot) "
                             "VALUES (?, 0, ?, ?)", (key, seq, json.dumps({"py": seq})))
            conn.execute("INSERT INTO ws_undo (flow_session_key, present_revision, "
                         "present_version, clean_version) VALUES (?, 1, 1, 1)", (key,))
        out["inserted"] = conn.execute("SELECT count(*) FROM ws_history WHERE "
                                       "flow_session_key = ?", (key,)).fetchone()[0]
        out["undo_inserted"] = conn.execute("SELECT count(*) FROM ws_undo WHERE "
                                            "flow_session_key = ?", (key,)).fetchone()[0]
        with conn:
            conn.execute("DELETE FROM workflow_state WHERE flow_session_key = ?", (key,))
        out["left_after_delete"] = conn.execute("SELECT count(*) FROM ws_history WHERE "
                                                "flow_session_key = ?", (key,)).fetchone()[0]
        out["undo_left_after_delete"] = conn.execute("SELECT count(*) FROM ws_undo WHERE "
                                                     "flow_session_key = ?",
                                                     (key,)).fetchone()[0]
        out["others_before"] = before
        out["others_after"] = conn.execute("SELECT count(*) FROM ws_history").fetchone()[0]
        out["undo_others_before"] = undo_before
        out["undo_others_after"] = conn.execute("SELECT count(*) FROM ws_undo").fetchone()[0]
        # The chunk triggers, fired by Python's SQLite: delete a session whose large
        # undo/redo snapshots C kept as chunks.
        chunk_key = args["chunk_key"]
        count = lambda sql, *p: conn.execute(sql, p).fetchone()[0]
        refs_wrong = ("SELECT count(*) FROM ws_chunk AS c WHERE refs != (SELECT count(*) "
                      "FROM ws_history AS h WHERE EXISTS (SELECT 1 FROM json_each(h.chunks) "
                      "WHERE value = c.id))")
        out["chunked_entries"] = count("SELECT count(*) FROM ws_history WHERE "
                                       "flow_session_key = ? AND chunks IS NOT NULL", chunk_key)
        out["chunks_before"] = count("SELECT count(*) FROM ws_chunk")
        out["refs_wrong_before"] = count(refs_wrong)
        with conn:
            conn.execute("DELETE FROM workflow_state WHERE flow_session_key = ?", (chunk_key,))
        out["chunks_after"] = count("SELECT count(*) FROM ws_chunk")
        out["chunk_data_after"] = count("SELECT count(*) FROM ws_chunk_data")
        out["refs_wrong_after"] = count(refs_wrong)
        out["integrity_after"] = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    return out


def w_write_small(args):
    """Scenario f: 0.0.3 writes small files; optionally stamps a user_version on one
    (a file left by schema version 1 of the C library)."""
    import sqlite3
    Store = _load_store()
    for db, version in args["dbs"]:
        s = Store(db)
        assert s.create_session("ro", "s1", "label é") == "s1"
        s.update_state("ro", "s1", {"v": 2**70, "f": 0.1, "t": "日本"})
        s.set_current_step("ro", "s1", "step-1")
        if version is not None:
            conn = sqlite3.connect(db)
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.commit()
            conn.close()
    return {}


def w_clear_002(args):
    """Scenario c: the 0.0.2 package deletes a session of the migrated file."""
    Store = _load_store(args["py002"])
    s = Store(args["db"])
    s.clear_state(args["flow"], args["session"])
    return {}


WORKERS = {name[2:]: fn for name, fn in list(globals().items()) if name.startswith("w_")}


def worker_main(name, args_json):
    result = WORKERS[name](json.loads(args_json))
    sys.stdout.write(json.dumps(result))
    sys.stdout.write("\n")
    return 0


# ---- the serving worker: one Python process that stays up, for scenarios g, h and i ------
# (`--serve`: one JSON request a line on stdin, one JSON answer a line on stdout), so that
# its writes can be interleaved with a compat_tool serve process's calls one by one.

_SERVED_STORES = {}


def _served_store(db):
    if db not in _SERVED_STORES:
        _SERVED_STORES[db] = _load_store()(db)
    return _SERVED_STORES[db]


def _all_rows(db):
    """Every row of workflow_state, key -> {column: value}: what a change is judged by."""
    import sqlite3
    conn = sqlite3.connect(db)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                            "name='workflow_state'").fetchone():
            return {}
        cur = conn.execute("SELECT * FROM workflow_state ORDER BY rowid")
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
    finally:
        conn.close()


def _plain(value):
    import dataclasses
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _parse_ts(text):
    """What an app's strptime(ts, "%Y-%m-%d %H:%M:%S") makes of a timestamp."""
    import datetime
    try:
        return {"ok": datetime.datetime.strptime(text, TIMESTAMP_FORMAT).strftime(
            TIMESTAMP_FORMAT)}
    except (TypeError, ValueError) as e:
        return {"error": f"{type(e).__name__}: {e}"}


def s_call(args):
    """One method of the package's store; the file's rows before and after it."""
    import time
    store = _served_store(args["db"])
    before = _all_rows(args["db"])
    t0 = time.monotonic()
    result = getattr(store, args["method"])(*args["args"])
    t1 = time.monotonic()
    return {"result": _plain(result), "before": before, "after": _all_rows(args["db"]),
            "t0": t0, "t1": t1}


def s_inspect(args):
    return w_inspect(args)


def s_construct(args):
    """The package's constructor (its schema setup and migration) on the file again."""
    before = _all_rows(args["db"])
    _SERVED_STORES[args["db"]] = _load_store()(args["db"])
    return {"before": before, "after": _all_rows(args["db"]), "schema": w_inspect(args)}


def s_raw(args):
    """Statements through Python's sqlite3 in one transaction, as another program or the
    package's SQL run by hand would write them; the rows before and after."""
    import sqlite3
    import time
    before = _all_rows(args["db"])
    conn = sqlite3.connect(args["db"])
    counts = []
    try:
        t0 = time.monotonic()
        with conn:
            for sql, params in args["sql"]:
                counts.append(conn.execute(sql, params).rowcount)
        t1 = time.monotonic()
    finally:
        conn.close()
    return {"counts": counts, "before": before, "after": _all_rows(args["db"]), "t0": t0,
            "t1": t1}


def s_summaries(args):
    """get_session_summary of each session and list_sessions of the flow (both orders the
    package offers for time), with what strptime makes of every timestamp."""
    store = _served_store(args["db"])
    flow = args["flow"]

    def parsed(one):
        if one is None:
            return None
        d = _plain(one)
        d["parsed"] = {k: _parse_ts(d[k]) for k in ("created_at", "updated_at")}
        return d

    return {"summaries": {sid: parsed(store.get_session_summary(flow, sid))
                          for sid in args["sessions"]},
            "by_updated": [parsed(x) for x in store.list_sessions(flow, "updated_at", True)],
            "by_created": [parsed(x) for x in store.list_sessions(flow, "created_at", False)]}


def s_utcnow(args):
    """The clock SQLite's CURRENT_TIMESTAMP and the library read, in their form."""
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"now": now.strftime(TIMESTAMP_FORMAT), "us": now.microsecond}


def s_next_second(args):
    """Waits for the clock's next whole second (as tests/c/table_check.h's next_second()):
    what follows happens early in a second, so that several writes share it."""
    import datetime
    import time
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.002)
    return s_utcnow(args)


SERVED = {name[2:]: fn for name, fn in list(globals().items()) if name.startswith("s_")}


def serve_main():
    import traceback
    for line in sys.stdin:
        req = json.loads(line)
        try:
            out = SERVED[req.pop("op")](req)
        except Exception:  # the driver reports it and stops the scenario
            out = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


# ==========================================================================================
# Driver side: never imports sqlite3 nor the package.
# ==========================================================================================

class Abort(Exception):
    """A step of a scenario could not run; the scenario stops there."""


class Checker:
    def __init__(self):
        self.failures = 0
        self.checks = 0
        self.notes = []

    def check(self, ok, name, detail=""):
        self.checks += 1
        if ok:
            print(f"ok   {name}", flush=True)
        else:
            self.failures += 1
            print(f"FAIL {name}", flush=True)
            if detail:
                for line in str(detail).rstrip("\n").split("\n"):
                    print(f"       {line}", flush=True)
        return ok

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)
            print(f"note {text}", flush=True)


C = Checker()


# ---- JSON helpers ------------------------------------------------------------------------

class RawNum(str):
    """A JSON number (or non-standard constant) kept as its exact text."""


class RawObj(list):
    """A JSON object as its list of (key, value) pairs, in order; a repeated key keeps its
    first place and takes its last value, as in a Python dict."""


def _raw_pairs(pairs):
    out, index = RawObj(), {}
    for k, v in pairs:
        if k in index:
            out[index[k]] = (k, v)
        else:
            index[k] = len(out)
            out.append((k, v))
    return out


def parse_raw(text):
    return json.loads(text, object_pairs_hook=_raw_pairs, parse_int=RawNum, parse_float=RawNum,
                      parse_constant=RawNum)


def dump_raw(value):
    """Compact UTF-8 JSON keeping every number's text and every key's order: what the C
    API must return for stored text."""
    if isinstance(value, RawObj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dump_raw(v)
                              for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump_raw(v) for v in value) + "]"
    if isinstance(value, RawNum):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def raw_get(obj, key):
    for k, v in obj:
        if k == key:
            return v
    raise KeyError(key)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def differences(exp, act, path="$", out=None):
    """Type-exact, order-exact differences between two decoded JSON values."""
    if out is None:
        out = []
    if type(exp) is not type(act):
        out.append(f"at {path}: expected {exp!r} ({type(exp).__name__}), "
                   f"got {act!r} ({type(act).__name__})")
    elif isinstance(exp, dict):
        if list(exp) != list(act):
            out.append(f"at {path}: expected keys {list(exp)!r}, got {list(act)!r}")
        for k in exp:
            if k in act:
                differences(exp[k], act[k], f"{path}[{k!r}]", out)
    elif isinstance(exp, list):
        if len(exp) != len(act):
            out.append(f"at {path}: expected {len(exp)} items, got {len(act)}")
        for i, (x, y) in enumerate(zip(exp, act)):
            differences(x, y, f"{path}[{i}]", out)
    elif isinstance(exp, float):
        same = (math.isnan(exp) and math.isnan(act)) or (
            exp == act and math.copysign(1, exp) == math.copysign(1, act))
        if not same:
            out.append(f"at {path}: expected {exp!r}, got {act!r}")
    elif exp != act:
        out.append(f"at {path}: expected {exp!r}, got {act!r}")
    return out


def value_detail(exp, act):
    diffs = differences(exp, act)
    lines = diffs[:12] + ([f"... {len(diffs) - 12} more"] if len(diffs) > 12 else [])
    return "\n".join(["- expected " + compact(exp)[:400], "+ got      " + compact(act)[:400]]
                     + lines)


def text_detail(exp, act):
    n = min(len(exp), len(act))
    i = next((k for k in range(n) if exp[k] != act[k]), n)
    lo = max(0, i - 30)
    return "\n".join([
        f"- expected {exp!r}" if len(exp) < 400 else f"- expected ...{exp[lo:i + 60]!r}",
        f"+ got      {act!r}" if len(act) < 400 else f"+ got      ...{act[lo:i + 60]!r}",
        f"first difference at character {i} (lengths {len(exp)} and {len(act)}): "
        f"expected {exp[i:i + 20]!r}, got {act[i:i + 20]!r}"])


def check_value(exp, act, name):
    return C.check(not differences(exp, act), name, value_detail(exp, act))


def check_text(exp, act, name):
    return C.check(exp == act, name, text_detail(exp, act) if isinstance(exp, str) and
                   isinstance(act, str) else f"- expected {exp!r}\n+ got      {act!r}")


# ---- processes ---------------------------------------------------------------------------

class Env:
    def __init__(self, opts):
        self.tool = os.path.abspath(opts.tool)
        self.workdir = os.path.abspath(opts.workdir)
        self.python = opts.python
        self.memcheck = shlex.split(opts.memcheck) if opts.memcheck else []
        self.venv = os.path.join(self.workdir, "venv")
        self.vpy = os.path.join(self.venv, "bin", "python")
        self.py002 = os.path.join(self.workdir, "py002")
        self.rundir = os.path.join(self.workdir, "run")


def run(cmd, what, timeout=300):
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Abort(f"{what}: timed out after {timeout}s: {shlex.join(cmd)}")
    proc.elapsed = time.monotonic() - started
    return proc


def setup_python(env):
    os.makedirs(env.workdir, exist_ok=True)
    if not os.path.exists(env.vpy):
        p = run([env.python, "-m", "venv", env.venv], "python -m venv")
        if p.returncode != 0:
            raise Abort(f"cannot create the venv {env.venv}:\n{p.stdout}{p.stderr}")
    probe = [env.vpy, "-c", "import importlib.metadata as m; "
             "print(m.version('cjm-workflow-state'))"]
    p = run(probe, "probe 0.0.3")
    if p.returncode != 0 or p.stdout.strip() != "0.0.3":
        pip = os.path.join(env.venv, "bin", "pip")
        p = run([pip, "install", "--disable-pip-version-check", "--ignore-requires-python",
                 "cjm-workflow-state==0.0.3"], "pip install 0.0.3", timeout=400)
        if p.returncode != 0:
            raise Abort(f"pip install cjm-workflow-state==0.0.3 failed:\n{p.stdout}{p.stderr}")
    p = run(probe, "probe 0.0.3")
    C.check(p.returncode == 0 and p.stdout.strip() == "0.0.3",
            "setup: cjm-workflow-state 0.0.3 installed in " + env.venv, p.stdout + p.stderr)
    marker = os.path.join(env.py002, "cjm_workflow_state-0.0.2.dist-info")
    if not os.path.isdir(marker):
        pip = os.path.join(env.venv, "bin", "pip")
        p = run([pip, "install", "--disable-pip-version-check", "--ignore-requires-python",
                 "--no-deps", "--upgrade", "--target", env.py002, "cjm-workflow-state==0.0.2"],
                "pip install 0.0.2", timeout=400)
        if p.returncode != 0:
            raise Abort(f"pip install --target cjm-workflow-state==0.0.2 failed:\n"
                        f"{p.stdout}{p.stderr}")
    C.check(os.path.isdir(marker), "setup: cjm-workflow-state 0.0.2 installed in " + env.py002)


def py(env, name, **args):
    """Runs one worker in its own process with the venv's python; returns its result."""
    p = run([env.vpy, os.path.abspath(__file__), "--worker", name, json.dumps(args)],
            f"python worker {name}")
    if p.returncode != 0:
        raise Abort(f"python worker {name} failed (exit {p.returncode}):\n{p.stderr}{p.stdout}")
    return json.loads(p.stdout)


def tool(env, *args, options=None):
    """Runs compat_tool (under the memcheck prefix); returns its stdout parsed."""
    cmd = env.memcheck + [env.tool] + (["--options", options] if options else []) + list(args)
    p = run(cmd, "compat_tool")
    if p.returncode != 0:
        raise Abort(f"compat_tool {' '.join(args[:1])} exited {p.returncode}:\n"
                    f"$ {shlex.join(cmd)}\n{p.stderr}{p.stdout[:2000]}")
    if p.stderr.strip():
        print(p.stderr, end="", flush=True)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise Abort(f"compat_tool {args[0]} printed something that is not JSON ({e}):\n"
                    f"{p.stdout[:2000]}")


def tool_calls(env, db, ops, options=None):
    """Several `call`s in ONE compat_tool process (`calls`): ops is a list of argument
    lists [OP, FLOW, SESSION, ARG...]; returns the list of result objects."""
    args = []
    for i, op in enumerate(ops):
        if i:
            args.append("--")
        args.extend(op)
    res = tool(env, "calls", db, *args, options=options)
    if not isinstance(res, list) or len(res) != len(ops):
        raise Abort(f"compat_tool calls returned {len(res)} results for {len(ops)} calls")
    return res


def run_steps(env, tag, db, steps, options=None):
    """Runs steps (args, check) in one compat_tool process. check is None for a setup
    call that must just succeed, else (name, status, result) where result is the exact
    expected result text (None for null) or a function of the result object returning
    (ok, detail). Returns the result objects."""
    res = tool_calls(env, db, [a for a, _ in steps], options=options)
    setup_failures = []
    for (args, check), r in zip(steps, res):
        if check is None:
            if r["status"] != "WS_OK":
                setup_failures.append(f"{shlex.join(args)}: {r['status']}: {r['message']}")
            continue
        name, status, exp = check
        if callable(exp):
            ok, detail = exp(r)
            ok = ok and r["status"] == status
        else:
            ok = r["status"] == status and r["result"] == exp
            detail = f"expected {status} {exp!r}"
        C.check(ok, f"{tag}: {name}", f"{shlex.join(args)}\n{detail}\n"
                f"got {r['status']} {r['result']!r} {r['message']!r}")
    if any(c is None for _, c in steps):
        C.check(not setup_failures, f"{tag}: the setup calls succeed",
                "\n".join(setup_failures))
    return res


def fresh_db(env, name):
    os.makedirs(env.rundir, exist_ok=True)
    path = os.path.join(env.rundir, name)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return path


def file_digest(path):
    import hashlib
    out = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as f:
                out[suffix or "db"] = hashlib.sha256(f.read()).hexdigest()
    return out


# ---- long-lived processes: compat_tool serve and the Python serving worker ----------------

class LineProc:
    """A process spoken to in lines: each request is one line on its stdin, each answer
    one line on its stdout (read by a thread, so that a hang is a timeout, not a hang)."""

    def __init__(self, cmd, name, log_path):
        import queue
        import threading
        self.name, self.cmd, self.log_path = name, cmd, log_path
        self.log = open(log_path, "w+", encoding="utf-8")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, encoding="utf-8", bufsize=1)
        self.lines = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                self.lines.put(line)
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def send(self, obj):
        try:
            self.proc.stdin.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except OSError as e:
            raise Abort(f"{self.name}: cannot send a request ({e}): {self.stderr()}")

    def recv(self, timeout=120):
        import queue
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise Abort(f"{self.name}: no answer within {timeout}s")
        if line is None:
            self.proc.wait()
            raise Abort(f"{self.name} exited {self.proc.returncode}:\n{self.stderr()}")
        try:
            return json.loads(line)
        except ValueError as e:
            raise Abort(f"{self.name} answered something that is not JSON ({e}): {line!r}")

    def stderr(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self):
        """Ends the process (end of its stdin); returns (exit status, stderr)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            rc = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        err = self.stderr()
        self.log.close()
        return rc, err


class ToolServer(LineProc):
    """compat_tool serve DB (under the memcheck prefix): one store open for the whole
    conversation, as an app keeps it."""

    def __init__(self, env, db, tag, options=None):
        cmd = env.memcheck + [env.tool] + (["--options", options] if options else []) + [
            "serve", db]
        super().__init__(cmd, f"compat_tool serve ({tag})",
                         os.path.join(env.rundir, f"{tag}.tool.log"))
        self.tag, self.memcheck = tag, bool(env.memcheck)

    def call(self, *args):
        self.send(list(args))
        return self.recv()

    def ok(self, *args):
        """The result text of a call that must succeed."""
        r = self.call(*args)
        if r.get("status") != "WS_OK":
            raise Abort(f"{self.tag}: compat_tool {shlex.join(str(a) for a in args)}: "
                        f"{r.get('status')}: {r.get('message')}")
        return r["result"]

    def num(self, *args):
        return int(self.ok(*args))

    def json(self, *args):
        return json.loads(self.ok(*args))

    def finish(self):
        rc, err = self.close()
        C.check(rc == 0, f"{self.tag}: compat_tool serve ended cleanly" +
                (" (no memcheck errors)" if self.memcheck else ""),
                f"exit {rc}\n{err}")
        if rc == 0 and err.strip():
            print(err, end="", flush=True)


class PyServer(LineProc):
    """The venv's python running this file with --serve: the real package, one process."""

    def __init__(self, env, tag):
        super().__init__([env.vpy, os.path.abspath(__file__), "--serve"],
                         f"python --serve ({tag})", os.path.join(env.rundir, f"{tag}.py.log"))

    def req(self, op, **args):
        self.send(dict(args, op=op))
        r = self.recv()
        if "error" in r:
            raise Abort(f"{self.name}: {op} {compact(args)[:300]} failed:\n{r['error']}")
        return r

    def call(self, db, method, *args):
        return self.req("call", db=db, method=method, args=list(args))

    def finish(self):
        rc, err = self.close()
        C.check(rc == 0, f"{self.name} ended cleanly", f"exit {rc}\n{err}")


# ---- the change sequence as the library reports it ---------------------------------------

def session_key(entry):
    return f"{entry['flow_id']}:{entry['session_id']}"


class SeqModel:
    """What the library has said of the change sequence so far: the latest number, each
    live session's revision, each deleted session's deletion number. `step` checks one
    write by anybody against it."""

    def __init__(self, tool, tag):
        self.tool, self.tag = tool, tag
        self.seq = tool.num("latest_seq")
        self.live, self.deleted = self.feed_state()

    def feed_state(self):
        """(live key -> revision, deleted key -> seq) from ws_changes_since(NULL, 0),
        following "more" (the pages must join up); checks last_seq on the way."""
        live, deleted, after, pages = {}, {}, 0, 0
        while True:
            page = self.tool.json("changes_since", None, str(after), "7")
            pages += 1
            for e in page["changes"]:
                key = session_key(e)
                if key in live or key in deleted or e["seq"] <= after:
                    raise Abort(f"{self.tag}: ws_changes_since listed {key} twice or out "
                                f"of order: {compact(page)}")
                after = e["seq"]
                (deleted if e["deleted"] else live)[key] = e["seq"]
                if not e["deleted"] and e["revision"] != e["seq"]:
                    raise Abort(f"{self.tag}: a live entry's revision is not its seq: "
                                f"{compact(e)}")
            if not page["more"]:
                self.last_seq = page["last_seq"]
                return live, deleted
            after = page["last_seq"]
            if pages > 1000:
                raise Abort(f"{self.tag}: ws_changes_since never stopped saying more")

    def resync(self):
        """Takes the library's word for the present (after a write `step` cannot judge)."""
        self.seq = self.tool.num("latest_seq")
        self.live, self.deleted = self.feed_state()

    def step(self, name, rows_before, rows_after, certain=(), wake=None, extra=()):
        """Checks a write that turned the file's rows_before into rows_after (Python's
        view of the whole table): the sequence grew by exactly the number of rows that
        changed (appeared, vanished or differ in any column), each changed session has a
        new number, larger than any before, in ws_changes_since as deleted or not, every
        other session kept its revision, and ws_latest_seq is the newest number.
        `certain` names keys the write must have changed (so that a write that did
        nothing cannot pass). `wake` is compat_tool's wait_change answer, if one waited.
        `extra` names sessions changed beyond their rows (their stacks)."""
        tag = f"{self.tag}: {name}"
        changed = sorted({k for k in set(rows_before) | set(rows_after)
                          if rows_before.get(k) != rows_after.get(k)} | set(extra))
        gone = [k for k in changed if k not in rows_after]
        missing = [k for k in certain if k not in changed]
        seq0 = self.seq
        seq1 = self.tool.num("latest_seq")
        ok_count = C.check(seq1 - seq0 == len(changed) and not missing,
                           f"{tag}: ws_latest_seq grew by {len(changed)}, one number per "
                           f"changed row ({', '.join(changed) or 'none'})",
                           f"latest_seq {seq0} -> {seq1}" +
                           (f"\nthe write did not change {missing}" if missing else ""))
        page = self.tool.json("changes_since", None, str(seq0), "0")
        listed = {session_key(e): e for e in page["changes"]}
        seqs = [e["seq"] for e in page["changes"]]
        problems = []
        if sorted(listed) != changed or len(seqs) != len(changed):
            problems.append(f"lists {sorted(listed)}, not the changed {changed}")
        if page["more"] or page["reset"] or page["last_seq"] != seq1:
            problems.append(f"more/reset/last_seq {page['more']}/{page['reset']}/"
                            f"{page['last_seq']}, latest {seq1}")
        if seqs != sorted(set(seqs)) or not all(seq0 < x <= seq1 for x in seqs):
            problems.append(f"numbers {seqs} not new, distinct and in order")
        for k in changed:
            e = listed.get(k)
            flow, sid = k.split(":", 1)
            rev = self.tool.num("get_revision", flow, sid)
            if k in gone:
                if e is None or e["deleted"] is not True or rev != 0:
                    problems.append(f"{k} deleted: feed {compact(e)}, get_revision {rev}")
            elif e is None or e["deleted"] is not False or e["revision"] != rev or rev <= seq0:
                problems.append(f"{k} written: feed {compact(e)}, get_revision {rev} (latest "
                                f"before {seq0})")
            elif k in self.deleted and rev <= self.deleted[k]:
                problems.append(f"{k} re-created with {rev}, not above its deletion "
                                f"{self.deleted[k]}")
        C.check(not problems, f"{tag}: ws_changes_since(the latest before) lists each changed "
                "session once at its new number (= get_revision), a deleted one as "
                "\"deleted\":true (get_revision 0)", "\n".join(problems) + "\n" + compact(page))
        live, deleted = self.feed_state()
        kept = [f"{k}: {self.live.get(k)} -> {live.get(k)}" for k in rows_after
                if k not in changed and live.get(k) != self.live.get(k)]
        if sorted(live) != sorted(rows_after) or self.last_seq != seq1:
            kept.append(f"ws_changes_since(0) lists {sorted(live)} (last_seq {self.last_seq}), "
                        f"Python sees {sorted(rows_after)} (latest {seq1})")
        C.check(not kept, f"{tag}: every other session kept its revision; "
                "ws_changes_since(0) lists exactly the sessions Python sees", "\n".join(kept))
        if wake is not None:
            C.check(wake["status"] == "WS_OK" and wake["after"] == seq0 and
                    wake["seq"] == seq1 and seq1 > seq0,
                    f"{tag}: ws_wait_for_change woke with the new latest number",
                    compact(wake))
        self.seq, self.live, self.deleted = seq1, live, deleted
        return ok_count


# ---- the common comparison: a compat_tool dump against a Python 0.0.3 dump -----------------

SUMMARY_TEXT_FIELDS = ("flow_id", "session_id", "label", "current_step", "created_at",
                       "updated_at")


def compare_dumps(tag, cdump, pdump, expected_order=None):
    raw_rows = pdump["raw"]["rows"]
    pflows = {f["flow"]: f for f in pdump["flows"]}
    for cflow in cdump["flows"]:
        flow = cflow["flow"]
        pflow = pflows[flow]
        clist = json.loads(cflow["list"])
        cids = [x["session_id"] for x in clist]
        pids = [x["session_id"] for x in pflow["list"]]
        check_text(sorted(pids), sorted(cids),
                   f"{tag}: {flow}: C lists the same sessions as Python's list_sessions")
        if expected_order is not None and flow in expected_order:
            check_value(expected_order[flow], cids,
                        f"{tag}: {flow}: C lists by created_at ascending, ties in creation order")
        stamps = [x["created_at"] for x in clist]
        C.check(stamps == sorted(stamps), f"{tag}: {flow}: C list is sorted by created_at",
                "created_at: " + ", ".join(stamps))
        check_text(cflow["list"], compact(clist), f"{tag}: {flow}: C list JSON is compact")
        psummaries = {x["session_id"]: x for x in pflow["list"]}
        for csess in cflow["sessions"]:
            sid = csess["session_id"]
            where = f"{tag}: {flow}/{sid}"
            if sid not in pflow["sessions"]:
                C.check(False, f"{where}: Python sees this session")
                continue
            psess = pflow["sessions"][sid]
            raw = raw_rows[f"{flow}:{sid}"]
            stored = raw["state_json"]

            # State: the values Python reads, and the exact compact text of what is stored.
            cstate_text = csess["state"]
            cstate = json.loads(cstate_text)
            check_value(psess["state"], cstate, f"{where}: get_state values equal Python's "
                        "(types, key order, exact numbers)")
            if stored is not None and stored != "":
                check_text(dump_raw(parse_raw(stored)), cstate_text,
                           f"{where}: get_state text is the stored text, compact UTF-8, "
                           "number texts and key order kept")
            # Steps.
            csteps = {k: json.loads(v) for k, v in csess["steps"].items()}
            check_text(sorted(psess["steps"]), sorted(csteps),
                       f"{where}: the same steps have state")
            for step, pval in psess["steps"].items():
                if step in csteps:
                    check_value(pval, csteps[step],
                                f"{where}: get_step_state({step!r}) equals Python's")
                    if ("_step_" + step) in cstate:
                        check_text(dump_raw(raw_get(parse_raw(stored), "_step_" + step)),
                                   csess["steps"][step],
                                   f"{where}: get_step_state({step!r}) text is exact")
                    else:
                        check_text("{}", csess["steps"][step],
                                   f"{where}: get_step_state({step!r}) of no step is {{}}")
            # Current step, existence, summary.
            check_value(psess["current_step"], csess["current_step"],
                        f"{where}: get_current_step equals Python's")
            C.check(csess["exists"] is True and psess["exists"] is True,
                    f"{where}: session_exists in both")
            csum = json.loads(csess["summary"])
            check_value(["flow_id", "session_id", "label", "current_step", "created_at",
                         "updated_at", "state_size_bytes"], list(csum),
                        f"{where}: summary has the API's fields in order")
            psum = psess["summary"]
            check_value({k: psum[k] for k in SUMMARY_TEXT_FIELDS},
                        {k: csum.get(k) for k in SUMMARY_TEXT_FIELDS},
                        f"{where}: summary fields equal Python's get_session_summary")
            check_value(psummaries[sid], psum,
                        f"{where}: (Python's list_sessions and get_session_summary agree)")
            centry = next(x for x in clist if x["session_id"] == sid)
            check_value(csum, centry, f"{where}: C list entry equals C summary")
            C.check(bool(TIMESTAMP.match(csum["created_at"] or "")) and
                    bool(TIMESTAMP.match(csum["updated_at"] or "")),
                    f"{where}: timestamps are exactly 'YYYY-MM-DD HH:MM:SS'",
                    f"created_at={csum['created_at']!r} updated_at={csum['updated_at']!r}")
            nbytes = len(stored.encode("utf-8")) if stored is not None else 0
            check_value(nbytes, csum["state_size_bytes"],
                        f"{where}: state_size_bytes is the stored text's UTF-8 byte length")
            if psum["state_size_bytes"] != csum["state_size_bytes"]:
                C.note(f"{where}: state_size_bytes C={csum['state_size_bytes']} "
                       f"Python={psum['state_size_bytes']}: Python's is SQLite length(), "
                       "in characters; API.md says bytes (stored text is non-ASCII)")


# ---- scenario a ----------------------------------------------------------------------------

def scenario_a(env):
    """Python 0.0.3 writes, compat_tool reads"""
    db = fresh_db(env, "a_python_writes.db")
    w = py(env, "write_a", db=db)
    flows = list(w["order"])
    pdump = py(env, "dump", db=db, flows=flows, steps=["tmp", "never"], absent=w["absent"])
    cdump = tool(env, "dump", db, "--step", "tmp", "--step", "never", *flows)
    compare_dumps("a", cdump, pdump, expected_order=w["order"])

    pflows = {f["flow"]: f for f in pdump["flows"]}
    for cflow in cdump["flows"]:
        for csess in cflow["sessions"]:
            where = f"a: {cflow['flow']}/{csess['session_id']}"
            pstate = pflows[cflow["flow"]]["sessions"][csess["session_id"]]["state"]
            check_text(compact(pstate), csess["state"],
                       f"{where}: get_state text == json.dumps(Python's value, "
                       "separators=(',', ':'), ensure_ascii=False)")
            for step, text in csess["steps"].items():
                pval = pflows[cflow["flow"]]["sessions"][csess["session_id"]]["steps"][step]
                check_text(compact(pval), text,
                           f"{where}: get_step_state({step!r}) text == compact dumps of Python's")
    alpha = json.loads(next(s for s in cdump["flows"][0]["sessions"]
                            if s["session_id"] == "alpha")["state"])
    C.check(alpha["big"] == 2**70 and alpha["neg"] == -2**70 and alpha["f"] == 0.30000000000000004
            and alpha["tiny"] == 1e-7 and alpha["name"] == "é日本🙂"
            and alpha["more"][:4] == [2**64, -1.5e300, 5e-324, 1e22]
            and math.copysign(1, alpha["more"][4]) < 0,
            "a: C reads 2**70, 2**64, 0.30000000000000004, 1e-7, 5e-324, -0.0 and é日本🙂 exactly",
            compact(alpha))
    for a in pdump.get("absent", []):
        C.check(not a["exists"] and a["state"] == {} and a["summary"] is None,
                f"a: {a['flow']}/{a['session_id']} deleted by Python is gone for Python")
    for cflow in cdump["flows"]:
        ids = [s["session_id"] for s in cflow["sessions"]]
        C.check("doomed" not in ids and "cleared" not in ids,
                f"a: {cflow['flow']}: sessions Python deleted are not listed by C")
    for flow, sid in w["absent"]:
        r = tool(env, "call", db, "get_state", flow, sid)
        C.check(r["status"] == "WS_OK" and r["result"] == "{}",
                f"a: C get_state of the deleted session {flow}/{sid} is {{}}", compact(r))
    gen = w["generated"]
    C.check(bool(UUID4.match(gen)), f"a: Python's generated id {gen} is a UUID4 (sanity)")


# ---- scenario b ----------------------------------------------------------------------------

# What compat_tool's "write" must leave: flow -> [(session id, label, current step, exact
# compact state text)] in creation order. "<generated>" is the id the tool reports.
S1_TEXT = (r'{"name":"é日本🙂","big":1180591620717411303424,'
           r'"neg_big":-1180591620717411303424,"f":0.30000000000000004,"tiny":1e-7,'
           r'"nested":{"z":1,"a":[1,2.5,{"k":null}],"t":true,"f":false},'
           r'"esc":"q\"b\\s/\n\t\u0001é","added":"x",'
           r'"_step_step-1":{"done":true,"score":0.1,"extra":[1,2]},'
           r'"_step_step-2":{"draft":"日本"}}')
EXPECTED_B = {
    FLOW_A: [
        ("s1", "First session", "step-2", S1_TEXT),
        ("<generated>", None, "intro", "{}"),
        ("user:42:run", "Ünïcödé 🙂 label", None, '{"k":"v","n":[]}'),
        ("implicit", None, "only-step", "{}"),
        ("upserted", None, None, '{"n":-0.0,"e":1E+2,"i":-17}'),
        ("relabel", "new label", None, "{}"),
        ("unlabel", None, None, "{}"),
    ],
    FLOW_B: [
        ("s1", None, "step:with:colon",
         '{"flow":"b","_step_step:with:colon":{"v":[0.1,1e-7]}}'),
    ],
}


def scenario_b(env):
    """compat_tool writes, Python 0.0.3 reads and keeps writing, compat_tool reads again"""
    db = fresh_db(env, "b_c_writes.db")
    w = tool(env, "write", db)
    gen = w.get("generated") or ""
    C.check(bool(UUID4.match(gen)), f"b: C generated a lowercase UUID4 session id ({gen!r})")
    expected = {flow: [(gen if sid == "<generated>" else sid, label, step, text)
                       for sid, label, step, text in rows]
                for flow, rows in EXPECTED_B.items()}
    flows = list(expected)

    # What C reads back of its own writes: exact texts and order.
    cdump = tool(env, "dump", db, "--step", "tmp", *flows)
    for cflow in cdump["flows"]:
        flow = cflow["flow"]
        check_value([r[0] for r in expected[flow]], [s["session_id"] for s in cflow["sessions"]],
                    f"b: {flow}: C lists its sessions in creation order")
        for (sid, label, step, text), csess in zip(expected[flow], cflow["sessions"]):
            check_text(text, csess["state"], f"b: {flow}/{sid}: C get_state text is exact")
            C.check(csess["steps"].get("tmp") == "{}",
                    f"b: {flow}/{sid}: the cleared step 'tmp' reads as {{}} in C")

    # What Python 0.0.3 reads.
    pdump = py(env, "dump", db=db, flows=flows, steps=["tmp"],
               absent=[[FLOW_A, "doomed"], [FLOW_A, "never"]])
    raw = pdump["raw"]
    pflows = {f["flow"]: f for f in pdump["flows"]}
    for flow, rows in expected.items():
        pflow = pflows[flow]
        check_text(sorted(r[0] for r in rows), sorted(x["session_id"] for x in pflow["list"]),
                   f"b: {flow}: Python's list_sessions lists exactly the C sessions")
        stamps = [x["created_at"] for x in pflow["list"]]
        C.check(stamps == sorted(stamps), f"b: {flow}: Python's list is sorted by created_at")
        for sid, label, step, text in rows:
            where = f"b: {flow}/{sid}"
            psess = pflow["sessions"].get(sid)
            if psess is None:
                C.check(False, f"{where}: Python sees the session")
                continue
            exp_state = json.loads(text)
            check_value(exp_state, psess["state"], f"{where}: Python get_state is exact")
            exp_steps = {k[6:]: v for k, v in exp_state.items() if k.startswith("_step_")}
            exp_steps["tmp"] = exp_steps.get("tmp", {})
            check_value(exp_steps, psess["steps"], f"{where}: Python get_step_state is exact")
            check_value(step, psess["current_step"], f"{where}: Python get_current_step")
            psum = psess["summary"]
            check_value([flow, sid, label, step], [psum["flow_id"], psum["session_id"],
                                                   psum["label"], psum["current_step"]],
                        f"{where}: Python get_session_summary: ids, label, current step")
            C.check(bool(TIMESTAMP.match(psum["created_at"])) and
                    bool(TIMESTAMP.match(psum["updated_at"])),
                    f"{where}: Python reads C's timestamps in CURRENT_TIMESTAMP form",
                    f"{psum['created_at']!r} {psum['updated_at']!r}")
            C.check(psum["updated_at"] >= psum["created_at"],
                    f"{where}: updated_at >= created_at")
            stored = raw["rows"][f"{flow}:{sid}"]["state_json"]
            check_text(text, dump_raw(parse_raw(stored)),
                       f"{where}: the stored text keeps C's number texts and key order")
    s1 = pflows[FLOW_A]["sessions"]["s1"]["state"]
    C.check(type(s1["big"]) is int and s1["big"] == 2**70 and s1["neg_big"] == -2**70,
            "b: Python reads 2**70 and -2**70 as exact ints", compact(s1))
    C.check(s1["f"] == 0.30000000000000004 and s1["tiny"] == 1e-7 and
            s1["_step_step-1"]["score"] == 0.1,
            "b: Python reads 0.30000000000000004, 1e-7 and 0.1 exactly", compact(s1))
    C.check(s1["name"] == "é日本🙂" and s1["esc"] == "q\"b\\s/\n\t\x01é",
            "b: Python reads non-ASCII and escaped strings intact", compact(s1))
    ups = pflows[FLOW_A]["sessions"]["upserted"]["state"]
    C.check(math.copysign(1, ups["n"]) < 0 and ups["e"] == 100.0,
            "b: Python reads C's -0.0 and 1E+2", compact(ups))
    for a in pdump["absent"]:
        C.check(not a["exists"] and a["state"] == {} and a["summary"] is None,
                f"b: {a['flow']}/{a['session_id']}: absent for Python (deleted or never made)")
    C.check(not any(k.endswith(":s1 should not be stored") for k in raw["rows"]) and
            pflows[FLOW_A]["sessions"]["s1"]["summary"]["label"] == "First session",
            "b: the refused duplicate ws_create_session changed nothing")
    C.check(raw["user_version"] == SCHEMA_VERSION,
            f"b: C set PRAGMA user_version = {SCHEMA_VERSION}",
            f"user_version = {raw['user_version']}")
    check_value(["flow_session_key", "current_step", "state_json", "created_at", "updated_at",
                 "label"], raw["columns"], "b: the table has exactly the 0.0.3 columns")
    compare_dumps("b", cdump, pdump, expected_order={f: [r[0] for r in rows]
                                                     for f, rows in expected.items()})

    # Python keeps writing; C reads those writes.
    py(env, "continue_b", db=db, flows=flows, generated=gen)
    pdump2 = py(env, "dump", db=db, flows=flows, steps=["tmp"])
    cdump2 = tool(env, "dump", db, "--step", "tmp", *flows)
    compare_dumps("b (after Python wrote)", cdump2, pdump2)
    ca = {s["session_id"]: s for s in cdump2["flows"][0]["sessions"]}
    C.check("py-new" in ca and "unlabel" not in ca,
            "b: C sees the session Python created and not the one it deleted", sorted(ca))
    if "py-new" in ca:
        csum = json.loads(ca["py-new"]["summary"])
        check_value(["from python é", "p1"], [csum["label"], csum["current_step"]],
                    "b: C reads the label and current step Python set")
    cs1 = json.loads(ca["s1"]["state"])
    C.check(cs1.get("big2") == 2**70 + 1 and cs1.get("py") == "added é" and
            cs1["_step_step-1"].get("py") is True and cs1["big"] == 2**70,
            "b: C reads Python's update_state/update_step_state on a C-written session",
            ca["s1"]["state"])
    C.check('"big2":1180591620717411303425' in ca["s1"]["state"],
            "b: 2**70+1 written by Python reaches C as its exact digits", ca["s1"]["state"])
    check_value("labelled by python", json.loads(ca[gen]["summary"])["label"],
                "b: C reads the label Python set on the generated session")


# ---- scenario c ----------------------------------------------------------------------------

LEGACY_SESSIONS = [["legacy", "one"], ["legacy", "two:with:colon"], ["legacy", "three"],
                   ["other", "x"]]


def scenario_c(env):
    """a cjm-workflow-state 0.0.2 file, read read-only, then migrated in place"""
    db = fresh_db(env, "c_migrate_002.db")
    py(env, "write_002", db=db, py002=env.py002)
    before = py(env, "inspect", db=db)
    C.check("label" not in before["columns"] and before["columns"],
            "c: the 0.0.2 file has no label column", before["columns"])
    C.check(before["user_version"] == 0, "c: the 0.0.2 file has user_version 0")
    read002 = py(env, "read_002", db=db, py002=env.py002, sessions=LEGACY_SESSIONS)
    check_value(sorted(k for k in before["rows"]), sorted(read002),
                "c: 0.0.2 wrote the expected sessions (sanity)")

    def check_against_002(tag, cdump):
        for cflow in cdump["flows"]:
            flow = cflow["flow"]
            ids = [s["session_id"] for s in cflow["sessions"]]
            exp_ids = [sid for f, sid in LEGACY_SESSIONS if f == flow]
            check_value(exp_ids, ids, f"{tag}: {flow}: C lists the 0.0.2 sessions "
                        "in creation order")
            for csess in cflow["sessions"]:
                sid = csess["session_id"]
                key = f"{flow}:{sid}"
                where = f"{tag}: {flow}/{sid}"
                if key not in read002:
                    continue
                r = read002[key]
                check_value(r["state"], json.loads(csess["state"]),
                            f"{where}: state equals what 0.0.2 reads")
                check_text(dump_raw(parse_raw(before["rows"][key]["state_json"])),
                           csess["state"], f"{where}: state text is the 0.0.2 text, compact")
                check_value(r["current_step"], csess["current_step"],
                            f"{where}: current step equals 0.0.2's")
                check_value(r["steps"], {k: json.loads(v) for k, v in csess["steps"].items()},
                            f"{where}: step states equal 0.0.2's")
                csum = json.loads(csess["summary"])
                check_value(None, csum["label"], f"{where}: label is null")
                old = before["rows"][key]
                check_value([old["created_at"], old["updated_at"]],
                            [csum["created_at"], csum["updated_at"]],
                            f"{where}: timestamps are 0.0.2's")

    flows = ["legacy", "other"]
    # Read-only: readable, labels null, nothing written.
    digest = file_digest(db)
    cro = tool(env, "dump", db, *flows, options='{"read_only":true}')
    check_against_002("c (read-only open)", cro)
    after_ro = py(env, "inspect", db=db)
    C.check("label" not in after_ro["columns"] and after_ro["user_version"] == 0,
            "c: a read-only open does not migrate", f"{after_ro['columns']} "
            f"user_version={after_ro['user_version']}")
    check_value(digest, file_digest(db), "c: a read-only open leaves the file byte for byte")

    # Writable open: migrated in place.
    cdump = tool(env, "dump", db, *flows)
    check_against_002("c (migrated)", cdump)
    after = py(env, "inspect", db=db)
    C.check("label" in after["columns"],
            "c: PRAGMA table_info(workflow_state) shows the label column after the C open",
            after["columns"])
    check_value(["flow_session_key", "current_step", "state_json", "created_at", "updated_at",
                 "label"], after["columns"], "c: the migrated table has the 0.0.3 columns")
    C.check(after["user_version"] == SCHEMA_VERSION,
            f"c: the C library set PRAGMA user_version = {SCHEMA_VERSION}",
            f"user_version = {after['user_version']}")
    check_value(sorted(before["rows"]), sorted(after["rows"]), "c: no row added or lost")
    for key, old in before["rows"].items():
        new = dict(after["rows"].get(key, {}))
        label = new.pop("label", "<missing>")
        check_value(old, new, f"c: {key}: every 0.0.2 column unchanged by the migration")
        check_value(None, label, f"c: {key}: label is NULL after the migration")
    C.check("idx_workflow_state_updated" in after["indexes"],
            "c: the migrated file has the idx_workflow_state_updated index", after["indexes"])

    # 0.0.2 still reads (and writes) the migrated file; 0.0.3 works on it.
    check_value(read002, py(env, "read_002", db=db, py002=env.py002, sessions=LEGACY_SESSIONS),
                "c: 0.0.2 reads the migrated file exactly as before")
    labelled = py(env, "label_003", db=db)
    C.check([x["session_id"] for x in labelled["list"]][-2:] == ["one", "new-003"] and
            len(labelled["list"]) == 4,
            "c: 0.0.3 sets labels, creates and lists sessions on the migrated file",
            compact(labelled["list"]))
    py(env, "write_002_after", db=db, py002=env.py002)
    pdump = py(env, "dump", db=db, flows=flows)
    cdump2 = tool(env, "dump", db, *flows)
    compare_dumps("c (after 0.0.3 and 0.0.2 wrote)", cdump2, pdump)
    cl = {s["session_id"]: s for s in cdump2["flows"][0]["sessions"]}
    check_value(["Now labelled é", "made by 0.0.3", None, None],
                [json.loads(cl[s]["summary"])["label"] if s in cl else "<missing>"
                 for s in ("one", "new-003", "two:with:colon", "three")],
                "c: C reads the labels 0.0.3 set on the migrated file")
    C.check("three" in cl and json.loads(cl["three"]["state"]).get("from002") == "après",
            "c: C reads what 0.0.2 wrote after the migration")

    # The migration added the history and undo tables and their triggers; 0.0.2's
    # clear_state fires them.
    C.check("ws_history" in after["tables"] and
            "ws_history_deleted_with_session" in after["triggers"],
            "c: the migrated file has the ws_history table and its trigger",
            f"tables {after['tables']} triggers {after['triggers']}")
    C.check(UNDO_TABLE in after["tables"] and UNDO_TRIGGER in after["triggers"],
            f"c: the migrated file has the {UNDO_TABLE} table and its trigger",
            f"tables {after['tables']} triggers {after['triggers']}")
    # The migration numbered every session; the triggers numbered 0.0.3's and 0.0.2's
    # writes after it (0.0.2 wrote last, to "three").
    keys = LEGACY_SESSIONS + [["legacy", "new-003"]]
    res = run_steps(env, "c (stacks on the migrated file)", db,
                    [(["get_revision", f, sid], None) for f, sid in keys] +
                    [(["latest_seq"], None)] + [
        (["history_push", "legacy", "three", '{"h":1}'], None),
        (["checkpoint", "legacy", "three", "cp"], None),
        (["history_push", "legacy", "one", '{"keep":2}'], None),
        (["checkpoint", "legacy", "two:with:colon", "kept"], None),
        (["history_len", "legacy", "three"], ("history_len after a push", "WS_OK", "1"))])
    revs = {f"{f}:{sid}": int(r["result"] or 0) for (f, sid), r in zip(keys, res)}
    latest = int(res[len(keys)]["result"] or 0)
    C.check(all(v > 0 for v in revs.values()) and len(set(revs.values())) == len(revs) and
            latest == revs["legacy:three"] == max(revs.values()),
            "c: every session of the migrated 0.0.2 file has its own revision; 0.0.2's write "
            "after the migration took the latest number", f"{compact(revs)} latest {latest}")
    marks = sorted(undo_keys(py(env, "inspect", db=db)))
    C.check({"legacy:three", "legacy:two:with:colon"} <= set(marks),
            f"c: the checkpoints left {UNDO_TABLE} rows for their sessions (sanity)",
            compact(marks))
    py(env, "clear_002", db=db, py002=env.py002, flow="legacy", session="three")
    raw = py(env, "inspect", db=db)
    keys = history_keys(raw) or {}
    C.check("legacy:three" not in keys and len(keys.get("legacy:one", [])) == 1,
            "c: 0.0.2's clear_state deletes the session's stacks (trigger), not others'",
            compact(keys))
    marks = sorted(undo_keys(raw))
    C.check("legacy:three" not in marks and "legacy:two:with:colon" in marks,
            f"c: 0.0.2's clear_state deletes the session's {UNDO_TABLE} row (trigger), not "
            "others'", compact(marks))
    run_steps(env, "c (after 0.0.2's clear_state)", db, [
        (["history_len", "legacy", "three"], ("history_len 0", "WS_OK", "0")),
        (["undo_status", "legacy", "three"], ("undo status zeros", "WS_OK", EMPTY_UNDO)),
        (["history_len", "legacy", "one"], ("another session keeps its history", "WS_OK",
                                            "1"))])


# ---- scenario d ----------------------------------------------------------------------------

def scenario_d(env):
    """Python's NaN and Infinity are WS_CORRUPT and never rewritten"""
    db = fresh_db(env, "d_nan.db")
    py(env, "write_nan", db=db)
    before = py(env, "inspect", db=db)
    nan_text = before["rows"]["bad:nan-session"]["state_json"]
    C.check("NaN" in nan_text and "Infinity" in before["rows"]["bad:inf-session"]["state_json"],
            "d: Python stored NaN and Infinity (not JSON)", nan_text)

    def expect_corrupt(op, sid, *args):
        r = tool(env, "call", db, op, "bad", sid, *args)
        C.check(r["status"] == "WS_CORRUPT" and sid in r["message"] and r["result"] is None,
                f"d: {op} on {sid} gives WS_CORRUPT naming the session",
                f"status={r['status']} message={r['message']!r} result={r['result']!r}")
        return r

    r = expect_corrupt("get_state", "nan-session")
    print(f"       message: {r['message']}")
    expect_corrupt("get_state", "inf-session")
    expect_corrupt("get_state", "surrogate-session")
    expect_corrupt("get_step_state", "nan-session", "s")
    expect_corrupt("update_state", "nan-session", '{"w":2}')
    expect_corrupt("update_step_state", "nan-session", "s", '{"w":2}')
    expect_corrupt("clear_step_state", "nan-session", "s")
    r = tool(env, "call", db, "get_current_step", "bad", "nan-session")
    C.check(r["status"] == "WS_OK" and r["result"] == "s",
            "d: get_current_step of the NaN session still works", compact(r))
    r = tool(env, "call", db, "get_state", "bad", "fine")
    C.check(r["status"] == "WS_OK" and r["result"] == '{"v":1}',
            "d: get_state of a sound session in the same flow works", compact(r))
    r = tool(env, "call", db, "list", "bad")
    C.check(r["status"] == "WS_OK" and
            sorted(x["session_id"] for x in json.loads(r["result"] or "[]")) ==
            ["fine", "inf-session", "nan-session", "surrogate-session"],
            "d: list_sessions of the flow works", compact(r))
    after = py(env, "inspect", db=db)
    for key in ("bad:nan-session", "bad:inf-session", "bad:surrogate-session", "bad:fine"):
        check_value(before["rows"][key], after["rows"].get(key),
                    f"d: {key}: stored text and timestamps unchanged")
    check_value({"nan": True, "inf": True}, py(env, "read_nan", db=db),
                "d: Python still reads its NaN and Infinity")


# ---- scenario e ----------------------------------------------------------------------------

# Depths and operations per depth of the random chains; SIZE_MAX (2**64 - 1 here) is the
# largest depth a caller can pass.
HISTORY_DEPTHS = [(1, 300), (2, 300), (3, 300), (5, 300), (50, 300), (2**64 - 1, 60)]

STRING_PIECES = ["a", "Z", "key", "_step_", "é", "日本", "🙂", "Ünïcödé", "\u00a0", "\ufeff",
                 "\u2028", "\u2029", "\U0010ffff", "\x7f", "\x80", "\n", "\r", "\t", "\b",
                 "\f", "\x00", "\x01", "\x1f", "\"", "\\", "/", " ", "<>&'"]
INT_CHOICES = [0, 1, -1, 42, -17, 2**31, 2**53 + 1, 2**63, 2**64, 2**70, -2**70, 10**30,
               -10**25]
FLOAT_CHOICES = [0.1, 0.2, 0.30000000000000004, 1e-7, -0.0, 0.0, 5e-324, 1e22, 1e16,
                 1.5e300, -2.5, 1 / 3, 2.0, 123456789.125, 1.7976931348623157e308, -1e-300]


def rand_string(rng):
    return "".join(rng.choice(STRING_PIECES) for _ in range(rng.randint(0, 4)))


def rand_value(rng, depth=0):
    r = rng.random()
    if depth < 3 and r < 0.3:
        return rand_object(rng, depth + 1)
    if depth < 3 and r < 0.45:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    kind = rng.randrange(8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice(INT_CHOICES)
    if kind == 3:
        return rng.randint(-2**80, 2**80) if rng.random() < 0.5 else rng.randint(-999, 999)
    if kind == 4:
        return rng.choice(FLOAT_CHOICES)
    if kind == 5:
        return rng.uniform(-1e6, 1e6)
    return rand_string(rng)


def rand_object(rng, depth=0):
    return {rand_string(rng): rand_value(rng, depth) for _ in range(rng.randint(0, 5))}


def rand_snapshot(rng):
    """Mostly objects (what cjm keeps), sometimes any JSON value (what the API allows)."""
    return rand_object(rng) if rng.random() < 0.8 else rand_value(rng)


def rand_text(rng, value):
    """JSON text of value as various writers spell it: compact, Python's default (spaces,
    \\u escapes), indented, padded with whitespace."""
    r = rng.random()
    if r < 0.6:
        return compact(value)
    if r < 0.75:
        return json.dumps(value)
    if r < 0.9:
        return json.dumps(value, indent=rng.choice([1, 2, "\t"]),
                          ensure_ascii=rng.random() < 0.5)
    return (rng.choice([" ", "\n", "\t", "\r\n"]) + compact(value)
            + rng.choice(["", " ", "\n ", "\t"]))


def history_ops(rng, depth, count):
    """One chain: mostly ops without "history" (they take C's previous output); a few
    restart from an explicit history text (among them one of exactly `depth` entries
    followed by a push, so that trimming is always exercised, and an empty one followed by
    a pop) or pass NULL to a push."""
    ops = [{"op": "pop", "history": rng.choice(["[]", " [ ]\n"])},
           {"op": "push", "history": None, "snapshot": rand_text(rng, rand_snapshot(rng)),
            "max_depth": depth}]
    rest = count - len(ops)
    full_at = rng.randrange(rest // 2, rest)
    p_push = 0.6
    for i in range(rest):
        if i % 25 == 0:
            p_push = rng.choice([0.3, 0.6, 0.85])
        op = {"op": "push" if rng.random() < p_push else "pop"}
        r = rng.random()
        if i == full_at and depth <= 60:
            op = {"op": "push", "history": rand_text(
                rng, [rand_snapshot(rng) for _ in range(depth)])}
        elif r < 0.03:
            n = rng.choice([0, 1, rng.randint(0, min(depth, 10))] +
                           ([depth + rng.randint(1, 3)] if depth <= 60 else []))
            op["history"] = rand_text(rng, [rand_snapshot(rng) for _ in range(n)])
        elif r < 0.04 and op["op"] == "push":
            op["history"] = None
        if op["op"] == "push":
            op["snapshot"] = rand_text(rng, rand_snapshot(rng))
            op["max_depth"] = depth
        ops.append(op)
    return ops


# Texts whose numbers Python would respell, duplicate keys, escapes: C's output must keep
# each number's text and parse to what Python's push_history/pop_history give.
HISTORY_EXTRAS = [
    {"op": "push", "history": '[{"a":1,"b":2,"a":3}]', "snapshot": '{"x":1,"y":2,"x":[3]}',
     "max_depth": 5},
    {"op": "pop"},
    {"op": "pop"},
    {"op": "push", "history": '[1E+2,-0,1.0e-5,1e300,1e-400]', "snapshot": '[1.0, -0.0, 10E-1]',
     "max_depth": 3},
    {"op": "push", "snapshot": '"\\ud83d\\ude42\\u00C9\\/\\u2028\\u0000"', "max_depth": 3},
    {"op": "pop"},
    {"op": "push", "history": "[" + "[" * 100 + "]" * 100 + "]",
     "snapshot": '{"deep":' + "[" * 60 + "{}" + "]" * 60 + "}", "max_depth": 2},
    {"op": "push", "history": "[]", "snapshot": json.dumps("é" * 5000 + "\x00"),
     "max_depth": 1},
    {"op": "pop"},
]

# Invalid calls: expected status (Python's functions are not asked: they accept what the
# API refuses, e.g. max_depth 0 or NaN).
HISTORY_ERRORS = [
    ({"op": "push", "history": "[]", "snapshot": "1", "max_depth": 0}, "WS_INVALID_ARGUMENT"),
    ({"op": "push", "history": "{}", "snapshot": "1", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "\"[]\"", "snapshot": "1", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[1,", "snapshot": "1", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "", "snapshot": "1", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[]", "snapshot": "", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[]", "snapshot": '{"a":1} x', "max_depth": 3},
     "WS_INVALID_JSON"),
    ({"op": "push", "history": "[]", "snapshot": "NaN", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[]", "snapshot": "[1]]", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[]", "snapshot": "'x'", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[Infinity]", "snapshot": "1", "max_depth": 3},
     "WS_INVALID_JSON"),
    ({"op": "pop", "history": None}, "WS_INVALID_ARGUMENT"),
    ({"op": "pop", "history": "null"}, "WS_INVALID_JSON"),
    ({"op": "pop", "history": '{"a":[]}'}, "WS_INVALID_JSON"),
    ({"op": "pop", "history": "[1,2"}, "WS_INVALID_JSON"),
    ({"op": "pop", "history": ""}, "WS_INVALID_JSON"),
    ({"op": "pop", "history": "[1] [2]"}, "WS_INVALID_JSON"),
    ({"op": "push", "history": "[1e400]", "snapshot": "1", "max_depth": 3}, "WS_INVALID_JSON"),
    ({"op": "pop", "history": '[{"a":-1E+400}]'}, "WS_INVALID_JSON"),
]

# Numbers on either side of what Python's json module takes back (a double's range, and
# int()'s 4300-digit limit): C must refuse exactly those on which Python's round trip
# breaks, as Python itself decides below.
NUMBER_EDGES = ["1e308", "1.7976931348623157e308", "1.7976931348623159e308", "1e309",
                "-1e400", "1e-400", "0.1", "1180591620717411303424", "9" * 4300, "9" * 4301,
                "-" + "9" * 4301, "9" * 308 + ".5", "9" * 309 + ".5", "[1, {\"a\": 2e400}]"]


def python_takes_back(text):
    """Whether Python's json module reads `text` and writes back a JSON number: no
    ValueError (too many digits: the limit is Python 3.11's default, which the library
    keeps to) and no float that overflowed to inf."""
    try:
        value = json.loads(text)
        return "Infinity" not in json.dumps(value)
    except ValueError:
        return False


def raw_model(op, in_text):
    """What C must print for op on in_text when numbers keep their text: push/pop on the
    raw parse (exact number texts, Python's duplicate-key rule)."""
    hist = parse_raw(in_text) if in_text is not None else []
    if op["op"] == "push":
        new = list(hist) + [parse_raw(op["snapshot"])]
        return {"history": dump_raw(new[-op["max_depth"]:])}
    if not hist:
        return {"history": "[]", "snapshot": None}
    return {"history": dump_raw(hist[:-1]), "snapshot": dump_raw(hist[-1])}


def scenario_e(env):
    """ws_json_history_push / ws_json_history_pop against the real push_history / pop_history"""
    rng = random.Random(env.seed)
    print(f"       seed {env.seed} (repeat with --seed {env.seed})", flush=True)
    groups = []  # (name, first op index, op count)
    ops = []
    for depth, count in HISTORY_DEPTHS:
        chain = history_ops(rng, depth, count)
        groups.append((f"depth {depth}", len(ops), len(chain)))
        ops.extend(chain)
    groups.append(("texts Python would respell", len(ops), len(HISTORY_EXTRAS)))
    ops.extend(HISTORY_EXTRAS)
    first_error = len(ops)
    ops.extend(op for op, _ in HISTORY_ERRORS)
    first_number = len(ops)
    ops.extend({"op": "push", "history": "[]", "snapshot": text, "max_depth": 1}
               for text in NUMBER_EDGES)

    os.makedirs(env.rundir, exist_ok=True)
    ops_file = os.path.join(env.rundir, "e_history_ops.json")
    with open(ops_file, "w", encoding="utf-8") as f:
        json.dump(ops, f, ensure_ascii=False)
    started = time.monotonic()
    res = tool(env, "json-history", ops_file)
    print(f"       compat_tool json-history: {len(ops)} operations in one process, "
          f"{time.monotonic() - started:.1f}s", flush=True)
    if not C.check(isinstance(res, list) and len(res) == len(ops),
                   "e: compat_tool ran every operation",
                   f"{len(res)} results for {len(ops)} operations"):
        return

    # The chain: an op without "history" got the output of the last successful op.
    chain_ok, chain_bad = True, []
    last = "[]"
    for i, (op, r) in enumerate(zip(ops, res)):
        want_in = op["history"] if "history" in op else last
        if r["in"] != want_in:
            chain_ok = False
            chain_bad.append(f"op {i}: input {r['in']!r:.200}, expected {want_in!r:.200}")
        if r["status"] == "WS_OK" and r["history"] is not None:
            last = r["history"]
    C.check(chain_ok, "e: every operation without an explicit history got C's previous "
            "output (the sequence is a chain)", "\n".join(chain_bad[:5]))

    # Python's side, on exactly the inputs C had, parsed.
    py_ops = []
    for op, r in zip(ops[:first_error], res[:first_error]):
        hist = json.loads(r["in"]) if r["in"] is not None else []
        one = {"op": op["op"], "history": hist}
        if op["op"] == "push":
            one["snapshot"] = json.loads(op["snapshot"])
            one["max_depth"] = op["max_depth"]
        py_ops.append(one)
    py_in = os.path.join(env.rundir, "e_python_ops.json")
    py_out = os.path.join(env.rundir, "e_python_results.json")
    with open(py_in, "w", encoding="utf-8") as f:
        json.dump(py_ops, f, ensure_ascii=False)
    info = py(env, "json_history", ops_file=py_in, out_file=py_out)
    C.check(info["count"] == len(py_ops) and
            os.path.realpath(env.venv) in info["module"],
            "e: the venv's cjm_workflow_state.history (0.0.3) ran every operation",
            compact(info))
    with open(py_out, encoding="utf-8") as f:
        expected = json.load(f)

    total_compared, total_diffs = 0, 0
    for name, start, count in groups:
        diffs = []
        stats = {"push": 0, "pop": 0, "empty pop": 0, "trimmed": 0, "longest": 0,
                 "explicit input": 0, "NULL input": 0}
        for i in range(start, start + count):
            op, r, exp = ops[i], res[i], expected[i]
            stats[op["op"]] += 1
            if "history" in op:
                stats["explicit input" if op["history"] is not None else "NULL input"] += 1
            problems = []
            if r["status"] != "WS_OK" or r["message"] != "" or r["unset"] != "":
                problems.append(f"status {r['status']} message {r['message']!r} "
                                f"unset {r['unset']!r}")
            elif op["op"] == "push":
                n_in = len(py_ops[i]["history"])
                stats["trimmed"] += n_in + 1 > op["max_depth"]
                stats["longest"] = max(stats["longest"], len(exp["history"]))
                got = json.loads(r["history"])
                problems += differences(exp["history"], got, "$history")
            elif exp is None:
                stats["empty pop"] += 1
                if r["snapshot"] is not None or r["history"] != "[]":
                    problems.append(f"pop of an empty history: Python None, C snapshot "
                                    f"{r['snapshot']!r} history {r['history']!r} (want NULL, "
                                    f"\"[]\")")
            else:
                if r["snapshot"] is None:
                    problems.append("pop of a non-empty history gave a NULL snapshot")
                else:
                    problems += differences(exp["snapshot"], json.loads(r["snapshot"]),
                                            "$snapshot")
                problems += differences(exp["history"], json.loads(r["history"]),
                                        "$history")
            if not problems:
                # The exact text: compact, UTF-8, as json.dumps(separators=(",", ":"),
                # ensure_ascii=False) spells Python's result -- or, for texts whose
                # numbers Python would respell, the input's number texts kept.
                if name.startswith("texts"):
                    want = raw_model(op, r["in"])
                elif exp is None:
                    want = {"history": "[]", "snapshot": None}
                else:
                    want = {k: compact(v) for k, v in exp.items()}
                for k in ("history", "snapshot"):
                    if k not in want or r.get(k) == want[k]:
                        continue
                    if (name.startswith("texts") and r.get(k) is not None and want[k] is not None
                            and json.loads(r[k]) == json.loads(want[k])
                            and differences(json.loads(want[k]), json.loads(r[k]), "$") == []):
                        # The library passes each value's text through: duplicate keys
                        # inside a snapshot stay as written (any reader, Python included,
                        # takes the last one), so only the values must agree here.
                        C.note(f"e: op {i}: same values, text kept as written: {r[k]!r:.120}")
                        continue
                    problems.append(f"{k} text {r.get(k)!r:.300} != {want[k]!r:.300}")
            total_compared += 1
            if problems:
                total_diffs += 1
                diffs.append(f"op {i} ({op['op']}, max_depth {op.get('max_depth')}, input "
                             f"{(r['in'] or 'NULL')[:120]!r}):\n  " + "\n  ".join(problems[:4]))
        C.check(not diffs, f"e: {name}: {count} operations equal Python's "
                f"({', '.join(f'{v} {k}' for k, v in stats.items())})",
                "\n".join(diffs[:6] + ([f"... {len(diffs) - 6} more"] if len(diffs) > 6 else [])))
        if name.startswith("depth"):
            d = int(name.split()[1])
            C.check(stats["empty pop"] > 0 and stats["push"] > 0 and stats["pop"] > 0 and
                    (d > 60 or (stats["trimmed"] > 0 and stats["longest"] == d)),
                    f"e: {name}: the chain reached the cap and popped an empty history "
                    "(generator sanity)", compact(stats))
    print(f"       {total_compared} operations compared, {total_diffs} differences",
          flush=True)

    for (op, status), r in zip(HISTORY_ERRORS, res[first_error:]):
        C.check(r["status"] == status and r["history"] is None and r.get("snapshot") is None
                and r["unset"] == "" and r["message"] != "",
                f"e: {op['op']} of history {op['history']!r:.40} snapshot "
                f"{op.get('snapshot')!r:.30} max_depth {op.get('max_depth')} gives {status}, "
                "out-parameters NULL",
                f"got {r['status']} {r['message']!r} history {r['history']!r} "
                f"snapshot {r.get('snapshot')!r} unset {r['unset']!r}")

    wrong = []
    for text, r in zip(NUMBER_EDGES, res[first_number:]):
        want = "WS_OK" if python_takes_back(text) else "WS_INVALID_JSON"
        if r["status"] != want:
            wrong.append(f"{text:.40}: C {r['status']} {r['message']!r:.120}, Python wants {want}")
    C.check(not wrong, f"e: of {len(NUMBER_EDGES)} numbers at the edges, C refuses exactly "
            "those Python's json module cannot take back", "\n".join(wrong))


# ---- scenario f ----------------------------------------------------------------------------

HISTORY_TABLE = "ws_history"
HISTORY_TRIGGER = "ws_history_deleted_with_session"
CHUNK_TABLES = {"ws_chunk", "ws_chunk_data"}
CHUNK_TRIGGERS = {"ws_history_chunks_inserted", "ws_history_chunks_deleted",
                  "ws_history_chunks_updated", "ws_chunk_deleted"}
UNDO_TABLE = "ws_undo"  # each session's clean mark (schema 5)
UNDO_TRIGGER = "ws_undo_deleted_with_session"
FEED_TABLES = {"ws_change", "ws_feed"}
FEED_TRIGGERS = {"ws_change_session_inserted", "ws_change_session_updated", "ws_change_session_renamed",
                 "ws_change_session_deleted", "ws_change_deletion_added",
                 "ws_change_deletion_removed"}
# ws_undo_status of a session whose entries carry no meta and that nobody marked clean.
EMPTY_UNDO = ('{"undo_depth":0,"redo_depth":0,"undo_label":null,"redo_label":null,'
              '"undo_meta":null,"redo_meta":null,"clean":false}')
UNDO_1_1 = ('{"undo_depth":1,"redo_depth":1,"undo_label":"first é","redo_label":"second",'
            '"undo_meta":null,"redo_meta":null,"clean":false}')
SNAP_A = '{"snap":"A é日本🙂","big":1180591620717411303424,"f":0.1,"n":[null,true,1e-7]}'
SNAP_B = '["B",{"k":-1180591620717411303424},"\\u2028\\u00e9"]'
SNAP_B_OUT = '["B",{"k":-1180591620717411303424},"\u2028é"]'  # compact UTF-8
STATE_V1 = '{"v":1,"name":"é日本🙂","big":1180591620717411303424,"f":0.1}'


def history_keys(raw):
    """flow_session_key -> list of its ws_history rows (None when there is no table)."""
    if raw["history"] is None:
        return None
    out = {}
    for row in raw["history"]:
        out.setdefault(row["flow_session_key"], []).append(row)
    return out


def undo_keys(raw):
    """flow_session_key -> its ws_undo row ({} when there is no table)."""
    return {row["flow_session_key"]: row for row in raw["undo"] or []}


def schema_checks(tag, raw):
    C.check(HISTORY_TABLE in raw["tables"] and HISTORY_TRIGGER in raw["triggers"],
            f"{tag}: the file has the {HISTORY_TABLE} table and the {HISTORY_TRIGGER} trigger",
            f"tables {raw['tables']} triggers {raw['triggers']}")
    C.check(UNDO_TABLE in raw["tables"] and UNDO_TRIGGER in raw["triggers"],
            f"{tag}: the file has the {UNDO_TABLE} table and the {UNDO_TRIGGER} trigger",
            f"tables {raw['tables']} triggers {raw['triggers']}")
    C.check(CHUNK_TABLES <= set(raw["tables"]) and CHUNK_TRIGGERS <= set(raw["triggers"]),
            f"{tag}: the file has the chunk tables and their triggers",
            f"tables {raw['tables']} triggers {raw['triggers']}")
    C.check(FEED_TABLES <= set(raw["tables"]) and FEED_TRIGGERS <= set(raw["triggers"]),
            f"{tag}: the file has the change sequence's tables and triggers",
            f"tables {raw['tables']} triggers {raw['triggers']}")
    C.check(raw["user_version"] == SCHEMA_VERSION,
            f"{tag}: PRAGMA user_version is {SCHEMA_VERSION}",
            f"user_version = {raw['user_version']}")


def scenario_f(env):
    """the history table on disk: Python 0.0.3, CPython's SQLite, read-only and migrations"""
    db = fresh_db(env, "f_history.db")
    flow, flow2 = "hist", "hist2"
    # h1 is deleted by Python's delete_session, h3 by clear_state; h2 is written by Python;
    # h10, h1:sub (keys sharing a prefix with hist:h1) and hist2/h1 are controls.
    sessions = [(flow, "h1"), (flow, "h2"), (flow, "h3"), (flow, "h10"), (flow, "h1:sub"),
                (flow2, "h1")]
    steps = []
    for f, sid in sessions:
        steps += [(["update_state", f, sid, STATE_V1], None),
                  (["set_current_step", f, sid, "s1"], None),
                  (["history_push", f, sid, SNAP_A], None),
                  (["history_push", f, sid, SNAP_B], None),
                  (["checkpoint", f, sid, "first é"], None),
                  (["update_state", f, sid, '{"v":2}'], None),
                  (["set_current_step", f, sid, "s2"], None),
                  (["checkpoint", f, sid, "second"], None),
                  (["update_state", f, sid, '{"v":3}'], None),
                  (["undo", f, sid], ("undo after two checkpoints is done", "WS_OK", "true"))]
    for f, sid in sessions:
        steps += [(["history_len", f, sid], (f"{f}/{sid}: C history_len 2", "WS_OK", "2")),
                  (["undo_status", f, sid], (f"{f}/{sid}: C undo_status after the undo",
                                             "WS_OK", UNDO_1_1)),
                  (["history_peek", f, sid], (f"{f}/{sid}: C history_peek is the last push",
                                              "WS_OK", SNAP_B_OUT)),
                  (["get_state", f, sid], (f"{f}/{sid}: the undo restored the second "
                                           "checkpoint", "WS_OK",
                                           STATE_V1.replace('"v":1,', '"v":2,')))]
    run_steps(env, "f (C writes stacks)", db, steps)

    before = py(env, "inspect", db=db)
    schema_checks("f (C-created file)", before)
    keys_before = history_keys(before) or {}
    C.check(all(len(keys_before.get(f"{f}:{sid}", [])) > 0 for f, sid in sessions),
            f"f: {HISTORY_TABLE} holds rows for every session with stacks (seen by Python's "
            "sqlite3)", compact(sorted((k, len(v)) for k, v in keys_before.items())))
    undo_before = undo_keys(before)
    C.check(all(f"{f}:{sid}" in undo_before for f, sid in sessions),
            f"f: {UNDO_TABLE} holds a row for every session C checkpointed and undid in (seen "
            "by Python's sqlite3)", compact(sorted(undo_before)))

    # Python 0.0.3 opens the file, reads, writes, deletes.
    pres = py(env, "history_python", db=db, flow=flow, sessions=["h1", "h2", "h3"])
    for sid in ("h1", "h2", "h3"):
        r = pres["read"][sid]
        check_value([json.loads(STATE_V1) | {"v": 2}, "s2", True],
                    [r["state"], r["current_step"], r["exists"]],
                    f"f: Python 0.0.3 reads {flow}/{sid} (state after C's undo, current step)")
    check_value(["h1", "h2", "h3", "h10", "h1:sub"], pres["list"],
                "f: Python's list_sessions lists exactly the C sessions")
    check_value({"h1": False, "h3": False}, pres["after_delete"],
                "f: Python's delete_session / clear_state removed the rows")
    after = py(env, "inspect", db=db)
    schema_checks("f (after Python 0.0.3 opened and wrote)", after)
    keys_after = history_keys(after) or {}
    undo_after = undo_keys(after)
    for sid, how in (("h1", "delete_session"), ("h3", "clear_state")):
        C.check(f"{flow}:{sid}" not in keys_after,
                f"f: Python's {how}({flow!r}, {sid!r}) deleted the session's history, undo "
                f"and redo rows (trigger)",
                compact(keys_after.get(f"{flow}:{sid}")))
        # h1 is re-created by Python since: a new row, no mark of the old one's.
        C.check(f"{flow}:{sid}" not in undo_after,
                f"f: Python's {how}({flow!r}, {sid!r}) deleted the session's {UNDO_TABLE} row "
                f"(trigger)", compact(undo_after.get(f"{flow}:{sid}")))
    for f, sid in sessions:
        if (f, sid) in ((flow, "h1"), (flow, "h3")):
            continue
        check_value(keys_before.get(f"{f}:{sid}"), keys_after.get(f"{f}:{sid}"),
                    f"f: {f}/{sid}: its {HISTORY_TABLE} rows are untouched by Python's writes "
                    "and deletes")
        check_value(undo_before.get(f"{f}:{sid}"), undo_after.get(f"{f}:{sid}"),
                    f"f: {f}/{sid}: its {UNDO_TABLE} row is untouched by Python's writes "
                    "and deletes")

    # What C reads after Python's deletes and writes.
    h2_text = compact(pres["h2_state"])
    steps = [
        (["exists", flow, "h1"], ("h1 re-created by Python exists for C", "WS_OK", "true")),
        (["history_len", flow, "h1"], ("h1 re-created: history_len 0", "WS_OK", "0")),
        (["history_peek", flow, "h1"], ("h1 re-created: history_peek NULL", "WS_OK", None)),
        (["undo_status", flow, "h1"], ("h1 re-created: undo and redo depths 0", "WS_OK",
                                       EMPTY_UNDO)),
        (["undo", flow, "h1"], ("h1 re-created: nothing to undo", "WS_OK", "false")),
        (["redo", flow, "h1"], ("h1 re-created: nothing to redo", "WS_OK", "false")),
        (["history_pop", flow, "h1"], ("h1 re-created: history_pop NULL", "WS_OK", None)),
        (["get_state", flow, "h1"], ("h1 re-created: state {}", "WS_OK", "{}")),
        (["summary", flow, "h1"], ("h1 re-created: C reads Python's label", "WS_OK",
                                   lambda r: (json.loads(r["result"] or "{}").get("label")
                                              == "again", r["result"]))),
        (["exists", flow, "h3"], ("h3 cleared by Python is gone for C", "WS_OK", "false")),
        (["history_len", flow, "h3"], ("h3 (no row): history_len 0", "WS_OK", "0")),
        (["update_state", flow, "h3", '{"again":true}'], None),
        (["history_len", flow, "h3"], ("h3 re-created by C: history_len 0", "WS_OK", "0")),
        (["undo_status", flow, "h3"], ("h3 re-created by C: undo and redo depths 0", "WS_OK",
                                       EMPTY_UNDO)),
        (["undo", flow, "h3"], ("h3 re-created by C: nothing to undo", "WS_OK", "false")),
        (["redo", flow, "h3"], ("h3 re-created by C: nothing to redo", "WS_OK", "false")),
        (["get_state", flow, "h3"], ("h3 re-created by C: only the new state", "WS_OK",
                                     '{"again":true}')),
        (["history_len", flow, "h2"], ("h2: history kept through Python's writes", "WS_OK",
                                       "2")),
        (["history_peek", flow, "h2"], ("h2: history_peek exact", "WS_OK", SNAP_B_OUT)),
        (["undo_status", flow, "h2"], ("h2: undo/redo kept through Python's writes", "WS_OK",
                                       UNDO_1_1)),
        (["get_state", flow, "h2"], ("h2: C reads Python's writes", "WS_OK", h2_text)),
        (["undo", flow, "h2"], ("h2: undo over Python's writes is done", "WS_OK", "true")),
        (["get_state", flow, "h2"], ("h2: undo restored the first checkpoint's state",
                                     "WS_OK", STATE_V1)),
        (["get_current_step", flow, "h2"], ("h2: undo restored the first checkpoint's step",
                                            "WS_OK", "s1")),
        (["undo_status", flow, "h2"], ("h2: undo status after the second undo", "WS_OK",
                                       '{"undo_depth":0,"redo_depth":2,"undo_label":null,'
                                       '"redo_label":"first é","undo_meta":null,'
                                       '"redo_meta":null,"clean":false}')),
        (["redo", flow, "h2"], ("h2: redo is done", "WS_OK", "true")),
        (["get_state", flow, "h2"], ("h2: redo re-applied the state Python wrote", "WS_OK",
                                     h2_text)),
        (["get_current_step", flow, "h2"], ("h2: redo re-applied Python's current step",
                                            "WS_OK", "py-step")),
        (["history_pop", flow, "h2"], ("h2: history_pop gives the last push", "WS_OK",
                                       SNAP_B_OUT)),
        (["history_pop", flow, "h2"], ("h2: then the first push", "WS_OK", SNAP_A)),
        (["history_pop", flow, "h2"], ("h2: then NULL", "WS_OK", None)),
    ]
    for f, sid in sessions[3:]:
        steps += [(["history_len", f, sid], (f"{f}/{sid} (control): history_len still 2",
                                             "WS_OK", "2")),
                  (["undo_status", f, sid], (f"{f}/{sid} (control): undo status unchanged",
                                             "WS_OK", UNDO_1_1))]
    run_steps(env, "f (C after Python deleted)", db, steps)

    # A session with a state past the chunking threshold (64 KiB): its checkpoints are
    # kept as shared chunks; undo and redo give the states back exactly.
    big = {"v": 1, "doc": [f"paragraph {i}: é日本🙂 " + "lorem ipsum " * 8 for i in range(800)]}
    big_texts = [json.dumps(big | {"v": v}, separators=(",", ":"), ensure_ascii=False)
                 for v in (1, 2, 3)]
    steps = [(["update_state", flow, "hbig", big_texts[0]], None),
             (["checkpoint", flow, "hbig", "big one"], None),
             (["update_state", flow, "hbig", '{"v":2}'], None),
             (["checkpoint", flow, "hbig", "big two"], None),
             (["update_state", flow, "hbig", '{"v":3}'], None),
             (["undo", flow, "hbig"], ("hbig: undo of a chunked checkpoint is done", "WS_OK",
                                       "true")),
             (["get_state", flow, "hbig"], ("hbig: undo restored the 100 KB state exactly",
                                            "WS_OK", big_texts[1])),
             (["undo", flow, "hbig"], ("hbig: a second undo is done", "WS_OK", "true")),
             (["get_state", flow, "hbig"], ("hbig: then the first state exactly", "WS_OK",
                                            big_texts[0])),
             (["redo", flow, "hbig"], ("hbig: redo is done", "WS_OK", "true")),
             (["get_state", flow, "hbig"], ("hbig: redo re-applied the second state", "WS_OK",
                                            big_texts[1]))]
    run_steps(env, "f (C chunks large snapshots)", db, steps)

    # CPython's SQLite on the stored schema.
    sq = py(env, "sql_check", db=db, key="pyflow:trigger-test", chunk_key=f"{flow}:hbig")
    print(f"       CPython's SQLite {sq['sqlite_version']}; stored schema:", flush=True)
    for kind, name, _, sql in sq["schema"]:
        print(f"         {kind} {name}: {' '.join((sql or '').split())}", flush=True)
    C.check(sq["integrity"] == ["ok"] and sq["quick"] == ["ok"],
            "f: PRAGMA integrity_check / quick_check in CPython's SQLite: ok",
            compact([sq["integrity"], sq["quick"]]))
    C.check(not sq["replay_errors"] and
            {HISTORY_TABLE, HISTORY_TRIGGER, UNDO_TABLE, UNDO_TRIGGER} <=
            {r[1] for r in sq["schema"]},
            "f: CPython's SQLite re-runs every stored CREATE statement (ws_history, ws_undo, "
            "their triggers, the 0.0.3 table and index) on a fresh database",
            "\n".join(sq["replay_errors"]))
    C.check(sq["inserted"] == 2 and sq["left_after_delete"] == 0 and
            sq["others_after"] == sq["others_before"],
            "f: a DELETE through CPython's SQLite fires the trigger: the session's rows go, "
            "no other row does", compact({k: sq[k] for k in ("inserted", "left_after_delete",
                                                              "others_before",
                                                              "others_after")}))
    C.check(sq["undo_inserted"] == 1 and sq["undo_left_after_delete"] == 0 and
            sq["undo_others_after"] == sq["undo_others_before"] > 0,
            f"f: a DELETE through CPython's SQLite fires {UNDO_TRIGGER}: the session's "
            f"{UNDO_TABLE} row goes, no other one does",
            compact({k: sq[k] for k in ("undo_inserted", "undo_left_after_delete",
                                        "undo_others_before", "undo_others_after")}))
    chunk_figures = {k: sq[k] for k in ("chunked_entries", "chunks_before", "refs_wrong_before",
                                        "chunks_after", "chunk_data_after", "refs_wrong_after")}
    C.check(sq["chunked_entries"] == 2 and sq["chunks_before"] > 0 and
            sq["refs_wrong_before"] == 0, "f: C kept hbig's two entries as chunks, with "
            "reference counts that match the entries (seen by CPython's SQLite)",
            compact(chunk_figures))
    C.check(sq["chunks_after"] == 0 and sq["chunk_data_after"] == 0 and
            sq["refs_wrong_after"] == 0, "f: a DELETE of hbig through CPython's SQLite fires "
            "the chunk triggers: its chunks and their data go", compact(chunk_figures))
    C.check(sq["integrity_after"] == ["ok"], "f: integrity_check still ok after Python wrote "
            f"to {HISTORY_TABLE}", compact(sq["integrity_after"]))

    # Both sides agree on the sessions after all this.
    pdump = py(env, "dump", db=db, flows=[flow, flow2])
    cdump = tool(env, "dump", db, flow, flow2)
    compare_dumps("f", cdump, pdump)

    # A 0.0.3 file without ws_history: read-only C reads empty stacks, changes nothing.
    ro_db = fresh_db(env, "f_readonly_003.db")
    v1_db = fresh_db(env, "f_user_version_1.db")
    py(env, "write_small", dbs=[[ro_db, None], [v1_db, 1]])
    raw0 = py(env, "inspect", db=ro_db)
    C.check(raw0["tables"] == ["workflow_state"] and raw0["user_version"] == 0 and
            raw0["history"] is None, "f: the 0.0.3 file has no ws_history (sanity)",
            compact([raw0["tables"], raw0["user_version"]]))
    digest = file_digest(ro_db)
    steps = [
        (["history_len", "ro", "s1"], ("read-only, no ws_history: history_len 0", "WS_OK",
                                       "0")),
        (["history_peek", "ro", "s1"], ("read-only, no ws_history: history_peek NULL",
                                        "WS_OK", None)),
        (["undo_status", "ro", "s1"], ("read-only, no ws_history: undo status zeros",
                                       "WS_OK", EMPTY_UNDO)),
        (["history_len", "ro", "nobody"], ("read-only: history_len of no session 0", "WS_OK",
                                           "0")),
        (["undo_status", "ro", "nobody"], ("read-only: undo status of no session zeros",
                                           "WS_OK", EMPTY_UNDO)),
        (["get_state", "ro", "s1"], ("read-only: the 0.0.3 state reads exactly", "WS_OK",
                                     '{"v":1180591620717411303424,"f":0.1,"t":"日本"}')),
        (["history_push", "ro", "s1", "{}"], ("read-only: history_push gives WS_IO", "WS_IO",
                                              None)),
        (["checkpoint", "ro", "s1", "x"], ("read-only: checkpoint gives WS_IO", "WS_IO",
                                           None)),
    ]
    res = run_steps(env, "f (read-only 0.0.3 file)", ro_db, steps,
                    options='{"read_only":true}')
    for r in res[-2:]:
        if r["message"]:
            print(f"       message: {r['message']}", flush=True)
    check_value(digest, file_digest(ro_db),
                "f: a read-only open of a 0.0.3 file leaves it byte for byte (no -wal/-shm)")
    raw1 = py(env, "inspect", db=ro_db)
    C.check(raw1["tables"] == ["workflow_state"] and raw1["user_version"] == 0,
            "f: a read-only open creates no table and sets no user_version",
            compact([raw1["tables"], raw1["user_version"]]))

    # Writable opens migrate: the 0.0.3 file, and one stamped user_version 1.
    for path, what in ((ro_db, "a 0.0.3 file (user_version 0)"),
                       (v1_db, "a user_version 1 file")):
        old = py(env, "inspect", db=path)
        run_steps(env, f"f (writable open of {what})", path, [
            (["history_len", "ro", "s1"], ("history_len 0", "WS_OK", "0")),
            (["history_push", "ro", "s1", SNAP_A], None),
            (["history_peek", "ro", "s1"], ("history_push then peek", "WS_OK", SNAP_A))])
        new = py(env, "inspect", db=path)
        schema_checks(f"f (writable open of {what})", new)
        check_value(old["rows"], new["rows"],
                    f"f (writable open of {what}): the workflow_state rows are unchanged")
        C.check(len((history_keys(new) or {}).get("ro:s1", [])) == 1,
                f"f (writable open of {what}): the pushed snapshot is a ws_history row")
    new_sql = py(env, "inspect", db=v1_db)["sql"]
    library = (HISTORY_TABLE, HISTORY_TRIGGER, UNDO_TABLE, UNDO_TRIGGER)
    check_value({k: before["sql"].get(k) for k in library},
                {k: new_sql.get(k) for k in library},
                "f: a migrated file stores the same ws_history, ws_undo and trigger SQL as a "
                "new file")


# ---- scenario g ----------------------------------------------------------------------------

# The package's update_state upsert, for two rows in one statement.
UPSERT_TWO = ("INSERT INTO workflow_state (flow_session_key, state_json) VALUES (?, ?), (?, ?) "
              "ON CONFLICT(flow_session_key) DO UPDATE SET state_json = excluded.state_json, "
              "updated_at = CURRENT_TIMESTAMP")
WAIT_MS = "20000"  # compat_tool's wait: a wake-up that never comes fails the seq check


def served(env, tag, db, body):
    """Runs body(tool, pys) with a compat_tool serve process on db and a Python serving
    worker, and ends both (checking their exits) whatever happens."""
    os.makedirs(env.rundir, exist_ok=True)
    pys = PyServer(env, tag)
    tool = None
    try:
        if db is not None:
            tool = ToolServer(env, db, tag)
        body(tool, pys)
    finally:
        if tool is not None:
            tool.finish()
        pys.finish()


def rows_now(pys, db):
    return pys.req("raw", db=db, sql=[])["after"]


def wait_change(tool, timeout_ms):
    """Starts compat_tool's wait (ws_wait_for_change from its ws_latest_seq); returns once
    it says it is waiting."""
    tool.send(["wait_change", timeout_ms])
    w = tool.recv()
    if "waiting" not in w:
        raise Abort(f"compat_tool wait_change did not start: {compact(w)}")


def look_ms(tool):
    """What one look of ws_wait_for_change costs here (timeout 0: it only looks)."""
    wait_change(tool, "0")
    return tool.recv()["waited_ms"]


def waited(tool, write, look):
    """compat_tool waits; once it says it is waiting, write() commits in Python. Returns
    (write's answer, the wake answer). The wake's "in_wait" says whether the wait took
    longer than a look: then its first look did not find the commit, so it was waiting
    when the commit came (else it found it at once: a right answer, but no wake-up)."""
    wait_change(tool, WAIT_MS)
    r = write()
    wake = tool.recv(timeout=int(WAIT_MS) / 1000 + 60)
    wake["in_wait"] = wake.get("waited_ms", 0) > 1.5 * look + 1
    print(f"       ws_wait_for_change woke {(wake.get('woke_at', 0) - r['t1']) * 1000:.1f} ms "
          f"after Python's commit returned (waited {wake.get('waited_ms', 0):.1f} ms; one "
          f"look costs {look:.1f} ms: " + ("woken while waiting)" if wake["in_wait"] else
                                           "its first look found the commit)"), flush=True)
    return r, wake


def scenario_g(env):
    """the Python package's writes and deletes take revisions, ws_wait_for_change wakes on them"""
    db = fresh_db(env, "g_revisions.db")
    served(env, "g", db, lambda tool, pys: _scenario_g(db, tool, pys))


def _scenario_g(db, tool, pys):
    f = "py"
    m = SeqModel(tool, "g")
    C.check(m.seq == 0 and not m.live and not m.deleted,
            "g: a new file's ws_latest_seq is 0 and its feed is empty", f"seq {m.seq}")

    wakes = []
    look = look_ms(tool)

    def py(name, method, *args, certain=(), wake=False):
        write = lambda: pys.call(db, method, *args)
        r, woke = waited(tool, write, look) if wake else (write(), None)
        if woke is not None:
            wakes.append(woke)
        keys = certain(r) if callable(certain) else [f"{f}:{k}" for k in certain]
        m.step(f"Python {name}", r["before"], r["after"], keys, wake=woke)
        return r

    def raw(name, *sql, certain=()):
        r = pys.req("raw", db=db, sql=[[q, list(p)] for q, p in sql])
        m.step(f"raw sqlite3 {name}", r["before"], r["after"], [f"{f}:{k}" for k in certain])
        return r

    def c(name, *args, certain=(), stacks=()):
        before = rows_now(pys, db)
        tool.ok(*args)
        m.step(f"C {name}", before, rows_now(pys, db), [f"{f}:{k}" for k in certain],
               extra=[f"{f}:{k}" for k in stacks])

    py("create_session", "create_session", f, "p1", "one", certain=["p1"])
    py("create_session with a generated id", "create_session", f, None, None,
       certain=lambda r: [f"{f}:{r['result']}"])
    py("update_state of an existing session (upsert: UPDATE)", "update_state", f, "p1",
       {"a": 1, "big": 2**70}, certain=["p1"])
    py("update_state of a new session (upsert: INSERT)", "update_state", f, "p2", {"b": 2},
       certain=["p2"])
    py("set_current_step", "set_current_step", f, "p1", "s1", certain=["p1"])
    py("set_current_step of a new session (upsert: INSERT)", "set_current_step", f, "p3", "s",
       certain=["p3"])
    py("set_session_label", "set_session_label", f, "p1", "label é", certain=["p1"])
    py("set_session_label of no session (changes nothing)", "set_session_label", f, "absent",
       "x")
    py("update_step_state", "update_step_state", f, "p1", "st", {"x": 1}, certain=["p1"])
    py("clear_step_state", "clear_step_state", f, "p1", "st", certain=["p1"])
    py("clear_step_state of a step it has not (no write)", "clear_step_state", f, "p1", "no")
    # Rewrites of the same values: a row whose updated_at moves changed (one number); in
    # the same second nothing changed (none). Which one happens depends on the clock, so
    # the rows decide; the wait for the next second makes the first case certain.
    same = [py("update_state with the values it has", "update_state", f, "p1", {})]
    pys.req("next_second")
    py("set_current_step to the step it has, a second later (only updated_at changes)",
       "set_current_step", f, "p1", "s1", certain=["p1"])
    same.append(py("set_session_label to the label it has", "set_session_label", f, "p1",
                   "label é"))
    if not all(r["before"] == r["after"] for r in same):
        C.note("g: a rewrite of the same values crossed a second this run, so the case of a "
               "rewrite that changes nothing (no number) ran only "
               f"{sum(r['before'] == r['after'] for r in same)} of 2 times")
    py("delete_session", "delete_session", f, "p2", certain=["p2"])
    py("clear_state", "clear_state", f, "p3", certain=["p3"])
    py("clear_state of no session", "clear_state", f, "never")
    py("create_session of a deleted session", "create_session", f, "p2", "again",
       certain=["p2"])
    py("update_state re-creating a deleted session (upsert: INSERT)", "update_state", f, "p3",
       {"back": True}, certain=["p3"])
    c("update_state", "update_state", f, "p1", '{"c":1}', certain=["p1"])
    raw("the package's upsert for two rows at once, one new", (UPSERT_TWO, [
        f"{f}:p1", '{"two":1}', f"{f}:raw1", '{"two":2}']), certain=["p1", "raw1"])
    py("set_session_label", "set_session_label", f, "p2", "L", certain=["p2"])
    others = [k.split(":", 1)[1] for k in rows_now(pys, db) if k != f"{f}:p2"]
    raw("UPDATE of every row's label, one of which has it already",
        ("UPDATE workflow_state SET label = 'L' WHERE flow_session_key LIKE 'py:%'", []),
        certain=others)
    c("history_push (a change of the session's stacks)", "history_push", f, "p1", '{"h":1}',
      stacks=["p1"])
    raw("INSERT OR REPLACE of an existing row", (
        "INSERT OR REPLACE INTO workflow_state (flow_session_key, state_json, label) "
        "VALUES (?, '{\"replaced\":true}', 'R')", [f"{f}:p1"]), certain=["p1"])
    left = tool.ok("history_len", f, "p1")
    if left != "0":
        C.note(f"g: a REPLACE of a session's row keeps its history stacks ({left} entries "
               "left): SQLite fires no DELETE trigger for REPLACE's deletion unless "
               "recursive_triggers is on, so ws_history_deleted_with_session does not run")
    # A REPLACE by the row as it is: nothing changes, yet the INSERT trigger numbers it.
    row = rows_now(pys, db)[f"{f}:p1"]
    cols = list(row)
    seq0 = tool.num("latest_seq")
    r = pys.req("raw", db=db, sql=[[
        f"INSERT OR REPLACE INTO workflow_state ({', '.join(cols)}) VALUES "
        f"({', '.join('?' * len(cols))})", [row[k] for k in cols]]])
    seq1 = tool.num("latest_seq")
    if r["before"] == r["after"] and seq1 != seq0:
        C.note(f"g: a REPLACE that rewrites a row exactly as it was takes {seq1 - seq0} "
               "number(s) (the INSERT trigger cannot tell): followers re-read an unchanged "
               "session")
    m.resync()
    raw("UPDATE of a row's key (a rename)", (
        "UPDATE workflow_state SET flow_session_key = 'py:renamed' WHERE flow_session_key = ?",
        [f"{f}:raw1"]), certain=["raw1", "renamed"])
    raw("DELETE of two rows in one statement", (
        "DELETE FROM workflow_state WHERE flow_session_key IN (?, ?)",
        [f"{f}:p1", f"{f}:renamed"]), certain=["p1", "renamed"])
    r = pys.req("construct", db=db)
    m.step("Python's constructor (its schema setup) on the file again", r["before"], r["after"])
    schema_checks("g (after the package's constructor)", r["schema"])

    # ws_wait_for_change in C wakes on Python's commits.
    py("update_state while C waits", "update_state", f, "p2", {"woke": 1}, certain=["p2"],
       wake=True)
    py("delete_session while C waits", "delete_session", f, "p2", certain=["p2"], wake=True)
    py("create_session while C waits", "create_session", f, "p9", None, certain=["p9"],
       wake=True)
    if not any(w["in_wait"] for w in wakes):
        C.note("g: every Python commit was there by the first look of ws_wait_for_change "
               "this run (a right answer, but no wake-up from waiting was seen)")
    snap = tool.json("get_session", f, "p9")
    check_value(m.live.get(f"{f}:p9"), snap["revision"],
                "g: ws_get_session's revision is the session's number in the feed")


# ---- scenario h ----------------------------------------------------------------------------

def scenario_h(env):
    """timestamps the library writes parse with strptime; list order within one second"""
    db = fresh_db(env, "h_timestamps.db")
    served(env, "h", db, lambda tool, pys: _scenario_h(db, tool, pys))


def _scenario_h(db, tool, pys):
    # 1. Every kind of library write leaves timestamps an app's strptime reads, through
    #    the package's get_session_summary and list_sessions.
    f = "ts"
    writes = [
        (["create_session", f, "t1", "Title one"], "t1"),
        (["create_session", f, None, None], None),
        (["update_state", f, "t2", '{"a":1}'], "t2"),
        (["set_current_step", f, "t3", "s"], "t3"),
        (["update_step_state", f, "t1", "st", '{"x":1}'], "t1"),
        (["set_current_step", f, "t1", "s2"], "t1"),
        (["set_session_label", f, "t1", "Title one é"], "t1"),
        (["apply", f, "t4", '{"label":"Made by apply","patch":[{"op":"add","path":"/n",'
                            '"value":1}]}'], "t4"),
        (["apply", f, "t1", '{"checkpoint":"cp","patch":[{"op":"add","path":"/y",'
                            '"value":2}]}'], "t1"),
        (["undo", f, "t1"], "t1"),
        (["redo", f, "t1"], "t1"),
        (["checkpoint", f, "t1", "cp2"], "t1"),
        (["clear_step_state", f, "t1", "st"], "t1"),
        (["history_push", f, "t1", "{}"], "t1"),
        (["apply", f, "t2", '{"step":"x","label":"Two"}'], "t2"),
        (["update_state", f, "t3", '{"z":[1]}'], "t3"),
    ]
    titles = {}
    for args, sid in writes:
        start = pys.req("utcnow")["now"]
        res = tool.call(*args)
        end = pys.req("utcnow")["now"]
        sid = sid or res["result"]
        where = f"h: C {args[0]} {sid}"
        if not C.check(res["status"] == "WS_OK", f"{where}: succeeds", compact(res)):
            continue
        csum = tool.json("summary", f, sid)
        if csum["label"] is not None:
            titles[sid] = csum["label"]
        p = pys.req("summaries", db=db, flow=f, sessions=[sid])["summaries"][sid]
        stamps = [p["created_at"], p["updated_at"]]
        C.check(all("ok" in p["parsed"][k] for k in ("created_at", "updated_at")) and
                stamps == [csum["created_at"], csum["updated_at"]] and
                all(TIMESTAMP.match(x) for x in stamps) and stamps[0] <= stamps[1] <= end and
                (args[0] not in ("create_session", "update_state", "set_current_step",
                                 "apply", "set_session_label", "update_step_state",
                                 "clear_step_state") or start <= stamps[1]),
                f"{where}: Python's get_session_summary gives timestamps that strptime("
                f"'{TIMESTAMP_FORMAT}') reads, equal to C's, UTC, updated_at now for a write",
                f"Python {compact(p)}\nC {compact(csum)}\nwindow {start} .. {end}")
    listing = pys.req("summaries", db=db, flow=f, sessions=[])
    bad = [x for x in listing["by_updated"] + listing["by_created"]
           if not all("ok" in x["parsed"][k] for k in ("created_at", "updated_at"))]
    C.check(not bad and len(listing["by_updated"]) == 5,
            "h: every timestamp of Python's list_sessions (by updated_at and by created_at) "
            "parses with strptime", compact(bad))
    # What an app built on the package shows: the title when created_at parses, else
    # "Untitled Session". (0.0.3 itself has no such logic: it returns the texts.)
    shown = {x["session_id"]: (x["label"] if "ok" in x["parsed"]["created_at"]
                               else "Untitled Session") for x in listing["by_updated"]}
    check_value(dict(sorted(titles.items())), {k: shown.get(k) for k in sorted(titles)},
                "h: an app's listing shows each session's title, never \"Untitled Session\"")

    # 2. Sessions changed within one second, by both sides in turn, list in the order of
    #    the changes (by updated_at) and of the creations (by created_at), both directions.
    for attempt in (1, 2, 3):
        f = f"order{attempt}"
        pys.req("next_second")
        steps = [
            ("C", ["create_session", f, "o1", "L"]),
            ("py", ["create_session", f, "o2", "L"]),
            ("C", ["apply", f, "o3", '{"label":"L"}']),
            ("py", ["update_state", f, "o4", {"n": 4}]),
            ("C", ["update_state", f, "o5", '{"n":5}']),
            ("py", ["set_current_step", f, "o6", "s"]),
            ("py", ["update_state", f, "o3", {"u": 1}]),
            ("C", ["update_state", f, "o6", '{"u":1}']),
            ("py", ["set_session_label", f, "o1", "L1"]),
            ("C", ["apply", f, "o4", '{"patch":[{"op":"add","path":"/u","value":1}]}']),
            ("py", ["set_current_step", f, "o5", "s5"]),
            ("C", ["set_session_label", f, "o2", "L2"]),
        ]
        for side, args in steps:
            if side == "C":
                tool.ok(*args)
            else:
                pys.call(db, args[0], *args[1:])
        lists = {(o, d): [x for x in tool.json("list_by", f, o, d)]
                 for o in ("updated_at", "created_at") for d in ("asc", "desc")}
        stamps = {(x["created_at"], x["updated_at"]) for x in lists[("updated_at", "asc")]}
        if len(stamps) == 1 or attempt == 3:
            break
        C.note(f"h: the 12 writes of round {attempt} spanned two seconds; again")
    C.check(len(stamps) == 1, "h: the 12 interleaved writes happened within one second "
            "(all created_at and updated_at equal)", compact(sorted(stamps)))
    updated = ["o3", "o6", "o1", "o4", "o5", "o2"]
    created = ["o1", "o2", "o3", "o4", "o5", "o6"]
    for (o, d), exp in ((("updated_at", "asc"), updated), (("updated_at", "desc"), updated[::-1]),
                        (("created_at", "asc"), created), (("created_at", "desc"), created[::-1])):
        check_value(exp, [x["session_id"] for x in lists[(o, d)]],
                    f"h: ws_list_sessions by {o} {d}: in the order of the "
                    f"{'changes' if o == 'updated_at' else 'creations'} by C and Python, "
                    "within one second")
    pl = [x["session_id"] for x in pys.req("summaries", db=db, flow=f, sessions=[])["by_updated"]]
    if pl != updated[::-1]:
        C.note(f"h: Python's own list_sessions(updated_at, descending) gives {pl} for the "
               f"same rows (its ORDER BY has no tie-break)")

    # 3. 0.1's ".SSS" timestamps, as Python's sqlite3 writes them into rows: they read
    #    and sort as text; a library write makes both whole-second.
    f = "ms"
    sss = {"m1": ("2026-01-01 10:00:00.123", "2026-01-01 10:00:00.123"),
           "m2": ("2026-01-01 10:00:00.500", "2026-01-01 10:00:00"),
           "m3": ("2026-01-01 10:00:00", "2026-01-01 10:00:00.999"),
           "m4": ("2025-12-31 23:59:59.900", "2026-01-01 10:00:01")}
    for sid in sss:
        pys.call(db, "create_session", f, sid, None)
    pys.req("raw", db=db, sql=[["UPDATE workflow_state SET created_at = ?, updated_at = ? "
                                "WHERE flow_session_key = ?", [c, u, f"{f}:{sid}"]]
                               for sid, (c, u) in sss.items()])
    got = {sid: tool.json("summary", f, sid) for sid in sss}
    check_value({sid: list(v) for sid, v in sss.items()},
                {sid: [s["created_at"], s["updated_at"]] for sid, s in got.items()},
                "h: C reads 0.1's .SSS timestamps as stored")
    expect_lists = {("updated_at", "asc"): ["m2", "m1", "m3", "m4"],
                    ("created_at", "asc"): ["m4", "m3", "m1", "m2"]}
    for (o, d), exp in list(expect_lists.items()):
        expect_lists[(o, "desc")] = exp[::-1]
    for (o, d), exp in expect_lists.items():
        check_value(exp, [x["session_id"] for x in tool.json("list_by", f, o, d)],
                    f"h: ws_list_sessions by {o} {d} sorts .SSS and whole-second timestamps "
                    "together, as time")
    start = pys.req("utcnow")["now"]
    for args in (["update_state", f, "m1", '{"w":1}'], ["set_current_step", f, "m3", "s"],
                 ["apply", f, "m2", '{"label":"x"}']):
        tool.ok(*args)
    end = pys.req("utcnow")["now"]
    after = pys.req("summaries", db=db, flow=f, sessions=list(sss))["summaries"]
    for sid, op in (("m1", "ws_update_state"), ("m3", "ws_set_current_step"),
                    ("m2", "ws_apply")):
        s = after[sid]
        C.check(s["created_at"] == sss[sid][0][:19] and start <= s["updated_at"] <= end and
                all("ok" in s["parsed"][k] for k in ("created_at", "updated_at")),
                f"h: {op} of a session with .SSS timestamps: created_at truncated to "
                f"{sss[sid][0][:19]!r}, updated_at now, both parse with strptime",
                f"{compact(s)} (window {start} .. {end})")
    check_value(list(sss["m4"]), [after["m4"]["created_at"], after["m4"]["updated_at"]],
                "h: a session the library did not write keeps its .SSS timestamps")
    check_value(["m4", "m1", "m3", "m2"],
                [x["session_id"] for x in tool.json("list_by", f, "updated_at", "asc")],
                "h: after the writes, by updated_at: the old one, then the written ones in "
                "the order of the writes")
    check_value(["m4", "m1", "m2", "m3"],
                [x["session_id"] for x in tool.json("list_by", f, "created_at", "asc")],
                "h: after the writes, by created_at: the truncated equal ones in creation order")


# ---- scenario i ----------------------------------------------------------------------------

def scenario_i(env):
    """a file only the Python package wrote gets revisions when the library opens it"""
    db = fresh_db(env, "i_python_only.db")
    served(env, "i", None, lambda _, pys: _scenario_i(env, db, pys))


def _scenario_i(env, db, pys):
    f = "mig"
    for sid, label in (("q1", "one"), ("q2", None), ("q3", "three"), ("q4", None),
                       ("q5", None), ("gone", None)):
        pys.call(db, "create_session", f, sid, label)
    pys.call(db, "update_state", f, "q1", {"v": 2**70})
    pys.call(db, "set_current_step", f, "q4", "s")
    pys.call(db, "update_state", "other", "x", {"o": 1})
    pys.call(db, "delete_session", f, "gone")
    # The order of the last updates differs from the creation order; q2 and q4 tie; q5
    # has a 0.1-style fraction.
    stamps = {"q1": "2026-01-01 10:00:05", "q2": "2026-01-01 10:00:01",
              "q3": "2026-01-01 10:00:03", "q4": "2026-01-01 10:00:01",
              "q5": "2026-01-01 10:00:00.500", "x": "2026-01-01 10:00:02"}
    pys.req("raw", db=db, sql=[["UPDATE workflow_state SET updated_at = ? WHERE "
                                "flow_session_key = ?", [ts, f"{'other' if sid == 'x' else f}:{sid}"]]
                               for sid, ts in stamps.items()])
    before = pys.req("construct", db=db)["schema"]
    C.check(before["tables"] == ["workflow_state"] and not before["triggers"] and
            before["user_version"] == 0,
            "i: the file has only the package's table (no library table or trigger) (sanity)",
            compact([before["tables"], before["triggers"], before["user_version"]]))
    rows = rows_now(pys, db)

    tool = ToolServer(env, db, "i")
    try:
        m = SeqModel(tool, "i")
        order = sorted(m.live, key=m.live.get)
        check_value(["mig:q5", "mig:q2", "mig:q4", "other:x", "mig:q3", "mig:q1"], order,
                    "i: at the first writable open every session gets a revision, in the "
                    "order of updated_at (ties in creation order)")
        C.check(sorted(m.live) == sorted(rows) and all(v > 0 for v in m.live.values()) and
                len(set(m.live.values())) == len(rows) and m.seq == max(m.live.values()) and
                not m.deleted, "i: every session's revision is > 0 and its own; "
                "ws_latest_seq is the largest; no deletion is invented",
                f"{compact(m.live)} latest {m.seq} deleted {compact(m.deleted)}")
        check_value(["q5", "q2", "q4", "q3", "q1"],
                    [x["session_id"] for x in tool.json("list_by", f, "updated_at", "asc")],
                    "i: ws_list_sessions by updated_at after the migration")
        schema_checks("i (after the library's first open)", pys.req("inspect", db=db))
        r = pys.req("construct", db=db)
        m.step("the package's constructor (its schema setup) on the migrated file",
               r["before"], r["after"])
        schema_checks("i (after the package's constructor)", r["schema"])
        for name, method, args in (
                ("update_state", "update_state", (f, "q3", {"after": True})),
                ("delete_session", "delete_session", (f, "q1")),
                ("create_session of the deleted session", "create_session", (f, "q1", "new")),
                ("set_session_label", "set_session_label", (f, "q2", "two")),
                ("clear_state", "clear_state", (f, "q5"))):
            r = pys.call(db, method, *args)
            m.step(f"Python {name} on the migrated file", r["before"], r["after"],
                   [f"{args[0]}:{args[1]}"])
    finally:
        tool.finish()


# ---- scenario j ----------------------------------------------------------------------------

def scenario_j(env):
    """Python 0.0.3 writes, compat_tool exports the file and imports it into a fresh one"""
    src = fresh_db(env, "j_python_writes.db")
    dst = fresh_db(env, "j_imported.db")
    w = py(env, "write_a", db=src)
    flows = list(w["order"])
    before = file_digest(src)
    res = tool(env, "export-import", src, dst)
    C.check(file_digest(src) == before,
            "j: ws_export through a read-only store leaves the Python file byte for byte")
    doc = json.loads(res["document"])
    check_text(compact(doc), res["document"], "j: the document is compact JSON")
    C.check(doc["format"] == "workflow_state.export" and doc["version"] == 1,
            "j: the document says its format and version", compact([doc["format"], doc["version"]]))
    keys = [f"{x['flow_id']}:{x['session_id']}" for x in doc["sessions"]]
    check_value(sorted(keys, key=lambda k: k.encode("utf-8")), keys,
                "j: the document lists the sessions in key order")

    original = py(env, "dump", db=src, flows=flows, steps=["tmp", "never"], absent=w["absent"])
    imported = py(env, "dump", db=dst, flows=flows, steps=["tmp", "never"], absent=w["absent"])
    rows = original["raw"]["rows"]
    check_value(sorted(rows), sorted(keys), "j: the document holds every row of the file")
    exported = {f"{x['flow_id']}:{x['session_id']}": x for x in doc["sessions"]}
    for key, row in rows.items():
        x = exported.get(key, {})
        check_value([row["state_json"], row["current_step"], row["label"], row["created_at"],
                     row["updated_at"]],
                    [x.get("state_json"), x.get("current_step"), x.get("label"), x.get("created_at"),
                     x.get("updated_at")],
                    f"j: {key}: the document holds the row's stored texts exactly (state_json "
                    "byte for byte, null for NULL)")
        check_value([[], [], [], None], [x.get("history"), x.get("undo"), x.get("redo"),
                                         x.get("clean_version")],
                    f"j: {key}: no stacks and no clean mark (the package keeps none)")
    in_key_order = lambda d: dict(sorted(d.items()))  # the import writes in key order
    check_value(in_key_order(rows), in_key_order(imported["raw"]["rows"]),
                "j: every column of every row of the imported file equals the original's "
                "(state texts byte for byte, timestamps kept)")
    pflows = {f["flow"]: f for f in imported["flows"]}
    for flow in original["flows"]:
        name = flow["flow"]
        check_value(in_key_order(flow["sessions"]), in_key_order(pflows[name]["sessions"]),
                    f"j: {name}: Python reads every session of the imported file as of the "
                    "original (state, steps, current step, summary)")
        by_id = lambda listed: sorted(listed, key=lambda x: x["session_id"])
        check_value(by_id(flow["list"]), by_id(pflows[name]["list"]),
                    f"j: {name}: Python's list_sessions gives the same summaries (the order of "
                    "sessions created in the same second is the document's, key order)")
    check_value(original.get("absent"), imported.get("absent"),
                "j: the sessions Python deleted are absent from both")
    cdump = tool(env, "dump", dst, "--step", "tmp", "--step", "never", *flows)
    compare_dumps("j (C reads the imported file)", cdump, imported)


# ---- main ----------------------------------------------------------------------------------

def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        return worker_main(sys.argv[2], sys.argv[3])
    if len(sys.argv) >= 2 and sys.argv[1] == "--serve":
        return serve_main()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tool", required=True, help="path to compat_tool")
    ap.add_argument("--workdir", required=True, help="scratch directory (venv, databases)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the venv")
    ap.add_argument("--memcheck", default="", help="command prefix for compat_tool")
    ap.add_argument("--only", default="abcdefghij", help="scenarios to run (default all)")
    ap.add_argument("--seed", type=int, default=None,
                    help="seed of scenario e's random sequences (default: "
                         "$WS_COMPAT_SEED, else a new one, printed)")
    opts = ap.parse_args()
    env = Env(opts)
    if opts.seed is not None:
        env.seed = opts.seed
    elif os.environ.get("WS_COMPAT_SEED"):
        env.seed = int(os.environ["WS_COMPAT_SEED"])
    else:
        env.seed = random.SystemRandom().randrange(2**32)
    print(f"compat_tool: {env.tool}" + (f" under {shlex.join(env.memcheck)}"
                                         if env.memcheck else ""), flush=True)
    try:
        setup_python(env)
    except Abort as e:
        C.check(False, "setup: install cjm-workflow-state 0.0.3 and 0.0.2", str(e))
        print(f"\n{C.failures} failure(s) of {C.checks} checks", flush=True)
        return 1
    scenarios = {"a": scenario_a, "b": scenario_b, "c": scenario_c, "d": scenario_d,
                 "e": scenario_e, "f": scenario_f, "g": scenario_g, "h": scenario_h,
                 "i": scenario_i, "j": scenario_j}
    for name in opts.only:
        print(f"--- scenario {name}: {scenarios[name].__doc__ or ''}".rstrip(), flush=True)
        started = time.monotonic()
        try:
            scenarios[name](env)
        except Abort as e:
            C.check(False, f"{name}: scenario ran to the end", str(e))
        print(f"       scenario {name}: {time.monotonic() - started:.1f}s", flush=True)
    print(f"\n{C.checks - C.failures} of {C.checks} checks passed, {C.failures} failed"
          + (f", {len(C.notes)} note(s)" if C.notes else ""), flush=True)
    return 1 if C.failures else 0


if __name__ == "__main__":
    sys.exit(main())
