#ifndef ESTIBA_JSON_REGION_H
#define ESTIBA_JSON_REGION_H

#include <stddef.h>

/* Region allocation for libjansson. Building a large document costs jansson tens of thousands of small
   allocations (every value, object bucket array and member); inside a region they are carved from big
   chunks and released all at once, and jansson's frees of them cost nothing.

   The allocator is installed in jansson when the program loads (before any jansson call). Outside a region
   it is plain malloc/free with a small header. A region belongs to the thread that began it: allocations on
   that thread come from it until it ends, and every jansson value made inside must be released before it
   ends. */

typedef struct estiba_json_region estiba_json_region;

/* Starts a region on this thread (regions nest). NULL if memory is short: allocation then stays on the heap. */
estiba_json_region *estiba_json_region_begin(void);

/* Ends the innermost region of this thread and frees its memory. */
void estiba_json_region_end(estiba_json_region *region);

/* Bytes handed out by regions of this thread so far (for tests). */
size_t estiba_json_region_bytes(void);

#endif
