/* Files and text: whole-or-nothing file writes, whole-file reads, and one growable text buffer
** (sim/core/io.c). Below every other module: it knows nothing of models, runs or reports. */
#ifndef FAULTLINE_IO_H
#define FAULTLINE_IO_H

#include "core.h"

#include <stdio.h>

/* Writes 'data' to 'path' whole or not at all. A regular file (or a missing one) is replaced
** through a temporary file "PATH.tmp-RANDOM" created with O_EXCL | O_NOFOLLOW, fsync'ed, then
** renamed over it. An existing target that is not a regular file (a character device, a FIFO)
** is written in place, never replaced; a folder is refused. Returns 0, or -FL_EIO with "cannot
** write 'PATH': REASON" in err (the temporary file removed). */
int fl_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* The same, written as it comes: fl_atomic_open() creates the temporary file (or opens the device
** in place), fl_atomic_write() appends through a buffer (the first failure is kept and later
** writes are dropped), fl_atomic_fail() marks the output failed (an error of the producer, such
** as ENOMEM: errno-style), and fl_atomic_close() renames it into place or, after any failure,
** removes it, so that nothing partial is ever left at 'path'. 'path' is borrowed until close.
** Open and close return 0 or -FL_EIO with "cannot write 'PATH': REASON" in err; a failed open
** needs no close. */
typedef struct fl_atomic {
  int fd;
  char *tmp;                  /* the temporary file's name; NULL when written in place */
  const char *path;
  int error;                  /* the first failure (errno), 0 while all is well */
  size_t n;                   /* bytes waiting in buf */
  char buf[32768];
} fl_atomic_t;

int fl_atomic_open(fl_atomic_t *a, const char *path, char *err, size_t errlen);
void fl_atomic_write(fl_atomic_t *a, const void *data, size_t len);
void fl_atomic_fail(fl_atomic_t *a, int e);
int fl_atomic_close(fl_atomic_t *a, char *err, size_t errlen);

/* The same through a FILE (for fprintf): fl_afile_open() opens "PATH.tmp-RANDOM" as
** fl_atomic_open does (or, for a device or FIFO, the target itself), the caller writes to a->f,
** and fl_afile_close() flushes, fsyncs and renames it over PATH (commit), or removes it (!commit).
** Both return 0, or -FL_EIO with "cannot write 'PATH': REASON" in err (nothing left behind). */
typedef struct fl_afile {
  FILE *f;                    /* write here */
  char *tmp;                  /* the temporary file (NULL: writing in place) */
  char *path;                 /* the target */
} fl_afile_t;
int fl_afile_open(fl_afile_t *a, const char *path, char *err, size_t errlen);
int fl_afile_close(fl_afile_t *a, bool commit, char *err, size_t errlen);

/* Writes 'data' to an open stream and flushes it, checking the write, the flush and the stream's
** error flag (a full disk: stdout on /dev/full). Returns 0 or -FL_EIO (errno as the failure left it). */
int fl_write_stream(FILE *f, const char *data, size_t len);

/* A folder written whole: fl_dir_fresh() makes a new empty folder beside 'dir' ("DIR.tmp-XXXXXX",
** its name in tmp), the caller writes its files into it, and fl_dir_swap() puts it in dir's place:
** the old folder (if any) moves aside whole, the new one takes its name, and the old one's files
** are removed. A reader never sees a mix of old and new files. 'ours' tells the files this writer
** owns: a 'dir' holding anything else is refused (nothing is removed). On failure the fresh folder
** is removed. Both return 0, or -FL_EINVAL / -FL_EIO with a message in err. */
int fl_dir_fresh(const char *dir, char *tmp, size_t tmplen, char *err, size_t errlen);
int fl_dir_swap(const char *tmp, const char *dir, bool (*ours)(const char *name), char *err, size_t errlen);
/* Removes the files of folder 'dir' that 'ours' accepts, then the folder if that emptied it. */
void fl_dir_remove(const char *dir, bool (*ours)(const char *name));
/* How many entries of folder 'dir' 'ours' does not accept (the first's name in 'first'): 0 also
** when dir is missing; -1 when it cannot be read (errno set). */
int fl_dir_foreign(const char *dir, bool (*ours)(const char *name), char *first, size_t firstlen);

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
/* n bytes as UTF-8: each byte that starts no valid sequence (a Latin-1 'é') becomes U+FFFD. */
void fl_text_put_utf8(fl_text_t *t, const void *data, size_t n);
/* s[0..n) is valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF). */
bool fl_utf8_valid(const char *s, size_t n);
/* Empties the text and keeps its storage. */
void fl_text_clear(fl_text_t *t);
/* Hands the text over (free()) and leaves 't' empty: NULL when nothing was added. */
char *fl_text_take(fl_text_t *t, size_t *len);
void fl_text_release(fl_text_t *t);

#endif
