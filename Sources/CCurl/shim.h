/* libcurl's easy interface, loaded on first use with dlopen (so processes that never download do not pay for
   loading libcurl and its many dependencies at start), without variadic calls (Swift cannot make those). */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

struct ccurl_api {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*global_init)(long);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

/* Loads libcurl once; NULL when it is not installed. Not thread-safe: call it from one place (a Swift global). */
static inline const struct ccurl_api *ccurl_load(void) {
    static struct ccurl_api api;
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) return NULL;
    api.easy_init = (CURL *(*)(void))dlsym(h, "curl_easy_init");
    api.easy_cleanup = (void (*)(CURL *))dlsym(h, "curl_easy_cleanup");
    api.easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))dlsym(h, "curl_easy_setopt");
    api.easy_perform = (CURLcode (*)(CURL *))dlsym(h, "curl_easy_perform");
    api.easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))dlsym(h, "curl_easy_getinfo");
    api.easy_strerror = (const char *(*)(CURLcode))dlsym(h, "curl_easy_strerror");
    api.global_init = (CURLcode (*)(long))dlsym(h, "curl_global_init");
    api.slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))dlsym(h, "curl_slist_append");
    api.slist_free_all = (void (*)(struct curl_slist *))dlsym(h, "curl_slist_free_all");
    if (!api.easy_init || !api.easy_cleanup || !api.easy_setopt || !api.easy_perform || !api.easy_getinfo
        || !api.easy_strerror || !api.global_init || !api.slist_append || !api.slist_free_all) return NULL;
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
    return &api;
}

typedef size_t (*ccurl_write_fn)(char *data, size_t size, size_t count, void *context);

static inline CURL *ccurl_init(const struct ccurl_api *a) { return a->easy_init(); }
static inline void ccurl_cleanup(const struct ccurl_api *a, CURL *c) { a->easy_cleanup(c); }
static inline CURLcode ccurl_perform(const struct ccurl_api *a, CURL *c) { return a->easy_perform(c); }
static inline const char *ccurl_strerror(const struct ccurl_api *a, CURLcode e) { return a->easy_strerror(e); }
static inline CURLcode ccurl_set_string(const struct ccurl_api *a, CURL *c, CURLoption o, const char *v) { return a->easy_setopt(c, o, v); }
static inline CURLcode ccurl_set_long(const struct ccurl_api *a, CURL *c, CURLoption o, long v) { return a->easy_setopt(c, o, v); }
static inline CURLcode ccurl_set_pointer(const struct ccurl_api *a, CURL *c, CURLoption o, void *v) { return a->easy_setopt(c, o, v); }
static inline CURLcode ccurl_set_write(const struct ccurl_api *a, CURL *c, ccurl_write_fn f) { return a->easy_setopt(c, CURLOPT_WRITEFUNCTION, f); }
static inline long ccurl_file_time(const struct ccurl_api *a, CURL *c) { long v = -1; a->easy_getinfo(c, CURLINFO_FILETIME, &v); return v; }
static inline const char *ccurl_effective_url(const struct ccurl_api *a, CURL *c) { char *v = 0; a->easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &v); return v; }

/* Requests with headers, response headers and status (the registry client). */
static inline CURLcode ccurl_set_header_function(const struct ccurl_api *a, CURL *c, ccurl_write_fn f) { return a->easy_setopt(c, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode ccurl_set_header_list(const struct ccurl_api *a, CURL *c, struct curl_slist *l) { return a->easy_setopt(c, CURLOPT_HTTPHEADER, l); }
static inline struct curl_slist *ccurl_slist_append(const struct ccurl_api *a, struct curl_slist *l, const char *s) { return a->slist_append(l, s); }
static inline void ccurl_slist_free(const struct ccurl_api *a, struct curl_slist *l) { a->slist_free_all(l); }
static inline long ccurl_response_code(const struct ccurl_api *a, CURL *c) { long v = 0; a->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &v); return v; }
typedef int (*ccurl_progress_fn)(void *context, curl_off_t download_total, curl_off_t download_now, curl_off_t upload_total, curl_off_t upload_now);
/* Calls `f` about once a second and as data moves; a nonzero return stops the transfer. */
static inline CURLcode ccurl_set_progress(const struct ccurl_api *a, CURL *c, ccurl_progress_fn f, void *context) {
    a->easy_setopt(c, CURLOPT_XFERINFODATA, context);
    a->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, f);
    return a->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}
typedef size_t (*ccurl_read_fn)(char *buffer, size_t size, size_t count, void *context);
/* A request body of `length` bytes, read through `f` (PUT, PATCH, POST…: the method is set apart). */
static inline CURLcode ccurl_set_upload(const struct ccurl_api *a, CURL *c, ccurl_read_fn f, void *context, curl_off_t length) {
    a->easy_setopt(c, CURLOPT_UPLOAD, 1L);
    a->easy_setopt(c, CURLOPT_READDATA, context);
    a->easy_setopt(c, CURLOPT_READFUNCTION, f);
    return a->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, length);
}
