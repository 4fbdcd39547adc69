/* libFuzzer target: faultline import (sim/import*.c). The first byte picks the format (Jaeger
** dependencies, OpenTelemetry service graph metrics, Toxiproxy, Chaos Mesh), the rest is the file.
** An import either fails with a message and writes nothing, or writes its output. */
#include "fuzz.h"

#include "faultline/import.h"

FUZZ_TARGET(import) {
  if (size < 1 || size > 256 * 1024) return 0;
  fl_import_format_t f = (fl_import_format_t)(data[0] % FL_IMPORT__COUNT);
  const char *path = fuzz_write("in.json", data + 1, size - 1);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  if (!out) return 0;
  fl_import_opts_t o;
  memset(&o, 0, sizeof o);
  char err[1024];
  err[0] = 0;
  int rc = fl_import(f, path, &o, out, NULL, err, sizeof err);
  fclose(out);
  FUZZ_CHECK(rc == 0 || (err[0] && len == 0), "import %s: rc %d, message '%s', %zu bytes written",
             fl_import_format_name(f), rc, err, len);
  free(text);
  return 0;
}
