#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

/* gzip streams written directly with zlib (libarchive's own compressor), for layers pushed to registries:
   deflateInit2 is a macro, not imported into Swift. */
static inline int ca_gzip_init(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/* The AE_IF* macros carry a cast and are not imported into Swift; re-export them as constants. */
static const unsigned int CA_IFMT = AE_IFMT;
static const unsigned int CA_IFREG = AE_IFREG;
static const unsigned int CA_IFLNK = AE_IFLNK;
static const unsigned int CA_IFSOCK = AE_IFSOCK;
static const unsigned int CA_IFCHR = AE_IFCHR;
static const unsigned int CA_IFBLK = AE_IFBLK;
static const unsigned int CA_IFDIR = AE_IFDIR;
static const unsigned int CA_IFIFO = AE_IFIFO;
