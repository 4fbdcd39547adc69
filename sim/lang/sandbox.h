/* Hardening of the scenario sandbox beyond leaving libraries out (shared inside sim/). */
#ifndef FAULTLINE_SIM_SANDBOX_H
#define FAULTLINE_SIM_SANDBOX_H

#include <lua.h>

/* Closes the holes through which sandboxed Lua code could run where the instruction-count hook
** never fires, or run C code for unbounded time. Call after the libraries and the "fl.*"
** metatables exist, before any scenario code runs:
** - setmetatable refuses a metatable with __gc (finalizers run with hooks off: one that loops
**   would hang faultline), and the fl.* metatables are locked (__metatable) so that no __gc can
**   be added to them;
** - xpcall runs its message handler after the failed call has unwound (Lua runs it inside the
**   error, where an error raised by the count hook has left hooks off);
** - string.find, match, gmatch and gsub refuse a pattern whose worst-case backtracking on the
**   subject given could try more than FL_SANDBOX_PATTERN_PATHS paths (about a second; Lua's
**   matcher is exponential in the number of quantifiers and runs in C, out of the hook's reach),
**   or whose plain search could compare more than FL_SANDBOX_PLAIN_BYTES bytes;
** - table.sort without a comparator refuses to sort long strings when the comparisons could
**   read more than FL_SANDBOX_SORT_BYTES bytes (they run in C too);
** - library functions that loop in C (table.insert, remove, move, concat, unpack, sort, and
**   string.gsub with a function or table as replacement) charge their steps as instructions
**   before they start, and refuse a call of more than FL_SANDBOX_C_STEPS steps: a huge __len,
**   a range of 10^12 or a metamethod that is itself a library function cannot loop where the
**   count hook never fires. table.insert and remove read __len once (Lua's own would read it
**   again, unchecked); table.sort refuses a list with __len; string.rep of nothing returns "" at
**   once instead of looping n times;
** - string.dump is removed (with load gone, no bytecode ever exists in the state).
** Besides these, the loader's count hook limits both instructions and wall time. */
void fl__sandbox_harden(lua_State *L);

#define FL_SANDBOX_PATTERN_PATHS 2e8
#define FL_SANDBOX_PLAIN_BYTES 1e10
#define FL_SANDBOX_SORT_BYTES 5e10
#define FL_SANDBOX_C_STEPS 2e7   /* steps of one library call's loop in C: about a second */
#define FL_SANDBOX_C_CALL 10     /* the steps a step counts when it calls a C function */

#endif
