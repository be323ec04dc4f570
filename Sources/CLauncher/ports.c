#define _GNU_SOURCE
#include "launcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int estiba_probe_port(const char *address, int port, int udp) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    if (address == NULL || address[0] == '\0') sa.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) return -EINVAL;
    int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(s);
        return e == EADDRINUSE ? ESTIBA_PORT_TAKEN : -e;
    }
    socklen_t len = sizeof sa;
    int rc = getsockname(s, (struct sockaddr *)&sa, &len) == 0 ? ntohs(sa.sin_port) : -errno;
    close(s);
    return rc;
}
