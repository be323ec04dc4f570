/* libcurl's easy interface without its variadic calls (Swift cannot call those). */
#include <curl/curl.h>
#include <stdio.h>

typedef size_t (*ccurl_write_fn)(char *data, size_t size, size_t count, void *context);

static inline CURLcode ccurl_set_string(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ccurl_set_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ccurl_set_pointer(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ccurl_set_write(CURL *c, ccurl_write_fn f) { return curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode ccurl_set_header_fn(CURL *c, ccurl_write_fn f) { return curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, f); }
static inline long ccurl_response_code(CURL *c) { long v = 0; curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &v); return v; }
static inline long ccurl_file_time(CURL *c) { long v = -1; curl_easy_getinfo(c, CURLINFO_FILETIME, &v); return v; }
static inline const char *ccurl_effective_url(CURL *c) { char *v = 0; curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &v); return v; }
