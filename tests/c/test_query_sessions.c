/* ws_query_sessions from C (API.md "Sessions at scale"): walks in every order and
 * direction while another process inserts sessions and updates others, never returning a
 * session twice nor leaving out one that existed unchanged through the walk; values from
 * the state at JSON Pointers (nested, arrays, escaped tokens, absent); and the arguments
 * it refuses, with their messages. */
#include "check.h"

#include <sys/wait.h>
#include <unistd.h>

#define FLOW "q"
#define STABLE 300   /* sessions the writer never touches */
#define VOLATILE 100 /* sessions the writer updates and relabels */

/* Each "session_id" of a page, in order, appended to ids[*n] (room for `room`). */
static void page_ids(const char *page, char (*ids)[16], int *n, int room) {
  const char *at = page;
  while ((at = strstr(at, "\"session_id\":\"")) != NULL) {
    const char *start = at + strlen("\"session_id\":\""), *end = strchr(start, '"');
    CHECK(end != NULL && end - start < 16 && *n < room);
    memcpy(ids[*n], start, (size_t)(end - start));
    ids[*n][end - start] = '\0';
    (*n)++;
    at = end;
  }
}

/* The page's "next" cursor into `cursor` ("" when it is null). */
static void page_next(const char *page, char *cursor, size_t size) {
  if (strstr(page, "\"next\":null}") != NULL) {
    cursor[0] = '\0';
    return;
  }
  string_field(page, "next", cursor, size);
}

/* The writer process, on its own store: for each request byte, a burst of writes (it
 * updates and relabels volatile sessions and creates new ones), then the byte back. The
 * parent asks before it reads a page and waits for the answer after, so each burst runs
 * while a page is being read. It stops when the request pipe closes. */
static void writer(const char *path, int requests, int answers) {
  ws_store *store = NULL;
  long n = 0;
  char byte;
  CHECK_OK(ws_store_open(path, &store));
  while (read(requests, &byte, 1) == 1) {
    int i;
    for (i = 0; i < 4; i++, n++) {
      char session[16], text[64];
      snprintf(session, sizeof session, "vo%03ld", (n * 37) % VOLATILE);
      snprintf(text, sizeof text, "{\"n\":%ld}", n);
      CHECK_OK(ws_update_state(store, FLOW, session, text));
      snprintf(text, sizeof text, "L%03ld", (n * 53) % 1000);
      CHECK_OK(ws_set_session_label(store, FLOW, session, n % 3 ? text : NULL));
      snprintf(session, sizeof session, "new%05ld", n);
      CHECK_OK(ws_update_state(store, FLOW, session, "{}"));
    }
    CHECK(write(answers, &byte, 1) == 1);
  }
  ws_store_close(store);
  _exit(0);
}

static void test_walks_under_a_writer_process(void) {
  static const char *const orders[] = {"updated_at", "created_at", "label"};
  static char ids[STABLE + VOLATILE + 1000][16];
  char path[4096];
  const char *dir = fresh_dir("test_query_walks");
  ws_store *store = NULL;
  int requests[2], answers[2], status = 0, o, descending, i;
  long pages = 0;
  pid_t child;
  path_in(path, sizeof path, dir, "store.db");
  CHECK_OK(ws_store_open(path, &store));
  for (i = 0; i < STABLE + VOLATILE; i++) {
    char session[16], label[16];
    snprintf(session, sizeof session, i < STABLE ? "st%03d" : "vo%03d", i < STABLE ? i : i - STABLE);
    snprintf(label, sizeof label, "L%03d", (i * 7) % 1000);
    CHECK_OK(ws_update_state(store, FLOW, session, "{\"title\":\"t\"}"));
    if (i % 4) CHECK_OK(ws_set_session_label(store, FLOW, session, label));
    CHECK_OK(ws_update_state(store, "other", session, "{}"));
  }
  CHECK(pipe(requests) == 0 && pipe(answers) == 0);
  fflush(stdout);
  fflush(stderr);
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    ws_store_close(store); /* the parent's; the child opens its own */
    close(requests[1]);
    close(answers[0]);
    writer(path, requests[0], answers[1]);
  }
  close(requests[0]);
  close(answers[1]);

  for (o = 0; o < 3; o++) {
    for (descending = 0; descending < 2; descending++) {
      char cursor[1024] = "", query[1400];
      int n = 0, stable = 0, j;
      for (;;) {
        char *page = NULL, byte = 1;
        snprintf(query, sizeof query, "{\"order_by\":\"%s\",\"descending\":%s,\"limit\":17%s%s%s}",
                 orders[o], descending ? "true" : "false", cursor[0] ? ",\"after\":\"" : "", cursor,
                 cursor[0] ? "\"" : "");
        CHECK(write(requests[1], &byte, 1) == 1); /* a burst of writes while this page is read */
        CHECK_OK(ws_query_sessions(store, FLOW, query, &page));
        CHECK(read(answers[0], &byte, 1) == 1);
        page_ids(page, ids, &n, (int)(sizeof ids / sizeof ids[0]));
        page_next(page, cursor, sizeof cursor);
        ws_string_free(page);
        pages++;
        if (!cursor[0]) break;
      }
      for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++) {
          if (strcmp(ids[i], ids[j]) == 0) {
            fprintf(stderr, "order %s %s: session %s returned twice\n", orders[o],
                    descending ? "descending" : "ascending", ids[i]);
            exit(1);
          }
        }
        stable += strncmp(ids[i], "st", 2) == 0;
      }
      if (stable != STABLE) {
        fprintf(stderr, "order %s %s: %d of the %d unchanged sessions returned\n", orders[o],
                descending ? "descending" : "ascending", stable, STABLE);
        exit(1);
      }
    }
  }
  close(requests[1]);
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(answers[0]);
  printf("6 walks (%ld pages) under a writer process: no session twice, all %d unchanged ones\n", pages,
         STABLE);
  ws_store_close(store);
}

static void test_fields(void) {
  char path[4096], *page = NULL;
  const char *dir = fresh_dir("test_query_fields");
  ws_store *store = NULL;
  path_in(path, sizeof path, dir, "store.db");
  CHECK_OK(ws_store_open(path, &store));
  CHECK_OK(ws_update_state(store, FLOW, "doc",
                           "{\"title\":\"Plan\",\"a/b\":{\"m~n\":[1,{\"deep\":[true,null]}]},"
                           "\"_step_review\":{\"items\":[\"i0\",\"i1\"]}}"));
  CHECK_OK(ws_query_sessions(store, FLOW,
                             "{\"fields\":[\"/title\",\"/a~1b/m~0n/1/deep/0\",\"/a~1b/m~0n/1\","
                             "\"/_step_review/items/1\",\"/_step_review/items/2\",\"/missing\"]}",
                             &page));
  CHECK(strstr(page, "\"fields\":{\"/title\":\"Plan\",\"/a~1b/m~0n/1/deep/0\":true,"
                     "\"/a~1b/m~0n/1\":{\"deep\":[true,null]},\"/_step_review/items/1\":\"i1\","
                     "\"/_step_review/items/2\":null,\"/missing\":null}}") != NULL);
  CHECK(strstr(page, "\"session_id\":\"doc\"") != NULL && strstr(page, "\"next\":null}") != NULL);
  ws_string_free(page);
  /* NULL is every default; without "fields", "fields" is {}. */
  CHECK_OK(ws_query_sessions(store, FLOW, NULL, &page));
  CHECK(strstr(page, "\"revision\":1,\"fields\":{}}],\"next\":null}") != NULL);
  ws_string_free(page);
  ws_store_close(store);
}

static void test_refusals(void) {
  char path[4096], *page = DUMMY, cursor[1024], query[1200];
  const char *dir = fresh_dir("test_query_refusals");
  ws_store *store = NULL;
  int i;
  path_in(path, sizeof path, dir, "store.db");
  CHECK_OK(ws_store_open(path, &store));
  for (i = 0; i < 5; i++) {
    char session[16];
    snprintf(session, sizeof session, "s%d", i);
    CHECK_OK(ws_update_state(store, FLOW, session, "{}"));
  }
  CHECK_OK(ws_query_sessions(store, FLOW, "{\"limit\":2}", &page));
  page_next(page, cursor, sizeof cursor);
  ws_string_free(page);
  CHECK(cursor[0] != '\0');

  snprintf(query, sizeof query, "{\"after\":\"%s\",\"order_by\":\"label\"}", cursor);
  page = DUMMY;
  CHECK_STATUS(ws_query_sessions(store, FLOW, query, &page), WS_INVALID_ARGUMENT);
  CHECK(page == NULL);
  CHECK_MESSAGE_HAS("is a cursor of a walk by order_by \"updated_at\" descending, but this query asks "
                    "for order_by \"label\" descending");
  snprintf(query, sizeof query, "{\"after\":\"%s\"}", cursor);
  CHECK_STATUS(ws_query_sessions(store, "elsewhere", query, &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("a cursor of flow \"q\", not of flow \"elsewhere\"");
  cursor[4] = cursor[4] == 'a' ? 'b' : 'a';
  snprintf(query, sizeof query, "{\"after\":\"%s\"}", cursor);
  CHECK_STATUS(ws_query_sessions(store, FLOW, query, &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("is not a cursor that ws_query_sessions returned, or it was changed");
  CHECK_STATUS(ws_query_sessions(store, FLOW, "{\"fields\":[\"title\"]}", &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("fields[0]: \"title\" is not a JSON Pointer");
  CHECK_STATUS(ws_query_sessions(store, FLOW, "{\"limit\":0}", &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("query member \"limit\" must be an integer from 1 to 10000");
  CHECK_STATUS(ws_query_sessions(store, FLOW, "{\"orderby\":\"label\"}", &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("query member \"orderby\" is not one of order_by, descending, limit");
  CHECK_STATUS(ws_query_sessions(store, FLOW, "{\"updated_after\":\"yesterday\"}", &page),
               WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("updated_after");
  CHECK_STATUS(ws_query_sessions(store, FLOW, "[1]", &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("query_json must be a JSON object");
  CHECK_STATUS(ws_query_sessions(store, FLOW, "{", &page), WS_INVALID_JSON);
  CHECK_STATUS(ws_query_sessions(store, "a:b", NULL, &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("must not contain ':'");
  CHECK_STATUS(ws_query_sessions(NULL, FLOW, NULL, &page), WS_INVALID_ARGUMENT);
  CHECK_STATUS(ws_query_sessions(store, NULL, NULL, &page), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("flow_id");
  CHECK_STATUS(ws_query_sessions(store, FLOW, NULL, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("out_page_json");
  ws_store_close(store);
}

int main(void) {
  test_fields();
  test_refusals();
  test_walks_under_a_writer_process();
  printf("ok\n");
  return 0;
}
