#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One request of `type` naming the interface (IFLA_IFNAME, so no index can go stale in between), with `flags`
   set within `change`, and its acknowledgement. */
static int link_request(const char *name, unsigned short type, unsigned flags, unsigned change) {
    size_t length = strlen(name);
    if (length == 0 || length >= 16) return -EINVAL;
    struct {
        struct nlmsghdr header;
        struct ifinfomsg info;
        char attributes[RTA_SPACE(16)];
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_type = type;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    request.header.nlmsg_seq = 1;
    request.info.ifi_family = AF_UNSPEC;
    request.info.ifi_flags = flags;
    request.info.ifi_change = change;
    struct rtattr *attribute = (struct rtattr *)request.attributes;
    attribute->rta_type = IFLA_IFNAME;
    attribute->rta_len = (unsigned short)RTA_LENGTH(length + 1);
    memcpy(RTA_DATA(attribute), name, length + 1);
    request.header.nlmsg_len = (unsigned)(NLMSG_LENGTH(sizeof request.info) + RTA_ALIGN(attribute->rta_len));

    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) return -errno;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(s, &request, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    char answer[1024];
    ssize_t n;
    do n = recv(s, answer, sizeof answer, 0);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(s);
    if (n < 0) return -e;
    struct nlmsghdr *reply = (struct nlmsghdr *)answer;
    if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || reply->nlmsg_type != NLMSG_ERROR) return -EPROTO;
    int error = ((struct nlmsgerr *)NLMSG_DATA(reply))->error;
    return error == -ENODEV ? 0 : error;
}

int estiba_link_delete(const char *name) { return link_request(name, RTM_DELLINK, 0, 0); }

int estiba_link_set_down(const char *name) { return link_request(name, RTM_NEWLINK, 0, IFF_UP); }
