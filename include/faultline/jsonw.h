/* A streaming JSON writer (reports/jsonw.c): values go out as they are given, through a sink,
** with no tree in memory, laid out byte for byte as cJSON_Print (pretty) or
** cJSON_PrintUnformatted would lay out the same tree: the same numbers, escapes, commas, tabs
** and new lines. Reports write their big parts (the series) through it and print their small
** cJSON subtrees into it with fl_jsonw_tree(), so that memory follows the entities, not the
** windows. */
#ifndef FAULTLINE_JSONW_H
#define FAULTLINE_JSONW_H

#include "io.h"

typedef struct cJSON cJSON;

/* Where the text goes: n bytes at data. The sink keeps its own errors (fl_atomic_t does). */
typedef void (*fl_jsonw_sink)(void *user, const void *data, size_t n);

enum { FL_JSONW_DEPTH = 64 };

typedef struct fl_jsonw {
  fl_jsonw_sink sink;
  void *user;
  bool pretty;                 /* cJSON_Print's layout, else cJSON_PrintUnformatted's */
  bool html;                   /* '<' in strings written \u003c: the text sits inside <script> */
  int depth;                   /* containers open */
  bool array[FL_JSONW_DEPTH];  /* per open container: an array (else an object) */
  bool any[FL_JSONW_DEPTH];    /* per open container: holds an item already */
} fl_jsonw_t;

/* A writer into 'sink'. Strings are written as UTF-8: a byte that starts no valid sequence (a
** Latin-1 name) becomes U+FFFD, as the whole-text repair of the reports did. */
void fl_jsonw_init(fl_jsonw_t *w, fl_jsonw_sink sink, void *user, bool pretty);
/* Sinks: into an fl_atomic_t (user), into an fl_text_t (user). */
void fl_jsonw_to_atomic(void *user, const void *data, size_t n);
void fl_jsonw_to_text(void *user, const void *data, size_t n);

/* Each value takes 'key' inside an object and NULL inside an array or at the top. */
void fl_jsonw_object(fl_jsonw_t *w, const char *key);       /* opens { */
void fl_jsonw_array(fl_jsonw_t *w, const char *key);        /* opens [ */
void fl_jsonw_end(fl_jsonw_t *w);                           /* closes the innermost */
void fl_jsonw_number(fl_jsonw_t *w, const char *key, double v);
/* 's' NULL writes nothing at all, as cJSON_AddStringToObject() adds nothing then. */
void fl_jsonw_string(fl_jsonw_t *w, const char *key, const char *s);
void fl_jsonw_bool(fl_jsonw_t *w, const char *key, bool v);
void fl_jsonw_null(fl_jsonw_t *w, const char *key);
void fl_jsonw_raw(fl_jsonw_t *w, const char *key, const char *text);   /* text as it is (cJSON_CreateRaw) */
/* The cJSON value 'v' (NULL: nothing) with everything under it, as if it were part of the tree. */
void fl_jsonw_tree(fl_jsonw_t *w, const char *key, const cJSON *v);
/* Text outside JSON, straight to the sink (a page around the JSON). */
void fl_jsonw_put(fl_jsonw_t *w, const void *data, size_t n);
/* A number as cJSON prints it: "null" for NaN and infinities, else %1.15g, or %1.17g when the
** 15 digits do not read back as the same double (within cJSON's tolerance). Returns the length. */
size_t fl_jsonw_format_number(double v, char out[32]);

/* Writes 'path' whole or not at all through a writer (cJSON_Print's layout when 'pretty') that
** write(w, arg) fills; an allocation failing inside write() (fl_try_alloc) leaves no file and
** returns -FL_EIO with "cannot write 'PATH': Cannot allocate memory" in err. Returns 0 or
** -FL_EIO / -FL_ENOMEM. */
int fl_jsonw_write_file(const char *path, bool pretty, void (*write)(fl_jsonw_t *w, const void *arg), const void *arg,
                        char *err, size_t errlen);
/* Makes cJSON allocate through fl_xmalloc(): out of memory in a tree exits 3, or returns to
** fl_try_alloc(), instead of leaving the tree silently short of items. Call before the first tree. */
void fl_jsonw_hooks(void);

#endif
