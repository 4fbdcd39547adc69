/* Files and text: whole-or-nothing file writes, whole-file reads, and one growable text buffer
** (sim/core/io.c). Below every other module: it knows nothing of models, runs or reports. */
#ifndef FAULTLINE_IO_H
#define FAULTLINE_IO_H

#include "core.h"

/* Writes 'data' to 'path' through a temporary file ("PATH.tmp.PID") and rename: the file is
** then whole or absent, never half written. Returns 0, or -FL_EIO with "cannot write 'PATH':
** REASON" in err (the temporary file removed). */
int fl_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* Reads the whole of 'path' into *text (NUL-terminated, free()), its length in *len (which may
** count NUL bytes inside: the caller decides whether those are welcome). 'what' names the file
** in messages ("report" gives "cannot open report 'x': ..."), or NULL. Returns 0, or -FL_EIO
** with "cannot open [WHAT ]'PATH': REASON" or "cannot read [WHAT ]'PATH'" in err; *text is then
** NULL. */
int fl_read_file(const char *path, const char *what, char **text, size_t *len, char *err, size_t errlen);

/* A growable text: p is NUL-terminated once anything was added (NULL before), n its length.
** Zero-initialise it ({ 0 }); fl_text_release() frees p. Out of memory exits (fl_xrealloc). */
typedef struct fl_text {
  char *p;                    /* the text, owned; NULL until the first addition */
  size_t n;                   /* length, without the NUL */
  size_t cap;                 /* bytes allocated at p */
} fl_text_t;

void fl_text_put(fl_text_t *t, const void *data, size_t n);     /* n bytes as they are */
void fl_text_puts(fl_text_t *t, const char *s);                 /* a string */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void fl_text_printf(fl_text_t *t, const char *fmt, ...);         /* formatted */
/* Empties the text and keeps its storage. */
void fl_text_clear(fl_text_t *t);
/* Hands the text over (free()) and leaves 't' empty: NULL when nothing was added. */
char *fl_text_take(fl_text_t *t, size_t *len);
void fl_text_release(fl_text_t *t);

#endif
