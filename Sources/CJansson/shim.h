#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A growable buffer that jansson's dump writes into through a C callback: jansson calls the callback once
   per token, so keeping it in C avoids a Swift call (and reference counting) per token. */
typedef struct {
    char *data;
    size_t length;
    size_t capacity;
} estiba_dump_buffer;

static inline int estiba_dump_append(const char *chunk, size_t size, void *context) {
    estiba_dump_buffer *b = (estiba_dump_buffer *)context;
    if (b->length + size > b->capacity) {
        size_t capacity = b->capacity ? b->capacity * 4 : 4096;
        while (capacity < b->length + size) capacity *= 2;
        char *grown = (char *)realloc(b->data, capacity);
        if (!grown) return -1;
        b->data = grown;
        b->capacity = capacity;
    }
    /* Most chunks are a few bytes (quotes, commas, short keys): copy those inline rather than call memcpy. */
    if (size <= 8) {
        char *to = b->data + b->length;
        for (size_t i = 0; i < size; i++) to[i] = chunk[i];
    } else {
        memcpy(b->data + b->length, chunk, size);
    }
    b->length += size;
    return 0;
}

static inline int estiba_dump(const json_t *json, size_t flags, estiba_dump_buffer *buffer) {
    return json_dump_callback(json, estiba_dump_append, buffer, flags);
}
