/* Another program writing the database: Python's sqlite3, in a child process (never
 * Python's SQLite and this library's on one file in one process). WS_TEST_PYTHON names
 * the interpreter (CTest sets it). */
#ifndef WS_TEST_PYTHON_H
#define WS_TEST_PYTHON_H

#include "check.h"

#include <sys/wait.h>
#include <unistd.h>

static inline const char *test_python(void) {
  const char *p = getenv("WS_TEST_PYTHON");
  return p && *p ? p : "python3";
}

/* Runs the SQL script `sql` on the file `db` with Python's sqlite3 (executescript, one
 * transaction); the child must succeed. */
static inline void python_sql(const char *db, const char *sql) {
  static const char code[] = "import sqlite3, sys\n"
                             "c = sqlite3.connect(sys.argv[1])\n"
                             "c.executescript('BEGIN;' + sys.argv[2] + ';COMMIT;')\n"
                             "c.close()\n";
  pid_t pid = fork();
  int status = 0;
  CHECK(pid >= 0);
  if (pid == 0) {
    execlp(test_python(), test_python(), "-c", code, db, sql, (char *)NULL);
    _exit(127);
  }
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
