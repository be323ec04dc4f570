#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The cgroup v2 device controller is a BPF program: it sees (access << 16 | type, major, minor) and returns 1 to
   allow or 0 to deny. This builds one that walks the allow-list in order. */

#define MAX_INSNS 1024

static struct bpf_insn insn(unsigned char code, unsigned char dst, unsigned char src, short off, int imm) {
    struct bpf_insn i;
    memset(&i, 0, sizeof i);
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

/* r_dst = *(u32 *)(r_src + off) */
static struct bpf_insn load_word(int dst, int src, short off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
static struct bpf_insn mov_reg(int dst, int src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
static struct bpf_insn mov_imm(int dst, int imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
static struct bpf_insn and_imm(int dst, int imm) { return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm); }
static struct bpf_insn rsh_imm(int dst, int imm) { return insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm); }
/* if r_dst != imm: pc += off */
static struct bpf_insn jne_imm(int dst, int imm, short off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
static struct bpf_insn exit_insn(void) { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int estiba_attach_device_filter(int cgroup_fd, const struct estiba_device_rule *rules, int nrules, char *log, size_t log_size) {
    struct bpf_insn prog[MAX_INSNS]; /* 8 KiB: up to 127 rules */
    int n = 0;
    if (nrules < 0 || nrules * 8 + 8 > MAX_INSNS) return -E2BIG;
    /* r2 = type, r3 = access, r4 = major, r5 = minor (r1 is the context) */
    prog[n++] = load_word(2, 1, 0);
    prog[n++] = mov_reg(3, 2);
    prog[n++] = rsh_imm(3, 16);
    prog[n++] = and_imm(2, 0xffff);
    prog[n++] = load_word(4, 1, 4);
    prog[n++] = load_word(5, 1, 8);
    for (int r = 0; r < nrules; r++) {
        const struct estiba_device_rule *rule = &rules[r];
        int has_type = rule->type == 'c' || rule->type == 'b';
        int has_access = (rule->access & 7) != 7;
        int has_major = rule->major >= 0;
        int has_minor = rule->minor >= 0;
        /* block length: one jump per check (three instructions for access), then "r0 = 1; exit" */
        int length = has_type + 3 * has_access + has_major + has_minor + 2;
        int end = n + length; /* index of the next rule's first instruction */
        if (has_type) {
            prog[n] = jne_imm(2, rule->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
            prog[n].off = (short)(end - n - 1);
            n++;
        }
        if (has_access) {
            /* allowed when the request asks for nothing outside the rule's access */
            prog[n++] = mov_reg(1, 3);
            prog[n] = and_imm(1, (int)(~rule->access & 7));
            n++;
            prog[n] = jne_imm(1, 0, 0);
            prog[n].off = (short)(end - n - 1);
            n++;
        }
        if (has_major) {
            prog[n] = jne_imm(4, (int)rule->major, 0);
            prog[n].off = (short)(end - n - 1);
            n++;
        }
        if (has_minor) {
            prog[n] = jne_imm(5, (int)rule->minor, 0);
            prog[n].off = (short)(end - n - 1);
            n++;
        }
        prog[n++] = mov_imm(0, 1);
        prog[n++] = exit_insn();
        if (n != end) return -EINVAL;
    }
    prog[n++] = mov_imm(0, 0);
    prog[n++] = exit_insn();

    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (unsigned long long)(unsigned long)prog;
    attr.insn_cnt = (unsigned)n;
    attr.license = (unsigned long long)(unsigned long)"Apache";
    if (log && log_size > 0) {
        log[0] = 0;
        attr.log_buf = (unsigned long long)(unsigned long)log;
        attr.log_size = (unsigned)(log_size > 0xffffff ? 0xffffff : log_size);
        attr.log_level = 1;
    }
    int prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (prog_fd < 0 && log && errno == ENOSPC) {
        /* the log was too small: load again without one */
        attr.log_buf = 0;
        attr.log_size = 0;
        attr.log_level = 0;
        prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    }
    if (prog_fd < 0) return -errno;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (unsigned)cgroup_fd;
    attr.attach_bpf_fd = (unsigned)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    int rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr);
    int saved = errno;
    close(prog_fd);
    return rc == 0 ? 0 : -saved;
}
