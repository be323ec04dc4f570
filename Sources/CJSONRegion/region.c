#include "json_region.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* Every block starts with a 16-byte header telling where it came from, so that the free function knows
   which blocks to pass to free(). 16 bytes keep the payload 16-aligned. */
#define HEADER 16
#define FROM_HEAP 0x48656170u
#define FROM_REGION 0x52656769u
/* A region's chunks grow from 16 KiB (a small result, as most are, takes one) to 256 KiB. */
#define FIRST_CHUNK (16u << 10)
#define CHUNK (256u << 10)

typedef struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    size_t pad; /* keeps data 16-aligned */
    unsigned char data[];
} chunk;

struct estiba_json_region {
    chunk *chunks;
    size_t chunk_count;
    estiba_json_region *outer;
};

static __thread estiba_json_region *current;
static __thread size_t region_bytes;

/* Chunks of ended regions, kept for the thread's next regions (fresh memory from the system would be
   faulted in page by page on every document). At most SPARE_LIMIT bytes per thread, and only as much as its
   largest region used (a connection's thread answering small requests keeps 16 KiB); the rest is freed, and
   so is everything when the thread exits. */
#define SPARE_LIMIT (4u << 20)
static __thread chunk *spare;
static __thread size_t spare_bytes;
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void free_chunks(chunk *c) {
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
}

static void thread_exit(void *unused) {
    (void)unused;
    free_chunks(spare);
    spare = NULL;
    spare_bytes = 0;
}

static void make_key(void) { pthread_key_create(&spare_key, thread_exit); }

static chunk *take_chunk(size_t need, size_t chunk_count) {
    size_t size = chunk_count >= 2 ? CHUNK : FIRST_CHUNK << (2 * chunk_count);
    if (spare && spare->size >= need) {
        chunk *c = spare;
        spare = c->next;
        spare_bytes -= c->size;
        c->used = 0;
        return c;
    }
    size_t capacity = need > size ? need : size;
    chunk *fresh = malloc(sizeof(chunk) + capacity);
    if (!fresh) return NULL;
    fresh->size = capacity;
    fresh->used = 0;
    return fresh;
}

static void keep_chunks(chunk *c) {
    pthread_once(&spare_once, make_key);
    /* A non-NULL value makes the key's destructor run when the thread exits. */
    pthread_setspecific(spare_key, (void *)1);
    while (c) {
        chunk *next = c->next;
        if (c->size <= CHUNK && spare_bytes + c->size <= SPARE_LIMIT) {
            c->next = spare;
            spare = c;
            spare_bytes += c->size;
        } else {
            free(c);
        }
        c = next;
    }
}

static void *region_malloc(size_t size) {
    size_t need = HEADER + ((size + 15) & ~(size_t)15);
    unsigned char *block;
    estiba_json_region *r = current;
    if (r) {
        chunk *c = r->chunks;
        if (!c || c->used + need > c->size) {
            chunk *fresh = take_chunk(need, r->chunk_count);
            if (!fresh) return NULL;
            r->chunk_count++;
            fresh->next = c;
            r->chunks = fresh;
            c = fresh;
        }
        block = c->data + c->used;
        c->used += need;
        region_bytes += need;
        *(uint32_t *)block = FROM_REGION;
    } else {
        block = malloc(need);
        if (!block) return NULL;
        *(uint32_t *)block = FROM_HEAP;
    }
    return block + HEADER;
}

static void region_free(void *p) {
    if (!p) return;
    unsigned char *block = (unsigned char *)p - HEADER;
    if (*(uint32_t *)block == FROM_HEAP) free(block);
}

__attribute__((constructor)) static void install(void) { json_set_alloc_funcs(region_malloc, region_free); }

estiba_json_region *estiba_json_region_begin(void) {
    estiba_json_region *r = malloc(sizeof(estiba_json_region));
    if (!r) return NULL;
    r->chunks = NULL;
    r->chunk_count = 0;
    r->outer = current;
    current = r;
    return r;
}

void estiba_json_region_end(estiba_json_region *r) {
    if (!r) return;
    current = r->outer;
    keep_chunks(r->chunks);
    free(r);
}

size_t estiba_json_region_bytes(void) { return region_bytes; }
