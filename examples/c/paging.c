/* paging: the front page of an app with thousands of sessions. Pages through a flow's
 * sessions 100 at a time, newest first, with two columns read from each state, in one
 * call a page (ws_query_sessions) instead of one ws_get_state per row.
 *
 *   paging [DATABASE]     (default: paging.db)
 */
#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICKETS 250

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* Prints the text of `"name":...` in `json` up to the character `end` (exclusive).
 * Enough for this example's values, which hold neither `end` nor escapes; a real app
 * hands the page to its JSON parser. */
static void print_member(const char *json, const char *name, char end) {
  const char *start = strstr(json, name), *stop;
  if (start == NULL) return;
  start += strlen(name);
  stop = strchr(start, end);
  printf("%.*s", (int)(stop ? stop - start : 0), start);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "paging.db";
  const char *flow = "tickets";
  static const char *const people[] = {"Ada", "Grace", "Edsger"};
  char query[1024], cursor[512] = "";
  ws_store *store = NULL;
  int i, page_number = 0;

  check(ws_store_open(path, &store), "ws_store_open");
  for (i = 0; i < TICKETS; i++) {
    char id[32], state[128];
    snprintf(id, sizeof id, "t-%04d", i);
    snprintf(state, sizeof state,
             "{\"title\":\"Ticket %d\",\"assignee\":{\"name\":\"%s\"},\"notes\":[\"...\"]}", i,
             people[i % 3]);
    check(ws_update_state(store, flow, id, state), "ws_update_state");
  }

  /* Newest first; ties (timestamps are whole seconds) by session id. Each page's "next"
   * goes into the next query's "after"; "next" is null on the last page. */
  for (;;) {
    char *page = NULL;
    const char *next, *at;
    int rows = 0;
    snprintf(query, sizeof query,
             "{\"order_by\":\"updated_at\",\"limit\":100,\"fields\":[\"/title\",\"/assignee/name\"]%s%s%s}",
             cursor[0] ? ",\"after\":\"" : "", cursor, cursor[0] ? "\"" : "");
    check(ws_query_sessions(store, flow, query, &page), "ws_query_sessions");
    page_number++;
    for (at = strstr(page, "\"session_id\":"); at != NULL; at = strstr(at + 1, "\"session_id\":")) {
      if (rows++ < 3) { /* the first rows of each page: id, title, assignee */
        printf("  ");
        print_member(at, "\"session_id\":", ',');
        printf("  ");
        print_member(at, "\"/title\":", ',');
        printf("  ");
        print_member(at, "\"/assignee/name\":", '}');
        printf("\n");
      }
    }
    printf("page %d: %d sessions\n", page_number, rows);
    next = strstr(page, "\"next\":\"");
    if (next == NULL) { /* "next":null: that was the last page */
      ws_string_free(page);
      break;
    }
    next += strlen("\"next\":\"");
    snprintf(cursor, sizeof cursor, "%.*s", (int)(strchr(next, '"') - next), next);
    ws_string_free(page);
  }

  ws_store_close(store);
  return 0;
}
